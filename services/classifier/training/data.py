"""Reading labelled text: the shared dataset layout and user CSV / JSONL files.

Shared layout (see the data README): `<task>/<source>[/<language>]/<split>_text.txt` and
`<split>_labels.txt`, one example per line. Nothing here copies data anywhere; training reads
from the given path and keeps only what it produces (an artifact).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from services.classifier.models.text import normalise_for_model

XLMT_LANGUAGES = (
    "arabic", "english", "french", "german", "hindi", "italian", "portuguese", "spanish",
)  # fmt: skip
# ISO 639-1 code of each split group (the language a text is in, as the classifier names it).
GROUP_LANGUAGE = {
    "semeval": "en", "tweeteval": "en", "arabic": "ar", "english": "en", "french": "fr",
    "german": "de", "hindi": "hi", "italian": "it", "portuguese": "pt", "spanish": "es",
}  # fmt: skip
_WORDS = re.compile(r"[^\W_]+")
SENTIMENT_NAMES = {"negative": 0, "neutral": 1, "positive": 2, "neg": 0, "neu": 1, "pos": 2}


@dataclass
class Split:
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # e.g. the language, for per-group metrics

    def extend(self, other: Split) -> None:
        self.texts += other.texts
        self.labels += other.labels
        self.groups += other.groups

    def __len__(self) -> int:
        return len(self.texts)

    def languages(self) -> list[str]:
        """Each example's ISO 639-1 code from its group ("und" where the group names none)."""
        return [GROUP_LANGUAGE.get(group, "und") for group in self.groups]


def read_split(folder: Path, split: str, group: str = "") -> Split:
    text_file, label_file = folder / f"{split}_text.txt", folder / f"{split}_labels.txt"
    texts = text_file.read_text(encoding="utf-8").split("\n")
    labels = label_file.read_text(encoding="utf-8").split("\n")
    # A trailing newline leaves one empty last element in each; drop only that.
    if texts and texts[-1] == "" and labels and labels[-1] == "":
        texts, labels = texts[:-1], labels[:-1]
    if len(texts) != len(labels):
        raise ValueError(f"{folder}/{split}: {len(texts)} texts but {len(labels)} labels")
    return Split(
        texts=[normalise_for_model(t) for t in texts],
        labels=[int(x) for x in labels],
        groups=[group] * len(texts),
    )


@dataclass
class SharedData:
    sentiment_train: Split
    sentiment_val: Split  # TweetEval val (group 'tweeteval') + UMSAB val (group = language)
    offensive_train: Split
    offensive_val: Split
    hate_train: Split
    hate_val: Split


def load_shared(root: Path) -> SharedData:
    root = Path(root)
    sentiment_train = read_split(root / "sentiment" / "semeval", "train", "semeval")
    sentiment_val = read_split(root / "sentiment" / "tweeteval", "val", "tweeteval")
    for language in XLMT_LANGUAGES:
        folder = root / "sentiment" / "xlmt" / language
        sentiment_train.extend(read_split(folder, "train", language))
        sentiment_val.extend(read_split(folder, "val", language))
    return SharedData(
        sentiment_train=sentiment_train,
        sentiment_val=sentiment_val,
        offensive_train=read_split(root / "offensive" / "tweeteval", "train", "offensive"),
        offensive_val=read_split(root / "offensive" / "tweeteval", "val", "offensive"),
        hate_train=read_split(root / "hate" / "tweeteval", "train", "hate"),
        hate_val=read_split(root / "hate" / "tweeteval", "val", "hate"),
    )


def read_labelled_file(path: Path) -> Split:
    """CSV with a header containing `text,label`, or JSONL with those keys.

    Labels: 0/1/2 or negative/neutral/positive (sentiment fine-tuning for a brand).
    """
    path = Path(path)
    rows: list[tuple[str, str]] = []
    if path.suffix.lower() in (".jsonl", ".json"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                rows.append((str(record["text"]), str(record["label"])))
    else:
        with path.open(encoding="utf-8", newline="") as fh:
            for record in csv.DictReader(fh):
                rows.append((record["text"], record["label"]))
    split = Split()
    for text, label in rows:
        key = label.strip().lower()
        value = SENTIMENT_NAMES.get(key)
        if value is None:
            value = int(key)
        if value not in (0, 1, 2):
            raise ValueError(f"label {label!r} is not a sentiment label")
        split.texts.append(normalise_for_model(text))
        split.labels.append(value)
        split.groups.append("user")
    return split


def _dup_key(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold().replace("@user", " ").replace("http", " ")))


def near_duplicate_mask(train: Split, val: Split) -> list[bool]:
    """True for each train example that is a near-duplicate of some val example.

    TweetEval's sentiment val set was drawn from the SemEval-2017 training data, and ~80% of
    it reappears in the SemEval 2013-2016 train split once handles, links, case and
    punctuation are normalised away. Training on those copies makes the val metrics measure
    memorisation (0.81 macro-recall instead of ~0.69 on the clean part), so they are dropped
    from training. Key: the text's words without handles / links; texts of 50+ characters
    also match on their first 50 characters (retweets with a truncated or appended tail).
    """
    keys = {_dup_key(t) for t in val.texts}
    prefixes = {k[:50] for k in keys if len(k) >= 50}
    keys.discard("")
    mask = []
    for text in train.texts:
        key = _dup_key(text)
        mask.append(key in keys or (len(key) >= 50 and key[:50] in prefixes))
    return mask

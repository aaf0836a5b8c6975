"""Bring your own model: any Hugging Face sequence-classification model, by name or path.

The label mapping comes from the model's `config.id2label`:
- sentiment names (negative / neutral / positive, neg / neu / pos, 'N stars') map to the
  three sentiment classes; generic `LABEL_i` names map by position (3 labels = neg/neu/pos,
  2 labels = neg/pos);
- abuse names (offensive, toxic, abusive, hate) feed the abuse scores;
- whatever the model does not provide comes from the baseline (neutral sentiment, lexicon
  abuse), so the output contract is always complete.
torch and transformers are imported here only, when such a model is requested.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

from services.classifier.models.lexicon import LexiconAbuseScorer
from services.classifier.models.pipeline import TextScores

MAX_TOKENS = 256
BATCH = 32


def map_labels(id2label: dict[int, str]) -> dict[int, str]:
    """Model class index -> one of negative/neutral/positive/offensive/hate (or dropped)."""
    mapped: dict[int, str] = {}
    for index, raw in id2label.items():
        name = str(raw).strip().lower()
        stars = re.match(r"^(\d)\s*stars?$", name)
        if name.startswith(("not", "non", "no_", "no-")):
            continue
        if stars:
            n = int(stars.group(1))
            mapped[int(index)] = "negative" if n <= 2 else "neutral" if n == 3 else "positive"
        elif name.startswith("neg"):
            mapped[int(index)] = "negative"
        elif name.startswith("neu"):
            mapped[int(index)] = "neutral"
        elif name.startswith("pos"):
            mapped[int(index)] = "positive"
        elif "hate" in name:
            mapped[int(index)] = "hate"
        elif any(key in name for key in ("offens", "toxic", "abus", "insult")):
            mapped[int(index)] = "offensive"
    if not mapped and all(re.fullmatch(r"label_\d+", str(v).lower()) for v in id2label.values()):
        by_position = {3: ("negative", "neutral", "positive"), 2: ("negative", "positive")}
        names = by_position.get(len(id2label))
        if names:
            mapped = {i: names[i] for i in range(len(names))}
    return mapped


class HuggingFaceScorer:
    def __init__(self, name: str, *, threads: int | None = None) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(name)
        self._model = AutoModelForSequenceClassification.from_pretrained(name)
        self._model.eval()
        self._labels = map_labels(dict(self._model.config.id2label))
        self._lexicon = LexiconAbuseScorer()
        self._lock = threading.Lock()
        self.model_version = f"hf:{name}"

    def _probs(self, texts: Sequence[str]) -> Any:
        import numpy as np

        torch = self._torch
        out = np.zeros((len(texts), self._model.config.num_labels), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # length bucketing
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), BATCH):
                idx = order[start : start + BATCH]
                batch = self._tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=MAX_TOKENS,
                    return_tensors="pt",
                )
                logits = self._model(**batch).logits.float()
                problem = getattr(self._model.config, "problem_type", None)
                if problem == "multi_label_classification":
                    probs = torch.sigmoid(logits)
                else:
                    probs = torch.softmax(logits, dim=-1)
                out[idx] = probs.numpy()
        return out

    def score_texts(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> TextScores:
        probs = self._probs(texts)
        sentiment: list[tuple[float, float, float]] = []
        offensive: list[float] = []
        hate: list[float] = []
        slots = {"negative": 0, "neutral": 1, "positive": 2}
        for text, row in zip(texts, probs, strict=True):
            sent = [0.0, 0.0, 0.0]
            abuse = {"offensive": None, "hate": None}
            for index, target in self._labels.items():
                if target in slots:
                    sent[slots[target]] += float(row[index])
                else:
                    abuse[target] = max(abuse[target] or 0.0, float(row[index]))
            total = sum(sent)
            sentiment.append(
                (sent[0] / total, sent[1] / total, sent[2] / total)
                if total > 0
                else (0.0, 1.0, 0.0)
            )
            if abuse["offensive"] is None or abuse["hate"] is None:
                lex_off, lex_hate = self._lexicon.score(text)
                abuse["offensive"] = lex_off if abuse["offensive"] is None else abuse["offensive"]
                abuse["hate"] = lex_hate if abuse["hate"] is None else abuse["hate"]
            offensive.append(float(abuse["offensive"]))
            hate.append(float(abuse["hate"]))
        return TextScores(sentiment, offensive, hate)

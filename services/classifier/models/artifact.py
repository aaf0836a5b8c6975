"""The shipped model: MiniLM int8 encoder + trained heads from an artifact folder.

Artifact layout (`services/classifier/artifacts/<version>/`):
- `config.json`: version, n-gram featuriser settings, per-task labels / ensemble weight /
  temperature, val metrics;
- `heads.npz`: head weights (embedding heads float32, n-gram heads float16);
- `model_card.md`: training data, val metrics, date, the command that produced it.
The encoder itself is not in the artifact: it is rebuilt from the installed package
(`encoder.ensure_onnx`), and its identity is recorded in `config.json`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from services.classifier.models.encoder import OnnxEncoder
from services.classifier.models.heads import TaskHead, make_hasher
from services.classifier.models.pipeline import TextScores

log = logging.getLogger(__name__)

TASKS = ("sentiment", "offensive", "hate")


def load_heads(path: Path) -> tuple[dict[str, object], dict[str, TaskHead]]:
    import numpy as np

    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    with np.load(path / "heads.npz") as arrays:
        loaded = {key: arrays[key] for key in arrays.files}
    heads = {task: TaskHead.load(task, config["heads"][task], loaded) for task in TASKS}
    if heads["sentiment"].labels != ("negative", "neutral", "positive"):
        raise ValueError(f"{path}: sentiment labels must be negative, neutral, positive")
    return config, heads


class ArtifactScorer:
    def __init__(
        self, path: Path, *, threads: int | None = None, encoder: OnnxEncoder | None = None
    ) -> None:
        self.path = Path(path)
        self.config, self.heads = load_heads(self.path)
        self.model_version = str(self.config["version"])
        self._hasher = make_hasher(self.config.get("ngram"))  # type: ignore[arg-type]
        self._encoder = encoder or OnnxEncoder(threads=threads)

    def score_texts(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> TextScores:
        import numpy as np

        emb = self._encoder.encode(texts)
        needs_ngrams = any(head.ngram_w is not None for head in self.heads.values())
        ngrams = self._hasher.transform(list(texts)) if needs_ngrams else None
        # Unknown language counts as English: the encoder-heavy blend is the trained default.
        english = (
            None if languages is None else np.array([lang in ("en", "und") for lang in languages])
        )
        sentiment = self.heads["sentiment"].probs(emb, ngrams, english)
        offensive = self.heads["offensive"].probs(emb, ngrams)[:, 1]
        hate = self.heads["hate"].probs(emb, ngrams)[:, 1]
        return TextScores(
            sentiment=[(float(a), float(b), float(c)) for a, b, c in sentiment],
            offensive=[float(p) for p in offensive],
            hate=[float(p) for p in hate],
        )

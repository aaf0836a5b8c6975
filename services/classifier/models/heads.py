"""Trained heads: the arithmetic shared by training (val metrics) and inference.

Each task (sentiment, offensive, hate) is a small ensemble of two linear models:
- a softmax regression on the MiniLM sentence embedding (meaning, English-centric);
- a softmax regression on hashed character n-grams (surface form: works for any script,
  catches profanity spelled creatively, and carries the non-English languages that MiniLM's
  English word-piece vocabulary handles badly);
combined as a weighted sum of log-probabilities and divided by a temperature. The weight and
the temperature are fitted on the val splits (temperature scaling: one parameter, keeps the
ranking, fixes over/under-confidence; ECE is reported in the model card).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from scipy.sparse import spmatrix

    from services.classifier.models.specialists import LanguageSpecialist

log = logging.getLogger(__name__)

# Hashed character n-grams (`ngrams.CharNgramHasher`): stateless, nothing to ship or drift.
NGRAM_CONFIG: dict[str, Any] = {"kind": "char-hash-v1", "ngram_range": (2, 5), "n_features": 2**18}


def make_hasher(config: Mapping[str, Any] | None = None) -> Any:
    cfg = dict(config or NGRAM_CONFIG)
    if cfg.get("kind") == "char-hash-v1":
        from services.classifier.models.ngrams import CharNgramHasher

        return CharNgramHasher(cfg["ngram_range"], cfg["n_features"])
    # Artifacts written before char-hash-v1 used sklearn's HashingVectorizer settings.
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer

    cfg["ngram_range"] = tuple(cfg["ngram_range"])
    return HashingVectorizer(dtype=np.float32, **cfg)


def log_softmax(z: np.ndarray) -> np.ndarray:
    import numpy as np

    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.exp(log_softmax(z))


@dataclass
class TunedStage:
    """An organisation's or brand's head on top of a trained one (`earshot train --csv` /
    `--corrections`): for texts in `languages`, final log-probs = beta * (the head's
    calibrated log-probs) + (1 - beta) * log_softmax(emb @ w + b), divided by `temperature`;
    texts in other languages keep the base's. Kept apart rather than folded into the base's
    weights, so the base is scored exactly as it was when beta was chosen: its English /
    other-language blend and its specialists stay as trained. `languages`: those the user's
    rows were in (None: every text), so a head learnt from English rows does not judge French
    ones."""

    w: np.ndarray  # (dim, k)
    b: np.ndarray  # (k,)
    beta: float
    temperature: float = 1.0
    languages: tuple[str, ...] | None = None

    def rows(self, n: int, languages: Sequence[str] | None) -> np.ndarray:
        """Which of n texts (with these language codes) the stage applies to."""
        import numpy as np

        if self.languages is None or languages is None:
            return np.ones(n, dtype=bool)
        return np.isin(np.asarray(languages, dtype=object), list(self.languages))

    def apply(self, z: np.ndarray, emb: np.ndarray, languages: Sequence[str] | None) -> np.ndarray:
        import numpy as np

        rows = self.rows(len(z), languages)
        if not rows.any():
            return z
        out = z.copy()
        lp_user = log_softmax(emb[rows].astype(np.float64) @ self.w + self.b)
        mixed = self.beta * log_softmax(z[rows]) + (1 - self.beta) * lp_user
        out[rows] = mixed / self.temperature
        return out


@dataclass
class TaskHead:
    labels: tuple[str, ...]
    emb_w: np.ndarray  # (384, k)
    emb_b: np.ndarray  # (k,)
    ngram_w: np.ndarray | None  # (n_features, k), stored float16
    ngram_b: np.ndarray | None
    alpha: float = 1.0  # weight of the embedding model's log-probs; 1 - alpha for n-grams
    temperature: float = 1.0
    # Blend weight for texts not in English. MiniLM's word pieces are English, so for other
    # languages the n-gram model knows more; None = use `alpha` for every text.
    alpha_other: float | None = None
    # Per-language specialists (ISO 639-1 code -> model), blended in log space with weight
    # `specialist_weight` for texts in their language (see models/specialists.py).
    specialists: dict[str, LanguageSpecialist] = field(default_factory=dict)
    specialist_weight: float = 0.0
    # Tuned stages applied in order after the head's own temperature (see TunedStage).
    tuned: list[TunedStage] = field(default_factory=list)

    def component_logprobs(
        self, emb: np.ndarray, ngrams: spmatrix | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        import numpy as np

        # float64: BLAS sums a single row (gemv) in another order than a batch (gemm); in
        # float32 that moved the 6th decimal of a score with the batch size, in float64 the
        # difference is far below the rounding of the output.
        emb_w = self.emb_w.astype(np.float64, copy=False)
        lp_emb = log_softmax(emb.astype(np.float64) @ emb_w + self.emb_b)
        lp_ng = None
        if self.ngram_w is not None and ngrams is not None:
            ngram_w = self.ngram_w.astype(np.float64, copy=False)
            lp_ng = log_softmax(np.asarray(ngrams @ ngram_w) + self.ngram_b)
        return lp_emb, lp_ng

    def alphas(self, n: int, english: np.ndarray | None) -> np.ndarray:
        import numpy as np

        alpha = np.full((n, 1), self.alpha, dtype=np.float32)
        if self.alpha_other is not None and english is not None:
            alpha[~np.asarray(english, dtype=bool)] = self.alpha_other
        return alpha

    def blend(
        self, lp_emb: np.ndarray, lp_ng: np.ndarray | None, english: np.ndarray | None = None
    ) -> np.ndarray:
        if lp_ng is None:
            return lp_emb
        alpha = self.alphas(len(lp_emb), english)
        return alpha * lp_emb + (1 - alpha) * lp_ng

    def with_specialists(
        self,
        logprobs: np.ndarray,
        texts: Sequence[str] | None,
        languages: Sequence[str] | None,
        emb: np.ndarray | None = None,
    ) -> np.ndarray:
        if not self.specialists or texts is None or languages is None:
            return logprobs
        from services.classifier.models.specialists import blend_specialists

        return blend_specialists(
            logprobs, texts, languages, self.specialists, self.specialist_weight, emb
        )

    def probs(
        self,
        emb: np.ndarray,
        ngrams: spmatrix | None,
        english: np.ndarray | None = None,
        *,
        texts: Sequence[str] | None = None,
        languages: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Calibrated probabilities. With `texts` and their `languages` (ISO 639-1 codes),
        texts in a language with a specialist get its blend too."""
        z = self.blend(*self.component_logprobs(emb, ngrams), english)
        z = self.with_specialists(z, texts, languages, emb)
        z = z / self.temperature
        for stage in self.tuned:
            z = stage.apply(z, emb, languages)
        return softmax(z)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        import numpy as np

        arrays = {f"{prefix}.emb_w": self.emb_w.astype(np.float32), f"{prefix}.emb_b": self.emb_b}
        if self.ngram_w is not None and self.ngram_b is not None:
            arrays[f"{prefix}.ngram_w"] = self.ngram_w.astype(np.float16)
            arrays[f"{prefix}.ngram_b"] = self.ngram_b
        for code, specialist in self.specialists.items():
            arrays |= specialist.to_arrays(f"{prefix}.lang.{code}")
        for i, stage in enumerate(self.tuned):
            arrays[f"{prefix}.tuned.{i}.w"] = stage.w.astype(np.float32)
            arrays[f"{prefix}.tuned.{i}.b"] = stage.b.astype(np.float32)
        return arrays

    def to_config(self) -> dict[str, Any]:
        scales = [sp.emb_scale for sp in self.specialists.values() if sp.reads_embedding]
        return {
            "labels": list(self.labels),
            "alpha": self.alpha,
            "alpha_other": self.alpha_other,
            "temperature": self.temperature,
            "ngrams": self.ngram_w is not None,
            "specialists": sorted(self.specialists),
            "specialist_weight": self.specialist_weight,
            **({"specialist_cues": _cues_digest()} if self.specialists else {}),
            **({"specialist_embedding_scale": scales[0]} if scales else {}),
            **(
                {
                    "tuned": [
                        {
                            "beta": t.beta,
                            "temperature": t.temperature,
                            "languages": None if t.languages is None else list(t.languages),
                        }
                        for t in self.tuned
                    ]
                }
                if self.tuned
                else {}
            ),
        }

    @classmethod
    def load(cls, prefix: str, config: Mapping[str, Any], arrays: Mapping[str, Any]) -> TaskHead:
        from services.classifier.models.specialists import LanguageSpecialist

        has_ngrams = bool(config.get("ngrams"))
        if config.get("specialists") and config.get("specialist_cues") != _cues_digest():
            log.warning(
                "%s: the sentiment specialists were trained on polarity cues %s, this code has "
                "%s; retrain for exact scores",
                prefix,
                config.get("specialist_cues"),
                _cues_digest(),
            )
        specialists = {
            str(code): LanguageSpecialist.load(f"{prefix}.lang.{code}", arrays, str(code))
            for code in config.get("specialists") or ()
        }
        return cls(
            labels=tuple(config["labels"]),
            emb_w=arrays[f"{prefix}.emb_w"].astype("float64"),
            emb_b=arrays[f"{prefix}.emb_b"],
            ngram_w=arrays[f"{prefix}.ngram_w"].astype("float64") if has_ngrams else None,
            ngram_b=arrays[f"{prefix}.ngram_b"] if has_ngrams else None,
            alpha=float(config.get("alpha", 1.0)),
            alpha_other=None if config.get("alpha_other") is None else float(config["alpha_other"]),
            temperature=float(config.get("temperature", 1.0)),
            specialists=specialists,
            specialist_weight=float(config.get("specialist_weight") or 0.0),
            tuned=[
                TunedStage(
                    w=arrays[f"{prefix}.tuned.{i}.w"].astype("float64"),
                    b=arrays[f"{prefix}.tuned.{i}.b"].astype("float64"),
                    beta=float(stage["beta"]),
                    temperature=float(stage.get("temperature", 1.0)),
                    languages=(
                        None if stage.get("languages") is None else tuple(stage["languages"])
                    ),
                )
                for i, stage in enumerate(config.get("tuned") or ())
            ],
        )


def _cues_digest() -> str:
    from services.classifier.models.polarity import lexicon_digest

    return lexicon_digest()


def macro_recall(y: Sequence[int] | np.ndarray, pred: np.ndarray, k: int) -> float:
    import numpy as np

    y = np.asarray(y)
    recalls = [float((pred[y == c] == c).mean()) for c in range(k) if (y == c).any()]
    return float(np.mean(recalls))


def macro_f1(y: Sequence[int] | np.ndarray, pred: np.ndarray, k: int) -> float:
    import numpy as np

    y = np.asarray(y)
    scores = []
    for c in range(k):
        tp = float(((pred == c) & (y == c)).sum())
        fp = float(((pred == c) & (y != c)).sum())
        fn = float(((pred != c) & (y == c)).sum())
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def expected_calibration_error(
    y: Sequence[int] | np.ndarray, probs: np.ndarray, bins: int = 15
) -> float:
    """ECE on the top-class confidence, equal-width bins (Guo et al. 2017)."""
    import numpy as np

    y = np.asarray(y)
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in pairwise(edges):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            ece += in_bin.mean() * abs(confidence[in_bin].mean() - correct[in_bin].mean())
    return float(ece)

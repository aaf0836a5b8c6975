"""The published VADER baseline, with lexicon-based abuse scores.

VADER gives a compound score c in [-1, 1], not probabilities. We map it with a 3-class
softmax over logits (-K*c - B, 0, K*c - B): c = 0 favours neutral, a strong |c| pushes
towards negative/positive. K and B were chosen by minimising log-loss on the SemEval English
*train* split (grid search, see `docs/classifier.md`), so the probabilities are calibrated
for English tweets; VADER is English-only, so other languages mostly come out neutral.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

from services.classifier.models.lexicon import LexiconAbuseScorer
from services.classifier.models.pipeline import TextScores

VADER_K = 2.4
VADER_B = 1.0
VADER_VERSION = "vader-3.3.2+lexicon-1"


def compound_to_probs(
    compound: float, k: float = VADER_K, b: float = VADER_B
) -> tuple[float, float, float]:
    logits = (-k * compound - b, 0.0, k * compound - b)
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    total = sum(exps)
    return (exps[0] / total, exps[1] / total, exps[2] / total)


class VaderScorer:
    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()
        self._abuse = LexiconAbuseScorer()
        # VADER's analyzer keeps no per-call state, but guard anyway: the service may call
        # classify from a thread pool.
        self._lock = threading.Lock()

    def score_texts(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> TextScores:
        sentiment: list[tuple[float, float, float]] = []
        offensive: list[float] = []
        hate: list[float] = []
        with self._lock:
            for text in texts:
                try:
                    compound = float(self._analyzer.polarity_scores(text)["compound"])
                except Exception:  # VADER trips on some odd unicode; neutral is the safe answer
                    compound = 0.0
                sentiment.append(compound_to_probs(compound))
                off, hat = self._abuse.score(text)
                offensive.append(off)
                hate.append(hat)
        return TextScores(sentiment, offensive, hate)

"""The part every classifier shares: dedup, language, spam, urgency, assembly of the contract.

A backend only has to turn unique normalised texts into sentiment probabilities and
offensive / hate probabilities (`TextScorer`). Everything per-mention (platform hint, author
reach, brand keywords, thread velocity) is applied here, so the VADER baseline, the shipped
artifact and a Hugging Face model explain urgency identically.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from schemas.mention import Abuse, Classification, Language, Sentiment, SentimentLabel
from services.classifier.models.language import LanguageIdentifier, normalise_hint
from services.classifier.models.spam import SpamScorer
from services.classifier.models.text import normalise_for_model
from services.classifier.models.urgency import UrgencyScorer, UrgencySettings

if TYPE_CHECKING:
    from services.classifier.models import ClassifierInput

log = logging.getLogger(__name__)

LABELS: tuple[SentimentLabel, SentimentLabel, SentimentLabel] = ("negative", "neutral", "positive")
NEUTRAL_FALLBACK = (0.0, 1.0, 0.0)


@dataclass(frozen=True)
class TextScores:
    """Per unique text: (p_negative, p_neutral, p_positive), p_offensive, p_hate."""

    sentiment: list[tuple[float, float, float]]
    offensive: list[float]
    hate: list[float]


class TextScorer(Protocol):
    def score_texts(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> TextScores: ...


@runtime_checkable
class BrandScopedScorer(Protocol):
    """A scorer whose heads may differ per brand (an organisation's corrections model)."""

    def version_for(self, brand: str | None) -> str: ...

    def score_texts(
        self,
        texts: Sequence[str],
        languages: Sequence[str] | None = None,
        brands: Sequence[str | None] | None = None,
    ) -> TextScores: ...


# One text per specialist language: the first batch that needs a specialist would otherwise
# pay for importing its hashers mid-stream (~0.8 s measured with the shipped model).
WARM_UP_TEXTS = (
    "ok thanks",
    "Le service client est vraiment nul",
    "Das Paket ist nie angekommen",
    "No funciona la app desde ayer",
    "Adoro questo prodotto, grazie",
    "O atendimento foi ótimo, recomendo",
    "الخدمة سيئة جدا",
    "सेवा बहुत खराब है",
)


class PipelineClassifier:
    """Implements `Classifier` on top of any `TextScorer`."""

    def __init__(
        self,
        scorer: TextScorer,
        *,
        model_version: str,
        urgency: UrgencySettings | None = None,
        languages: LanguageIdentifier | None = None,
    ) -> None:
        self.model_version = model_version
        self._scorer = scorer
        # Organisation models: heads (and a model version) per brand; None for the rest.
        self._scoped = scorer if isinstance(scorer, BrandScopedScorer) else None
        self._languages = languages or LanguageIdentifier()
        self._spam = SpamScorer()
        self._urgency = UrgencyScorer(urgency)

    def warm_up(self) -> None:
        """Load what the first batches would otherwise load lazily (for a service, before it
        reports ready): every language model, and what each specialist language needs."""
        from services.classifier.models import ClassifierInput

        self._languages.preload()
        self.classify([ClassifierInput(f"warm-up-{i}", t) for i, t in enumerate(WARM_UP_TEXTS)])

    def reload_organisations(self) -> bool:
        """See `Classifier.reload_organisations`; False for scorers without organisations."""
        reload = getattr(self._scorer, "reload_organisations", None)
        return bool(reload()) if reload is not None else False

    def classify(self, items: Sequence[ClassifierInput]) -> list[Classification]:
        if not items:
            return []
        texts = [
            normalise_for_model(item.text if isinstance(item.text, str) else "") for item in items
        ]
        languages = self._identify(texts, [item.lang_hint for item in items])
        # Dedup: retweets and copy-paste campaigns repeat the same text within a batch; each
        # unique (text, language, model version) goes through the model once. The language is
        # part of the key because the sentiment blend depends on it, the version because an
        # organisation may have its own heads.
        scoped = self._scoped
        versions = [
            scoped.version_for(item.brand) if scoped else self.model_version for item in items
        ]
        unique: dict[tuple[str, str, str], int] = {}
        unique_brands: list[str | None] = []  # a brand of each unique key: picks its heads
        for item, text, language, version in zip(items, texts, languages, versions, strict=True):
            if (text, language.code, version) not in unique:
                unique[(text, language.code, version)] = len(unique)
                unique_brands.append(item.brand)
        scores = self._safe_scores(
            [t for t, _, _ in unique],
            [lang for _, lang, _ in unique],
            unique_brands,
        )
        out: list[Classification] = []
        for item, text, language, version in zip(items, texts, languages, versions, strict=True):
            k = unique[(text, language.code, version)]
            probs = scores.sentiment[k] if text else NEUTRAL_FALLBACK
            sentiment = _sentiment(probs)
            spam = self._spam.score(text, author_followers=item.author_followers)
            urgency = self._urgency.score(
                item.text if isinstance(item.text, str) else "",
                negative_prob=sentiment.scores["negative"],
                brand=item.brand,
                author_followers=item.author_followers,
                thread_recent_mentions=item.thread_recent_mentions,
                brand_urgent_keywords=tuple(item.brand_urgent_keywords or ()),
            )
            abuse = Abuse(
                offensive=_prob(scores.offensive[k] if text else 0.0),
                hate=_prob(scores.hate[k] if text else 0.0),
                spam=_prob(spam),
            )
            out.append(
                Classification(
                    sentiment=sentiment,
                    language=language,
                    abuse=abuse,
                    urgency=urgency,
                    model_version=version,
                )
            )
        return out

    def _identify(self, texts: list[str], hints: list[str | None]) -> list[Language]:
        """Language per text, each distinct (text, hint) identified once: a retweet storm
        costs one detection, not one per copy."""
        unique: dict[tuple[str, str | None], int] = {}
        keys = [(text, normalise_hint(hint)) for text, hint in zip(texts, hints, strict=True)]
        for key in keys:
            unique.setdefault(key, len(unique))
        found = self._languages.identify([t for t, _ in unique], [h for _, h in unique])
        return [found[unique[key]] for key in keys]

    def _safe_scores(
        self, texts: list[str], languages: list[str], brands: list[str | None]
    ) -> TextScores:
        """The model sees non-empty texts only; empty ones get a neutral, no-abuse default."""
        real = [t for t in texts if t]
        real_languages = [lang for t, lang in zip(texts, languages, strict=True) if t]
        if not real:
            got = TextScores([], [], [])
        elif self._scoped is not None:
            real_brands = [b for t, b in zip(texts, brands, strict=True) if t]
            got = self._scoped.score_texts(real, real_languages, real_brands)
        else:
            got = self._scorer.score_texts(real, real_languages)
        it = iter(range(len(real)))
        sentiment: list[tuple[float, float, float]] = []
        offensive: list[float] = []
        hate: list[float] = []
        for t in texts:
            if t:
                j = next(it)
                sentiment.append(got.sentiment[j])
                offensive.append(got.offensive[j])
                hate.append(got.hate[j])
            else:
                sentiment.append(NEUTRAL_FALLBACK)
                offensive.append(0.0)
                hate.append(0.0)
        return TextScores(sentiment, offensive, hate)


def _prob(p: float) -> float:
    if p != p:  # NaN from a broken model must not poison the contract
        return 0.0
    return round(min(1.0, max(0.0, float(p))), 6)


def _sentiment(probs: tuple[float, float, float]) -> Sentiment:
    clipped = [_prob(p) for p in probs]
    total = sum(clipped)
    if total <= 0:
        clipped, total = list(NEUTRAL_FALLBACK), 1.0
    normed = [round(p / total, 6) for p in clipped]
    # argmax with a fixed tie-break order (neutral first) keeps labels deterministic.
    best = max((1, 0, 2), key=lambda i: normed[i])
    return Sentiment(label=LABELS[best], scores=dict(zip(LABELS, normed, strict=True)))

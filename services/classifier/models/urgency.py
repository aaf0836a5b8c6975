"""Explainable urgency: a level plus the reasons that raised it. Pure and deterministic.

Every signal adds points and, when it fires, a reason a responder can read; the level is read
off the total (`UrgencyThresholds.level_points`). Points rather than a rule tree because the
signals combine: a refund request alone is routine, a refund request from a 200k-follower
account in a thread that is taking off is not. The decision table in
`tests/unit/classifier/test_urgency_rules.py` is the specification.

Inputs are plain data (`UrgencySignals`), no clock and no I/O, so the router or a notebook can
recompute and explain a level exactly as the classifier did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from schemas.mention import Urgency, UrgencyLevel, UrgencyReason
from services.classifier.models.cues import INTENT_CUES
from services.classifier.models.matcher import CueMatcher
from services.classifier.models.text import fold

# Order matters only for the order of reasons in the output (most serious first).
INTENT_MESSAGES: dict[str, str] = {
    "safety": "Mentions injury, danger or a safety risk",
    "legal_threat": "Threatens legal action or a formal complaint",
    "account_security": "Reports fraud, a scam or a compromised account",
    "outage": "Reports an outage or something not working",
    "press": "Journalist, press or media involvement",
    "cancellation": "Says they will cancel or leave (churn risk)",
    "refund": "Asks for a refund or compensation",
}


class UrgencyThresholds(BaseModel):
    """Tunable numbers; the defaults are social-care rules of thumb, not fitted values."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Negative probability from the calibrated sentiment model. 0.5 = more likely negative
    # than not; 0.8 = the model is sure (on val, ~90% of such tweets are truly negative).
    negative: float = Field(0.5, ge=0, le=1)
    strongly_negative: float = Field(0.8, ge=0, le=1)
    # Reach: 10k followers is the usual "influencer" cut; 100k+ is a public figure whose
    # complaint is seen by more people than most brand posts.
    high_reach_followers: int = Field(10_000, ge=0)
    very_high_reach_followers: int = Field(100_000, ge=0)
    # Thread velocity: mentions in the same conversation during the last hour.
    busy_thread_mentions: int = Field(5, ge=1)
    viral_thread_mentions: int = Field(20, ge=1)
    # Points per signal.
    intent_points: dict[str, int] = Field(
        default_factory=lambda: {
            "safety": 4,
            "legal_threat": 3,
            "account_security": 3,
            "press": 3,
            "outage": 2,
            "cancellation": 1,
            "refund": 1,
        }
    )
    negative_points: int = 1
    strongly_negative_points: int = 2
    high_reach_points: int = 1
    very_high_reach_points: int = 2
    busy_thread_points: int = 1
    viral_thread_points: int = 2
    brand_keyword_points: int = 3
    # Level cut-offs on the total: >= critical -> critical, >= high -> high, >= normal -> normal.
    critical_points: int = 5
    high_points: int = 3
    normal_points: int = 1


class UrgencySettings(BaseModel):
    """Default thresholds plus per-brand overrides (brand -> full thresholds object)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: UrgencyThresholds = Field(default_factory=UrgencyThresholds)
    per_brand: dict[str, UrgencyThresholds] = Field(default_factory=dict)

    def for_brand(self, brand: str | None) -> UrgencyThresholds:
        if brand is not None and brand in self.per_brand:
            return self.per_brand[brand]
        return self.default


@dataclass(frozen=True)
class UrgencySignals:
    """Everything urgency depends on, already extracted."""

    negative_prob: float
    intents: Mapping[str, Sequence[str]] = field(default_factory=dict)  # category -> cues
    author_followers: int | None = None
    thread_recent_mentions: int | None = None
    brand_keywords_found: Sequence[str] = ()


def score_urgency(signals: UrgencySignals, thresholds: UrgencyThresholds) -> Urgency:
    """Pure: same signals and thresholds, same level and reasons, in the same order."""
    points = 0
    reasons: list[UrgencyReason] = []

    def add(n: int, code: str, message: str) -> None:
        nonlocal points
        if n > 0:
            points += n
            reasons.append(UrgencyReason(code=code, message=message))

    for category, message in INTENT_MESSAGES.items():
        cues = (signals.intents or {}).get(category)
        if cues:
            quoted = ", ".join(f"'{c}'" for c in list(cues)[:3])
            add(thresholds.intent_points.get(category, 0), category, f"{message}: {quoted}")
    if signals.brand_keywords_found:
        quoted = ", ".join(f"'{k}'" for k in list(signals.brand_keywords_found)[:3])
        add(thresholds.brand_keyword_points, "brand_keyword", f"Brand urgent keyword: {quoted}")

    neg = signals.negative_prob
    if neg >= thresholds.strongly_negative:
        add(
            thresholds.strongly_negative_points,
            "strongly_negative",
            f"Strongly negative sentiment (p={neg:.2f})",
        )
    elif neg >= thresholds.negative:
        add(thresholds.negative_points, "negative_sentiment", f"Negative sentiment (p={neg:.2f})")

    followers = signals.author_followers
    if followers is not None and followers >= thresholds.very_high_reach_followers:
        add(
            thresholds.very_high_reach_points,
            "very_high_reach",
            f"Very high-reach author ({followers:,} followers)",
        )
    elif followers is not None and followers >= thresholds.high_reach_followers:
        add(
            thresholds.high_reach_points,
            "high_reach",
            f"High-reach author ({followers:,} followers)",
        )

    thread = signals.thread_recent_mentions
    if thread is not None and thread >= thresholds.viral_thread_mentions:
        add(
            thresholds.viral_thread_points,
            "viral_thread",
            f"Fast-growing conversation ({thread} mentions in the last hour)",
        )
    elif thread is not None and thread >= thresholds.busy_thread_mentions:
        add(
            thresholds.busy_thread_points,
            "busy_thread",
            f"Busy conversation ({thread} mentions in the last hour)",
        )

    return Urgency(level=level_for(points, thresholds), reasons=reasons)


def level_for(points: int, thresholds: UrgencyThresholds) -> UrgencyLevel:
    if points >= thresholds.critical_points:
        return "critical"
    if points >= thresholds.high_points:
        return "high"
    if points >= thresholds.normal_points:
        return "normal"
    return "low"


class UrgencyScorer:
    """Extracts signals from a mention and scores it. Build once (the cue automaton), reuse."""

    def __init__(self, settings: UrgencySettings | None = None) -> None:
        self.settings = settings or UrgencySettings()
        self._intents = CueMatcher(INTENT_CUES)
        # Per-brand keyword automatons, cached by the keyword tuple (brands rarely change them).
        self._brand_matchers: dict[tuple[str, ...], CueMatcher] = {}

    def _brand_matcher(self, keywords: tuple[str, ...]) -> CueMatcher:
        matcher = self._brand_matchers.get(keywords)
        if matcher is None:
            usable = [k for k in keywords if fold(k.rstrip("*")).strip()]
            matcher = CueMatcher({"brand_keyword": usable})
            if len(self._brand_matchers) > 1_000:  # bound memory if keywords churn
                self._brand_matchers.clear()
            self._brand_matchers[keywords] = matcher
        return matcher

    def signals(
        self,
        text: str,
        *,
        negative_prob: float,
        author_followers: int | None = None,
        thread_recent_mentions: int | None = None,
        brand_urgent_keywords: tuple[str, ...] = (),
    ) -> UrgencySignals:
        folded = fold(text)
        found = self._intents.find(folded, folded=True)
        brand_found: list[str] = []
        if brand_urgent_keywords:
            hits = self._brand_matcher(brand_urgent_keywords).find(folded, folded=True)
            brand_found = hits.get("brand_keyword", [])
        return UrgencySignals(
            negative_prob=negative_prob,
            intents=found,
            author_followers=author_followers,
            thread_recent_mentions=thread_recent_mentions,
            brand_keywords_found=brand_found,
        )

    def score(
        self,
        text: str,
        *,
        negative_prob: float,
        brand: str | None = None,
        author_followers: int | None = None,
        thread_recent_mentions: int | None = None,
        brand_urgent_keywords: tuple[str, ...] = (),
    ) -> Urgency:
        signals = self.signals(
            text,
            negative_prob=negative_prob,
            author_followers=author_followers,
            thread_recent_mentions=thread_recent_mentions,
            brand_urgent_keywords=brand_urgent_keywords,
        )
        return score_urgency(signals, self.settings.for_brand(brand))

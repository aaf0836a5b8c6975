"""Declarative routing rules: an ordered list, the first rule that matches decides. Pure.

A rule has a `when` (every condition given must hold; an absent condition matches anything)
and a `then` (team, priority, queue, or monitor-only). What a rule's `then` leaves out comes
from the default decision, so a rule that only raises the priority keeps the default team.
No rule matching means the defaults (`routing/defaults.py`) decide alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas import Classification, MentionReceived, Priority, SentimentLabel, UrgencyLevel
from services.router.routing.defaults import (
    URGENCY_PRIORITY,
    RouteDecision,
    RoutingThresholds,
    decide_route,
)

_URGENCY_RANK: dict[UrgencyLevel, int] = {"low": 0, "normal": 1, "high": 2, "critical": 3}


class Range(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min: float | None = None
    max: float | None = None

    def contains(self, value: float | None) -> bool:
        if value is None:  # unknown (e.g. follower count not given) never satisfies a range
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class SentimentScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: SentimentLabel
    min: float | None = Field(default=None, ge=0, le=1)
    max: float | None = Field(default=None, ge=0, le=1)


class RuleWhen(BaseModel):
    """Conditions; lists mean "any of", every condition present must hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    brand: list[str] | None = None
    source: list[str] | None = None
    language: list[str] | None = None
    sentiment: list[SentimentLabel] | None = None
    sentiment_score: SentimentScore | None = None
    urgency: list[UrgencyLevel] | None = None
    min_urgency: UrgencyLevel | None = None
    abusive: bool | None = Field(default=None, description="offensive or hate over threshold")
    spam: bool | None = None
    author_followers: Range | None = None
    author_verified: bool | None = None
    keywords: list[str] | None = Field(default=None, description="any of, case-insensitive")
    exclude_keywords: list[str] | None = None


class RuleThen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    team: str | None = None
    priority: Priority | None = None
    queue: str | None = None
    monitor: bool = Field(default=False, description="monitoring only: no case, no SLA")

    @model_validator(mode="after")
    def _monitor_is_alone(self) -> RuleThen:
        if self.monitor and (self.team or self.priority or self.queue):
            raise ValueError("a monitor-only rule cannot also set team, priority or queue")
        if not self.monitor and not (self.team or self.priority or self.queue):
            raise ValueError("a rule must set team, priority, queue, or monitor: true")
        return self


class RoutingRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
    when: RuleWhen = Field(default_factory=RuleWhen)
    then: RuleThen
    enabled: bool = True


class RuleSet(BaseModel):
    """The YAML document: `rules:` in priority order."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    rules: list[RoutingRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_are_unique(self) -> RuleSet:
        names = [r.name for r in self.rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule names: {', '.join(duplicates)}")
        return self


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its keyword patterns compiled once, not once per mention."""

    rule: RoutingRule
    keywords: re.Pattern[str] | None
    exclude: re.Pattern[str] | None


def _keyword_pattern(words: Sequence[str] | None) -> re.Pattern[str] | None:
    if not words:
        return None
    # Only the start is anchored to a word boundary: people inflect ("refund" should find
    # "refunded"), but "fund" must not find "refund".
    alternatives = "|".join(re.escape(w.casefold()) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})")


def compile_rules(rules: Sequence[RoutingRule]) -> tuple[CompiledRule, ...]:
    return tuple(
        CompiledRule(
            r, _keyword_pattern(r.when.keywords), _keyword_pattern(r.when.exclude_keywords)
        )
        for r in rules
        if r.enabled
    )


def _in(value: str, allowed: Sequence[str] | None) -> bool:
    return allowed is None or value.casefold() in {a.casefold() for a in allowed}


def rule_matches(
    compiled: CompiledRule,
    mention: MentionReceived,
    classification: Classification,
    thresholds: RoutingThresholds = RoutingThresholds(),
) -> bool:
    w = compiled.rule.when
    c = classification
    checks: list[bool] = [
        _in(mention.brand, w.brand),
        _in(mention.source, w.source),
        _in(c.language.code, w.language),
        w.sentiment is None or c.sentiment.label in w.sentiment,
        w.urgency is None or c.urgency.level in w.urgency,
        w.min_urgency is None or _URGENCY_RANK[c.urgency.level] >= _URGENCY_RANK[w.min_urgency],
        w.spam is None or (c.abuse.spam >= thresholds.spam) == w.spam,
        w.author_verified is None or bool(mention.author.verified) == w.author_verified,
    ]
    if not all(checks):
        return False
    if w.abusive is not None:
        abusive = c.abuse.offensive >= thresholds.offensive or c.abuse.hate >= thresholds.hate
        if abusive != w.abusive:
            return False
    if w.sentiment_score is not None:
        score = c.sentiment.scores.get(w.sentiment_score.label, 0.0)
        if not Range(min=w.sentiment_score.min, max=w.sentiment_score.max).contains(score):
            return False
    if w.author_followers is not None and not w.author_followers.contains(mention.author.followers):
        return False
    if compiled.keywords is not None or compiled.exclude is not None:
        text = mention.text.casefold()
        if compiled.keywords is not None and not compiled.keywords.search(text):
            return False
        if compiled.exclude is not None and compiled.exclude.search(text):
            return False
    return True


def apply_rules(
    rules: Sequence[CompiledRule],
    mention: MentionReceived,
    classification: Classification,
    thresholds: RoutingThresholds = RoutingThresholds(),
) -> RouteDecision:
    """The first matching rule's action over the default decision; the defaults if none."""
    default = decide_route(mention, classification, thresholds)
    for compiled in rules:
        if rule_matches(compiled, mention, classification, thresholds):
            return _merge(default, compiled.rule, classification)
    return default


def _merge(
    default: RouteDecision, rule: RoutingRule, classification: Classification
) -> RouteDecision:
    then = rule.then
    name = f"rule:{rule.name}"
    if then.monitor:
        return RouteDecision("monitor", None, None, None, name)
    team = then.team or default.team or "support"
    priority: Priority = (
        then.priority or default.priority or URGENCY_PRIORITY[classification.urgency.level]
    )
    # A rule that moves the team without naming a queue uses that team's own queue.
    queue = then.queue or (default.queue if then.team is None else None) or team
    action: Literal["case", "monitor"] = "case"
    return RouteDecision(action, team, queue, priority, name)


def parse_rule_set(document: Any) -> RuleSet:
    """Validate a loaded YAML/JSON document; raises pydantic.ValidationError with locations."""
    return RuleSet.model_validate(document or {})

"""Routing rules: ordered, first match wins, unset actions fall back to the defaults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from schemas import Classification, MentionReceived
from services.router.routing.defaults import RouteDecision
from services.router.routing.rules import RoutingRule, apply_rules, compile_rules, parse_rule_set

EXAMPLE = Path(__file__).parents[3] / "schemas" / "examples" / "earshot.mention.classified.v1.json"


def mention_and_classification(
    *,
    text: str = "My flight was cancelled and nobody answers. I need a refund today.",
    brand: str = "northwind",
    source: str = "mastodon",
    followers: int | None = 1840,
    verified: bool | None = None,
    sentiment: str = "negative",
    scores: dict[str, float] | None = None,
    urgency: str = "normal",
    language: str = "en",
    abuse: dict[str, float] | None = None,
) -> tuple[MentionReceived, Classification]:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))["data"]
    m, c = data["mention"], data["classification"]
    m.update(text=text, brand=brand, source=source)
    m["author"] = {"handle": "@a", "followers": followers, "verified": verified}
    c["sentiment"] = {
        "label": sentiment,
        "scores": scores or {"negative": 0.91, "neutral": 0.07, "positive": 0.02},
    }
    c["urgency"] = {"level": urgency, "reasons": []}
    c["language"]["code"] = language
    c["abuse"] = {"offensive": 0.0, "hate": 0.0, "spam": 0.0} | (abuse or {})
    return MentionReceived.model_validate(m), Classification.model_validate(c)


def route(rules: list[dict[str, Any]], **mention: Any) -> RouteDecision:
    rule_set = parse_rule_set({"rules": rules})
    return apply_rules(compile_rules(rule_set.rules), *mention_and_classification(**mention))


VIP = {"name": "vip", "when": {"author_followers": {"min": 10000}}, "then": {"priority": "p1"}}


@pytest.mark.parametrize(
    ("when", "mention", "matches"),
    [
        ({"brand": ["northwind"]}, {}, True),
        ({"brand": ["NorthWind"]}, {}, True),
        ({"brand": ["acme"]}, {}, False),
        ({"source": ["x", "mastodon"]}, {}, True),
        ({"source": ["x"]}, {}, False),
        ({"language": ["de"]}, {}, False),
        ({"language": ["de", "en"]}, {}, True),
        ({"sentiment": ["negative"]}, {}, True),
        ({"sentiment": ["positive"]}, {}, False),
        ({"sentiment_score": {"label": "negative", "min": 0.9}}, {}, True),
        ({"sentiment_score": {"label": "negative", "min": 0.95}}, {}, False),
        ({"sentiment_score": {"label": "positive", "max": 0.1}}, {}, True),
        ({"urgency": ["critical"]}, {"urgency": "critical"}, True),
        ({"urgency": ["critical"]}, {"urgency": "high"}, False),
        ({"min_urgency": "high"}, {"urgency": "critical"}, True),
        ({"min_urgency": "high"}, {"urgency": "high"}, True),
        ({"min_urgency": "high"}, {"urgency": "normal"}, False),
        ({"abusive": True}, {"abuse": {"hate": 0.7}}, True),
        ({"abusive": True}, {"abuse": {"offensive": 0.2}}, False),
        ({"abusive": False}, {"abuse": {"offensive": 0.2}}, True),
        ({"spam": True}, {"abuse": {"spam": 0.9}}, True),
        ({"spam": False}, {"abuse": {"spam": 0.9}}, False),
        ({"author_followers": {"min": 1000}}, {}, True),
        ({"author_followers": {"min": 10000}}, {}, False),
        ({"author_followers": {"min": 0}}, {"followers": None}, False),
        ({"author_verified": True}, {"verified": True}, True),
        ({"author_verified": True}, {"verified": None}, False),
        ({"keywords": ["REFUND"]}, {}, True),
        ({"keywords": ["fund"]}, {}, False),
        ({"keywords": ["lawyer", "nobody answers"]}, {}, True),
        ({"keywords": ["refund"], "exclude_keywords": ["cancelled"]}, {}, False),
        ({"brand": ["northwind"], "language": ["de"]}, {}, False),
        ({}, {}, True),
    ],
)
def test_each_condition_matches_as_documented(
    when: dict[str, Any], mention: dict[str, Any], matches: bool
) -> None:
    rule = {"name": "r", "when": when, "then": {"queue": "hit"}}
    assert (route([rule], **mention).rule == "rule:r") is matches


def test_with_no_rules_the_defaults_decide() -> None:
    decision = route([], sentiment="negative", urgency="normal")
    assert (decision.action, decision.team, decision.priority) == ("case", "support", "p3")
    assert decision.rule == "default:negative"


def test_first_matching_rule_wins() -> None:
    rules = [
        {"name": "a", "when": {"brand": ["acme"]}, "then": {"team": "moderation"}},
        {"name": "b", "when": {"sentiment": ["negative"]}, "then": {"priority": "p1"}},
        {"name": "c", "when": {}, "then": {"priority": "p4"}},
    ]
    decision = route(rules)
    assert (decision.rule, decision.priority) == ("rule:b", "p1")


def test_a_rule_setting_only_priority_keeps_the_default_team_and_queue() -> None:
    decision = route([VIP], followers=50_000, sentiment="negative")
    assert (decision.team, decision.queue, decision.priority) == ("support", "support", "p1")


def test_a_rule_moving_the_team_uses_that_teams_queue_unless_given() -> None:
    moved = route([{"name": "m", "when": {}, "then": {"team": "engagement"}}])
    assert (moved.team, moved.queue) == ("engagement", "engagement")
    vip = route([{"name": "v", "when": {}, "then": {"team": "support", "queue": "vip"}}])
    assert (vip.team, vip.queue) == ("support", "vip")


def test_a_rule_can_open_a_case_for_a_mention_the_defaults_only_monitor() -> None:
    decision = route(
        [{"name": "all-x", "when": {"source": ["mastodon"]}, "then": {"team": "engagement"}}],
        sentiment="neutral",
        scores={"negative": 0.1, "neutral": 0.8, "positive": 0.1},
    )
    assert (decision.action, decision.team, decision.priority) == ("case", "engagement", "p3")


def test_monitor_only_rule_opens_no_case() -> None:
    decision = route(
        [{"name": "quiet", "when": {"brand": ["northwind"]}, "then": {"monitor": True}}]
    )
    assert (decision.action, decision.team, decision.priority) == ("monitor", None, None)


def test_disabled_rules_are_skipped() -> None:
    decision = route([{**VIP, "enabled": False}], followers=50_000)
    assert decision.rule == "default:negative"


@pytest.mark.parametrize(
    "bad",
    [
        {"rules": [{"name": "x", "when": {}, "then": {}}]},
        {"rules": [{"name": "x", "when": {}, "then": {"monitor": True, "team": "support"}}]},
        {"rules": [{"name": "x", "when": {"colour": ["red"]}, "then": {"priority": "p1"}}]},
        {"rules": [{"name": "x", "then": {"priority": "p9"}}]},
        {"rules": [{"name": "x", "when": {"urgency": ["panic"]}, "then": {"priority": "p1"}}]},
        {"rules": [VIP, VIP]},
        {"rules": [{"name": "has space", "then": {"priority": "p1"}}]},
    ],
)
def test_invalid_rule_sets_are_rejected_with_a_reason(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_rule_set(bad)


def test_rules_round_trip_through_their_json_form() -> None:
    rule = RoutingRule.model_validate(VIP)
    assert RoutingRule.model_validate(rule.model_dump(mode="json")) == rule

"""The default rule set: what happens to a mention with no routing rules configured."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas import Classification, MentionClassified
from services.router.routing import decide_route

EXAMPLE = Path(__file__).parents[3] / "schemas" / "examples" / "earshot.mention.classified.v1.json"


def classified(**changes: Any) -> MentionClassified:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))["data"]
    c = data["classification"]
    c["sentiment"]["label"] = changes.get("sentiment", "neutral")
    c["urgency"]["level"] = changes.get("urgency", "normal")
    c["abuse"] = {"offensive": 0.0, "hate": 0.0, "spam": 0.0} | changes.get("abuse", {})
    return MentionClassified.model_validate(data)


def route(**changes: Any) -> tuple[str, str | None, str | None]:
    event = classified(**changes)
    decision = decide_route(event.mention, Classification.model_validate(event.classification))
    return decision.action, decision.team, decision.priority


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"sentiment": "negative"}, ("case", "support", "p3")),
        ({"sentiment": "negative", "urgency": "critical"}, ("case", "support", "p1")),
        ({"sentiment": "neutral", "urgency": "high"}, ("case", "support", "p2")),
        ({"sentiment": "positive"}, ("case", "engagement", "p4")),
        ({"sentiment": "neutral"}, ("monitor", None, None)),
        ({"sentiment": "neutral", "urgency": "low"}, ("monitor", None, None)),
        ({"sentiment": "negative", "abuse": {"offensive": 0.9}}, ("case", "moderation", "p3")),
        ({"sentiment": "negative", "abuse": {"hate": 0.8}}, ("case", "moderation", "p2")),
        ({"sentiment": "positive", "abuse": {"spam": 0.95}}, ("case", "moderation", "p4")),
        ({"sentiment": "negative", "abuse": {"offensive": 0.49}}, ("case", "support", "p3")),
    ],
)
def test_default_rules(
    changes: dict[str, Any], expected: tuple[str, str | None, str | None]
) -> None:
    assert route(**changes) == expected


@pytest.fixture
def fresh_abuse_settings() -> Iterator[None]:
    from services.shared.settings import abuse_settings

    abuse_settings.cache_clear()
    yield
    abuse_settings.cache_clear()


@pytest.mark.usefixtures("fresh_abuse_settings")
def test_abuse_thresholds_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.router.settings import RouterSettings

    event = classified(sentiment="negative", abuse={"offensive": 0.6})
    mention, classification = event.mention, Classification.model_validate(event.classification)
    assert decide_route(mention, classification).team == "moderation"  # defaults: 0.5
    monkeypatch.setenv("EARSHOT_ABUSE_OFFENSIVE_THRESHOLD", "0.7")
    thresholds = RouterSettings().thresholds()
    assert (thresholds.offensive, thresholds.hate, thresholds.spam) == (0.7, 0.5, 0.5)
    # Not abusive enough for moderation now: the negative mention is answered by support.
    assert decide_route(mention, classification, thresholds).team == "support"


@pytest.mark.usefixtures("fresh_abuse_settings")
def test_the_api_flags_by_the_same_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.api.repo.actions import flagged_by_model_sql
    from services.api.views import flagged_by_model

    scores = {"abuse": {"offensive": 0.6, "hate": 0.0, "spam": 0.0}}
    assert flagged_by_model(scores)
    monkeypatch.setenv("EARSHOT_ABUSE_OFFENSIVE_THRESHOLD", "0.7")
    from services.shared.settings import abuse_settings

    abuse_settings.cache_clear()
    assert not flagged_by_model(scores)
    assert ">= 0.7" in flagged_by_model_sql() and ">= 0.5" in flagged_by_model_sql()


@pytest.mark.usefixtures("fresh_abuse_settings")
@pytest.mark.parametrize("value", ["-0.1", "1.5", "high"])
def test_an_abuse_threshold_outside_zero_to_one_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    from pydantic import ValidationError

    from services.shared.settings import AbuseSettings

    monkeypatch.setenv("EARSHOT_ABUSE_SPAM_THRESHOLD", value)
    with pytest.raises(ValidationError, match="abuse_spam_threshold"):
        AbuseSettings()


def test_routing_thresholds_refuse_values_that_are_no_probability() -> None:
    from services.router.routing import RoutingThresholds

    with pytest.raises(ValueError, match="hate threshold"):
        RoutingThresholds(hate=1.2)

"""The default rule set: what happens to a mention with no routing rules configured."""

from __future__ import annotations

import json
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

"""The default rule set, working with no configuration (DESIGN: routing semantics).

Abusive or spam -> moderation; urgent or negative -> support; positive -> engagement;
everything else is monitoring only (stored and counted, no case, no SLA). Order matters: a
negative mention that is also abusive goes to moderation, where a human decides; nothing is
hidden or deleted automatically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas import Classification, MentionReceived, Priority, UrgencyLevel

URGENCY_PRIORITY: dict[UrgencyLevel, Priority] = {
    "critical": "p1",
    "high": "p2",
    "normal": "p3",
    "low": "p4",
}


@dataclass(frozen=True)
class RoutingThresholds:
    """Abuse and spam scores from which a mention goes to moderation. The scores are
    calibrated probabilities, and 0.5 is the decision boundary they were fitted for; a
    deployment that wants fewer false alarms in moderation raises them
    (`EARSHOT_ABUSE_OFFENSIVE_THRESHOLD` ...)."""

    offensive: float = 0.5
    hate: float = 0.5
    spam: float = 0.5

    def __post_init__(self) -> None:
        for name in ("offensive", "hate", "spam"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"the {name} threshold must be within [0, 1]")


@dataclass(frozen=True)
class RouteDecision:
    action: Literal["case", "monitor"]
    team: str | None
    queue: str | None
    priority: Priority | None
    rule: str

    def as_json(self) -> dict[str, str | None]:
        return {
            "action": self.action,
            "team": self.team,
            "queue": self.queue,
            "priority": self.priority,
            "rule": self.rule,
        }


def _case(team: str, priority: Priority, rule: str) -> RouteDecision:
    return RouteDecision("case", team, team, priority, rule)


def decide_route(
    mention: MentionReceived,
    classification: Classification,
    thresholds: RoutingThresholds = RoutingThresholds(),
) -> RouteDecision:
    abuse = classification.abuse
    urgency = classification.urgency.level
    if abuse.spam >= thresholds.spam:
        return _case("moderation", "p4", "default:spam")
    if abuse.hate >= thresholds.hate:
        return _case("moderation", "p2", "default:hate")
    if abuse.offensive >= thresholds.offensive:
        return _case("moderation", "p3", "default:offensive")
    if urgency in ("critical", "high"):
        return _case("support", URGENCY_PRIORITY[urgency], f"default:urgency_{urgency}")
    if classification.sentiment.label == "negative":
        return _case("support", URGENCY_PRIORITY[urgency], "default:negative")
    if classification.sentiment.label == "positive":
        return _case("engagement", "p4", "default:positive")
    return RouteDecision("monitor", None, None, None, "default:monitoring")

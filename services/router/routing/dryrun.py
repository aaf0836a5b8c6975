"""Dry run of a proposed rule set: what would change against mentions already routed. Pure.

The report answers what an ops lead asks before switching rules on: how many mentions change
route, where they move (team -> team), how priorities shift, and the SLA load per team (how
many mentions would start a clock, by priority), before and after.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from services.router.routing.defaults import RouteDecision


def _team(decision: RouteDecision) -> str:
    return decision.team if decision.action == "case" and decision.team else "monitoring"


@dataclass
class DryRunReport:
    mentions: int = 0
    changed: int = 0
    moves: Counter[tuple[str, str]] = field(default_factory=Counter)
    priority_changes: Counter[tuple[str, str]] = field(default_factory=Counter)
    sla_before: Counter[tuple[str, str]] = field(default_factory=Counter)
    sla_after: Counter[tuple[str, str]] = field(default_factory=Counter)
    rules_hit: Counter[str] = field(default_factory=Counter)

    def add(self, before: RouteDecision, after: RouteDecision) -> None:
        self.mentions += 1
        self.rules_hit[after.rule] += 1
        if before.action == "case":
            self.sla_before[(_team(before), before.priority or "-")] += 1
        if after.action == "case":
            self.sla_after[(_team(after), after.priority or "-")] += 1
        if (before.action, before.team, before.queue, before.priority) == (
            after.action,
            after.team,
            after.queue,
            after.priority,
        ):
            return
        self.changed += 1
        if _team(before) != _team(after):
            self.moves[(_team(before), _team(after))] += 1
        if before.priority != after.priority:
            self.priority_changes[(before.priority or "-", after.priority or "-")] += 1

    def as_json(self) -> dict[str, Any]:
        def pairs(counter: Counter[tuple[str, str]], a: str, b: str) -> list[dict[str, Any]]:
            return [{a: x, b: y, "mentions": n} for (x, y), n in sorted(counter.items())]

        teams = sorted({t for t, _ in self.sla_before} | {t for t, _ in self.sla_after})
        load = []
        for team in teams:
            before = {p: n for (t, p), n in self.sla_before.items() if t == team}
            after = {p: n for (t, p), n in self.sla_after.items() if t == team}
            load.append(
                {
                    "team": team,
                    "before": sum(before.values()),
                    "after": sum(after.values()),
                    "by_priority_before": dict(sorted(before.items())),
                    "by_priority_after": dict(sorted(after.items())),
                }
            )
        return {
            "mentions": self.mentions,
            "changed": self.changed,
            "team_moves": pairs(self.moves, "from", "to"),
            "priority_changes": pairs(self.priority_changes, "from", "to"),
            "sla_load": load,
            "rules_hit": dict(self.rules_hit.most_common()),
        }


def compare_routes(pairs: Iterable[tuple[RouteDecision, RouteDecision]]) -> DryRunReport:
    report = DryRunReport()
    for before, after in pairs:
        report.add(before, after)
    return report


def decision_from_json(route: dict[str, Any]) -> RouteDecision:
    """The route stored with a mention (`mentions.route`), back as a decision."""
    return RouteDecision(
        action=route.get("action", "monitor"),
        team=route.get("team"),
        queue=route.get("queue"),
        priority=route.get("priority"),
        rule=route.get("rule", "unknown"),
    )

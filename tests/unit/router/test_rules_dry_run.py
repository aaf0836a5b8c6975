"""Dry run: what a proposed rule set would change, without applying it."""

from __future__ import annotations

from services.router.routing.defaults import RouteDecision
from services.router.routing.dryrun import compare_routes, decision_from_json

SUPPORT_P3 = RouteDecision("case", "support", "support", "p3", "default:negative")
SUPPORT_P1 = RouteDecision("case", "support", "vip", "p1", "rule:vip")
MODERATION = RouteDecision("case", "moderation", "moderation", "p3", "rule:abuse")
MONITOR = RouteDecision("monitor", None, None, None, "default:monitoring")
ENGAGE = RouteDecision("case", "engagement", "engagement", "p4", "rule:all")


def test_report_counts_moves_priority_changes_and_sla_load() -> None:
    report = compare_routes(
        [
            (SUPPORT_P3, SUPPORT_P3),
            (SUPPORT_P3, SUPPORT_P1),
            (SUPPORT_P3, MODERATION),
            (MONITOR, ENGAGE),
            (MONITOR, MONITOR),
        ]
    ).as_json()
    assert report["mentions"] == 5
    assert report["changed"] == 3
    assert report["team_moves"] == [
        {"from": "monitoring", "to": "engagement", "mentions": 1},
        {"from": "support", "to": "moderation", "mentions": 1},
    ]
    assert {"from": "p3", "to": "p1", "mentions": 1} in report["priority_changes"]
    load = {row["team"]: row for row in report["sla_load"]}
    assert (load["support"]["before"], load["support"]["after"]) == (3, 2)
    assert load["support"]["by_priority_after"] == {"p1": 1, "p3": 1}
    assert (load["engagement"]["before"], load["engagement"]["after"]) == (0, 1)
    assert report["rules_hit"]["rule:vip"] == 1


def test_stored_route_json_round_trips() -> None:
    assert decision_from_json(SUPPORT_P1.as_json()) == SUPPORT_P1

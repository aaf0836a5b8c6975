"""Where a confirmed spike's incident goes."""

from __future__ import annotations

from services.router.routing.incidents import IncidentRoute, incident_route


def test_support_takes_incidents_at_critical_priority() -> None:
    assert incident_route("volume", ["engagement", "moderation", "support"]) == IncidentRoute(
        team="support", priority="p1", queue="incidents"
    )


def test_without_support_the_first_team_by_name_takes_them() -> None:
    route = incident_route("negative_share", ["social-care", "moderation"])
    assert route is not None and route.team == "moderation"


def test_no_team_no_incident_yet() -> None:
    assert incident_route("volume", []) is None

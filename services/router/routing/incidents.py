"""Where an incident goes: the team and priority of a case opened for a confirmed spike. Pure.

A crisis is customer care's to coordinate: the `support` team takes it when it exists (the
default install has it), otherwise the first team by name, so a renamed setup still gets
its incidents. Always critical (p1): it outranks every ordinary case in the queue order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schemas import Priority

INCIDENT_TEAM = "support"
INCIDENT_QUEUE = "incidents"


@dataclass(frozen=True)
class IncidentRoute:
    team: str
    priority: Priority
    queue: str = INCIDENT_QUEUE


def incident_route(kind: str, teams: Iterable[str]) -> IncidentRoute | None:
    """None when there is no team at all (nothing can own the incident yet)."""
    known = sorted(teams)
    if not known:
        return None
    team = INCIDENT_TEAM if INCIDENT_TEAM in known else known[0]
    return IncidentRoute(team=team, priority="p1")

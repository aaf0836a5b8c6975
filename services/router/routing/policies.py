"""SLA policies and the timers a clock needs, in business time. Pure.

A policy gives targets per team and priority. Lookup order: (team, priority), then the team's
'*' row, then the team's own first-response target (teams table, 6 business hours by default).
Next response defaults to the first-response target: a customer who writes again after an
answer waits under the same promise. Warnings fire at fractions of the budget counted in
business time, so "75 %" of a 6-hour target on a Friday at 17:00 falls on Monday, not at
night.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.router.sla import BusinessCalendar, due_at

Clock = Literal["first_response", "next_response", "resolution"]
DEFAULT_FIRST_RESPONSE_SECONDS = 6 * 3600
DEFAULT_WARNING_FRACTIONS: tuple[float, ...] = (0.5, 0.75)


@dataclass(frozen=True)
class SlaPolicy:
    first_response_seconds: int = DEFAULT_FIRST_RESPONSE_SECONDS
    next_response_seconds: int | None = None
    resolution_seconds: int | None = None
    warning_fractions: tuple[float, ...] = DEFAULT_WARNING_FRACTIONS

    def target(self, clock: Clock) -> int | None:
        if clock == "first_response":
            return self.first_response_seconds
        if clock == "next_response":
            return self.next_response_seconds or self.first_response_seconds
        return self.resolution_seconds


def resolve_policy(
    policies: Mapping[tuple[str, str], SlaPolicy],
    *,
    team: str,
    priority: str | None,
    team_first_response_seconds: int = DEFAULT_FIRST_RESPONSE_SECONDS,
) -> SlaPolicy:
    if priority is not None and (team, priority) in policies:
        return policies[(team, priority)]
    if (team, "*") in policies:
        return policies[(team, "*")]
    return SlaPolicy(first_response_seconds=team_first_response_seconds)


@dataclass(frozen=True)
class TimerPlan:
    clock: Clock
    kind: Literal["warning", "breach"]
    fraction: float
    fire_at: datetime


def plan_clock_timers(
    *,
    clock: Clock,
    started_at: datetime,
    policy: SlaPolicy,
    calendar: BusinessCalendar,
) -> list[TimerPlan]:
    """The warnings and the breach of one clock; empty when the policy has no such target."""
    target = policy.target(clock)
    if target is None:
        return []
    fractions: Sequence[float] = () if clock == "resolution" else policy.warning_fractions
    plans = [
        TimerPlan(clock, "warning", f, due_at(started_at, round(target * f), calendar))
        for f in sorted(set(fractions))
        if 0 < f < 1
    ]
    plans.append(TimerPlan(clock, "breach", 1.0, due_at(started_at, target, calendar)))
    return plans


TimerOutcome = Literal["fire", "cancel"]


@dataclass(frozen=True)
class CaseClockState:
    """What the sweeper re-reads about the case when a timer comes due."""

    status: str
    sla_clock: str | None
    sla_clock_seq: int
    sla_started_at: datetime
    sla_due_at: datetime
    first_response_at: datetime | None
    last_response_at: datetime | None


def awaiting_response(case: CaseClockState) -> bool:
    """True while the customer waits for an answer: no response yet, or none since the
    next-response clock started."""
    if case.first_response_at is None:
        return True
    if case.sla_clock != "next_response":
        return False
    responses = [t for t in (case.first_response_at, case.last_response_at) if t is not None]
    return max(responses) < case.sla_started_at


def timer_outcome(
    *,
    clock: Clock,
    clock_seq: int,
    kind: Literal["warning", "breach"],
    case: CaseClockState,
    now: datetime,
) -> TimerOutcome:
    """Fire only if the clock the timer belongs to is still running at fire time.

    A response recorded by the API after the timer was planned (it sets first_response_at),
    a resolution, or a newer clock (a later mention restarted it) all cancel the timer. A
    warning whose breach is already due is cancelled too: a mention that reached the router
    late would otherwise announce "half the budget used" next to "breached".
    """
    if case.status not in ("open", "pending"):
        return "cancel"
    if clock == "resolution":
        return "fire"
    if case.sla_clock != clock or case.sla_clock_seq != clock_seq:
        return "cancel"
    if not awaiting_response(case):
        return "cancel"
    if kind == "warning" and case.sla_due_at <= now:
        return "cancel"
    return "fire"

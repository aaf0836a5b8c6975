"""SLA policies: lookup, timers in business time, and the fire-time re-check."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.router.routing.policies import (
    CaseClockState,
    SlaPolicy,
    awaiting_response,
    plan_clock_timers,
    resolve_policy,
    timer_outcome,
)
from services.router.sla import BusinessCalendar

NINE_TO_SIX = BusinessCalendar.from_dict(
    {
        "timezone": "Europe/Bucharest",
        "weekly": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
        | {"sat": [], "sun": []},
        "holidays": ["2026-12-25"],
    }
)


def test_policy_lookup_prefers_priority_then_team_fallback_then_team_target() -> None:
    p1 = SlaPolicy(first_response_seconds=3600)
    fallback = SlaPolicy(first_response_seconds=7200)
    policies = {("support", "p1"): p1, ("support", "*"): fallback}
    assert resolve_policy(policies, team="support", priority="p1") is p1
    assert resolve_policy(policies, team="support", priority="p3") is fallback
    default = resolve_policy(policies, team="engagement", priority="p1",
                             team_first_response_seconds=86400)  # fmt: skip
    assert default.first_response_seconds == 86400
    assert default.warning_fractions == (0.5, 0.75)


def test_default_first_response_is_six_business_hours_and_next_response_follows_it() -> None:
    policy = SlaPolicy()
    assert policy.target("first_response") == 6 * 3600
    assert policy.target("next_response") == 6 * 3600
    assert policy.target("resolution") is None


def test_warnings_fall_at_fractions_of_business_time_not_wall_time() -> None:
    # Friday 15:00 local (13:00Z): 6 business hours end Monday 12:00 local.
    start = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    plans = plan_clock_timers(
        clock="first_response", started_at=start, policy=SlaPolicy(), calendar=NINE_TO_SIX
    )
    assert [(p.kind, p.fraction) for p in plans] == [
        ("warning", 0.5), ("warning", 0.75), ("breach", 1.0),
    ]  # fmt: skip
    local = [p.fire_at.astimezone(NINE_TO_SIX._zone).strftime("%a %H:%M") for p in plans]
    assert local == ["Fri 18:00", "Mon 10:30", "Mon 12:00"]


def test_resolution_clock_has_a_breach_only_and_none_without_a_target() -> None:
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    policy = SlaPolicy(resolution_seconds=9 * 3600)
    plans = plan_clock_timers(clock="resolution", started_at=start, policy=policy,
                              calendar=NINE_TO_SIX)  # fmt: skip
    assert [(p.kind, p.fraction) for p in plans] == [("breach", 1.0)]
    assert plan_clock_timers(clock="resolution", started_at=start, policy=SlaPolicy(),
                             calendar=NINE_TO_SIX) == []  # fmt: skip


def test_fractions_outside_zero_one_and_duplicates_are_ignored() -> None:
    policy = SlaPolicy(warning_fractions=(0.75, 0.0, 1.0, 0.75, 1.5))
    plans = plan_clock_timers(clock="first_response", started_at=datetime(2026, 11, 23, tzinfo=UTC),
                              policy=policy, calendar=NINE_TO_SIX)  # fmt: skip
    assert [p.fraction for p in plans] == [0.75, 1.0]


T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RUNNING = CaseClockState(
    status="open",
    sla_clock="first_response",
    sla_clock_seq=0,
    sla_started_at=T0,
    sla_due_at=T0 + timedelta(hours=6),
    first_response_at=None,
    last_response_at=None,
)
NEXT = replace(
    RUNNING,
    sla_clock="next_response",
    sla_clock_seq=1,
    sla_started_at=T0 + timedelta(hours=2),
    first_response_at=T0 + timedelta(hours=1),
)


@pytest.mark.parametrize(
    ("timer", "case", "expected"),
    [
        ({"clock": "first_response", "clock_seq": 0, "kind": "breach"}, RUNNING, "fire"),
        ({"clock": "first_response", "clock_seq": 0, "kind": "warning"}, RUNNING, "fire"),
        (
            {"clock": "first_response", "clock_seq": 0, "kind": "breach"},
            replace(RUNNING, first_response_at=T0 + timedelta(hours=5)),
            "cancel",
        ),
        (
            {"clock": "first_response", "clock_seq": 0, "kind": "breach"},
            replace(RUNNING, status="resolved"),
            "cancel",
        ),
        (
            {"clock": "first_response", "clock_seq": 0, "kind": "breach"},
            replace(RUNNING, status="pending"),
            "fire",
        ),
        ({"clock": "first_response", "clock_seq": 0, "kind": "breach"}, NEXT, "cancel"),
        ({"clock": "next_response", "clock_seq": 1, "kind": "breach"}, NEXT, "fire"),
        ({"clock": "next_response", "clock_seq": 0, "kind": "breach"}, NEXT, "cancel"),
        (
            {"clock": "next_response", "clock_seq": 1, "kind": "breach"},
            replace(NEXT, last_response_at=T0 + timedelta(hours=3)),
            "cancel",
        ),
        ({"clock": "resolution", "clock_seq": 0, "kind": "breach"}, NEXT, "fire"),
        (
            {"clock": "resolution", "clock_seq": 0, "kind": "breach"},
            replace(NEXT, status="resolved"),
            "cancel",
        ),
    ],
)
def test_timer_outcome_rechecks_the_case_at_fire_time(
    timer: dict[str, Any], case: CaseClockState, expected: str
) -> None:
    assert timer_outcome(**timer, case=case, now=T0 + timedelta(hours=1)) == expected


def test_a_warning_is_dropped_when_the_breach_is_already_due() -> None:
    late = T0 + timedelta(hours=7)
    assert timer_outcome(clock="first_response", clock_seq=0, kind="warning", case=RUNNING,
                         now=late) == "cancel"  # fmt: skip
    assert timer_outcome(clock="first_response", clock_seq=0, kind="breach", case=RUNNING,
                         now=late) == "fire"  # fmt: skip


def test_awaiting_response() -> None:
    assert awaiting_response(RUNNING)
    assert not awaiting_response(replace(RUNNING, first_response_at=T0))
    assert awaiting_response(NEXT)
    assert not awaiting_response(replace(NEXT, last_response_at=T0 + timedelta(hours=4)))

"""Assignment decisions: eligibility, least loaded first, round robin on ties, capacity."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.router.routing.assignment import (
    QueuedCase,
    Responder,
    choose_responder,
    plan_assignments,
    queue_order,
    should_return_to_queue,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def person(id: str, **kw: Any) -> Responder:
    return Responder(**({"id": id, "status": "online", "capacity": 5} | kw))


def case(id: str = "c1", **kw: Any) -> QueuedCase:
    base: dict[str, Any] = {
        "id": id,
        "priority": "p3",
        "sla_due_at": NOW + timedelta(hours=1),
        "brand": "northwind",
        "language": "en",
        "channel": "x",
    }
    return QueuedCase(**(base | kw))


@pytest.mark.parametrize(
    ("responder", "expected"),
    [
        (person("a"), "a"),
        (person("a", status="away"), None),
        (person("a", status="offline"), None),
        (person("a", load=5), None),
        (person("a", load=4), "a"),
        (person("a", capacity=0), None),
        (person("a", languages=frozenset({"de"})), None),
        (person("a", languages=frozenset({"de", "EN"})), "a"),
        (person("a", brands=frozenset({"acme"})), None),
        (person("a", brands=frozenset({"northwind"})), "a"),
        (person("a", channels=frozenset({"instagram"})), None),
        (person("a", channels=frozenset({"x"})), "a"),
    ],
)
def test_eligibility_decision_table(responder: Responder, expected: str | None) -> None:
    chosen = choose_responder(case(), [responder])
    assert (chosen.id if chosen else None) == expected


def test_an_unknown_language_is_not_blocked_by_language_skills() -> None:
    assert choose_responder(case(language=None), [person("a", languages=frozenset({"de"}))])


def test_breach_reassignment_never_hands_the_case_back_to_the_same_person() -> None:
    chosen = choose_responder(case(exclude="a"), [person("a"), person("b", load=3)])
    assert chosen is not None and chosen.id == "b"


def test_least_loaded_first() -> None:
    chosen = choose_responder(
        case(), [person("a", load=3), person("b", load=1), person("c", load=2)]
    )
    assert chosen is not None and chosen.id == "b"


def test_tie_goes_to_whoever_waited_longest_then_never_assigned_first() -> None:
    people = [
        person("a", last_assigned_at=NOW - timedelta(minutes=1)),
        person("b", last_assigned_at=NOW - timedelta(minutes=9)),
        person("c", last_assigned_at=None),
    ]
    chosen = choose_responder(case(), people)
    assert chosen is not None and chosen.id == "c"
    chosen = choose_responder(case(), people[:2])
    assert chosen is not None and chosen.id == "b"


def test_nobody_eligible_means_the_case_waits() -> None:
    assert plan_assignments([case()], [person("a", status="away")], now=NOW) == []


def test_fair_over_many_assignments_and_capacity_is_never_exceeded() -> None:
    people = [person(p, capacity=40) for p in "abcde"]
    cases = [case(f"c{i:03}") for i in range(180)]
    plan = plan_assignments(cases, people, now=NOW)
    counts = Counter(responder for _, responder in plan)
    assert len(plan) == 180
    assert set(counts.values()) == {36}  # perfectly even


def test_capacity_limits_how_many_are_assigned_the_rest_wait_in_queue_order() -> None:
    people = [person("a", capacity=2, load=1), person("b", capacity=1)]
    cases = [
        case("late", priority="p3", sla_due_at=NOW + timedelta(hours=5)),
        case("soon", priority="p3", sla_due_at=NOW + timedelta(minutes=5)),
        case("urgent", priority="p1", sla_due_at=NOW + timedelta(hours=9)),
    ]
    plan = plan_assignments(cases, people, now=NOW)
    assert [c.id for c, _ in plan] == ["urgent", "soon"]
    assert Counter(r for _, r in plan) == {"a": 1, "b": 1}


def test_round_robin_among_equally_loaded_people_over_successive_passes() -> None:
    people = {p: person(p, capacity=100) for p in "abc"}
    order = []
    now = NOW
    for i in range(9):
        [(_, chosen)] = plan_assignments([case(f"c{i}")], list(people.values()), now=now)
        order.append(chosen)
        # Each pass sees the loads and stamps the store would have after the last one.
        people[chosen] = person(chosen, capacity=100, load=people[chosen].load + 1,
                                last_assigned_at=now)  # fmt: skip
        now += timedelta(seconds=1)
    assert order == list("abcabcabc")


def test_queue_order_is_priority_then_least_time_left() -> None:
    cases = [
        case("p3-late", priority="p3", sla_due_at=NOW + timedelta(hours=3)),
        case("p2-late", priority="p2", sla_due_at=NOW + timedelta(hours=8)),
        case("p3-soon", priority="p3", sla_due_at=NOW + timedelta(minutes=3)),
        case("p2-none", priority="p2", sla_due_at=None),
        case("p1", priority="p1", sla_due_at=NOW + timedelta(days=2)),
    ]
    assert [c.id for c in queue_order(cases)] == ["p1", "p2-late", "p2-none", "p3-soon", "p3-late"]


@pytest.mark.parametrize(
    ("status", "awaiting", "configured", "expected"),
    [
        ("offline", True, True, True),
        ("offline", False, True, False),  # answered: stays with its owner
        ("offline", True, False, False),  # team switched requeueing off
        ("away", True, True, False),  # a short break keeps the case
        ("online", True, True, False),
        (None, True, True, True),  # the responder was removed
    ],
)
def test_offline_assignee_returns_unanswered_cases(
    status: Any, awaiting: bool, configured: bool, expected: bool
) -> None:
    assert (
        should_return_to_queue(
            assignee_status=status, awaiting_response=awaiting, requeue_on_offline=configured
        )
        is expected
    )


@given(
    capacities=st.lists(st.integers(0, 6), min_size=1, max_size=6),
    loads=st.lists(st.integers(0, 6), min_size=6, max_size=6),
    statuses=st.lists(st.sampled_from(["online", "away", "offline"]), min_size=6, max_size=6),
    cases=st.integers(0, 40),
)
def test_plans_never_overfill_and_only_use_eligible_people(
    capacities: list[int], loads: list[int], statuses: list[Any], cases: int
) -> None:
    people = [
        person(f"r{i}", capacity=c, load=min(loads[i], c), status=statuses[i])
        for i, c in enumerate(capacities)
    ]
    plan = plan_assignments([case(f"c{i:02}") for i in range(cases)], people, now=NOW)
    counts = Counter(r for _, r in plan)
    free = {p.id: p.capacity - p.load for p in people if p.status == "online"}
    assert all(p in free and n <= free[p] for p, n in counts.items())
    # Every case is assigned unless every online person is full.
    assert len(plan) == min(cases, sum(free.values()))
    assert len({c.id for c, _ in plan}) == len(plan)

"""Who answers a case: responder eligibility, fair choice, queue order. Pure.

Eligible = online, skilled for the case (language, brand, channel; an empty skill list means
"any"), under capacity, and not the person the case is being taken away from. Among the
eligible, the least loaded wins; ties go to whoever was assigned least recently (never first),
then by id, which is a round robin over equally loaded people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

ResponderStatus = Literal["online", "away", "offline"]
_PRIORITY_RANK = {"p1": 0, "p2": 1, "p3": 2, "p4": 3}


@dataclass(frozen=True)
class Responder:
    id: str
    status: ResponderStatus
    capacity: int
    load: int = 0  # open cases assigned now
    languages: frozenset[str] = frozenset()
    brands: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    last_assigned_at: datetime | None = None


@dataclass(frozen=True)
class QueuedCase:
    id: str
    priority: str
    sla_due_at: datetime | None
    brand: str
    language: str | None = None
    channel: str | None = None
    exclude: str | None = None  # a breach reassignment must not hand it back to the same person


def is_skilled(responder: Responder, case: QueuedCase) -> bool:
    def covers(skills: frozenset[str], need: str | None) -> bool:
        # An undetermined need ('und', unknown channel) can't be matched by a specialist only.
        return not skills or need is None or need.casefold() in {s.casefold() for s in skills}

    return (
        covers(responder.languages, case.language)
        and covers(responder.brands, case.brand)
        and covers(responder.channels, case.channel)
    )


def is_eligible(responder: Responder, case: QueuedCase) -> bool:
    return (
        responder.status == "online"
        and responder.load < responder.capacity
        and responder.id != case.exclude
        and is_skilled(responder, case)
    )


def _fairness_key(responder: Responder) -> tuple[int, int, float, str]:
    never = responder.last_assigned_at is None
    stamp = 0.0 if responder.last_assigned_at is None else responder.last_assigned_at.timestamp()
    return (responder.load, 0 if never else 1, stamp, responder.id)


def choose_responder(case: QueuedCase, responders: Sequence[Responder]) -> Responder | None:
    eligible = [r for r in responders if is_eligible(r, case)]
    return min(eligible, key=_fairness_key, default=None)


def queue_order(cases: Sequence[QueuedCase]) -> list[QueuedCase]:
    """Priority first, then least time left to breach; a case without a due time goes last."""

    def key(case: QueuedCase) -> tuple[int, int, float, str]:
        due = case.sla_due_at
        return (
            _PRIORITY_RANK.get(case.priority, 9),
            1 if due is None else 0,
            0.0 if due is None else due.timestamp(),
            case.id,
        )

    return sorted(cases, key=key)


def plan_assignments(
    cases: Sequence[QueuedCase], responders: Sequence[Responder], *, now: datetime
) -> list[tuple[QueuedCase, str]]:
    """Assign queued cases in queue order, updating loads as it goes; unmatched cases wait."""
    pool: dict[str, Responder] = {r.id: r for r in responders}
    plan: list[tuple[QueuedCase, str]] = []
    for case in queue_order(cases):
        chosen = choose_responder(case, list(pool.values()))
        if chosen is None:
            continue
        plan.append((case, chosen.id))
        pool[chosen.id] = replace(chosen, load=chosen.load + 1, last_assigned_at=now)
    return plan


def should_return_to_queue(
    *,
    assignee_status: ResponderStatus | None,
    awaiting_response: bool,
    requeue_on_offline: bool,
) -> bool:
    """An offline (or deleted) assignee's unanswered case goes back to the team queue.

    Away is a short break: the case stays. A case already answered stays with its owner.
    """
    return (
        requeue_on_offline
        and awaiting_response
        and (assignee_status is None or assignee_status == "offline")
    )

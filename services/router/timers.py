"""The SLA timer sweeper: durable warning and breach moments, fired exactly once.

Timers are rows in `sla_timers`, planned in the routing transaction that started the clock.
A sweep, in one transaction:
  1. takes due, pending timers with FOR UPDATE SKIP LOCKED (other replicas take other rows,
     nobody waits), in fire order, through the partial index `sla_timers_pending`;
  2. locks their cases, also SKIP LOCKED: a case busy in a routing batch or an API action is
     left for the next sweep instead of risking a lock cycle;
  3. re-checks each case at fire time (`timer_outcome`): a response, a resolution or a newer
     clock cancels the timer;
  4. writes the events to the outbox and marks the timers done.
The events and the "done" mark commit together, so a crash anywhere before the commit leaves
the timer pending for the next sweep, and a commit can happen only once: exactly once. Event
ids derive from the timer id, so even a replayed outbox row is deduplicated downstream.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from prometheus_client import Counter

from schemas import TOPIC_CASES_EVENTS, CloudEvent
from services.router.config import RouterConfig
from services.router.handlers import Details, case_event
from services.router.incidents import open_incidents
from services.router.outbox import add_many_to_outbox
from services.router.response_times import record_business_response_times
from services.router.routing.policies import CaseClockState, timer_outcome

log = logging.getLogger(__name__)

TIMERS = Counter("earshot_router_sla_timers_total", "SLA timers done", ["kind", "outcome"])
SWEEP_LIMIT = 500
SWEEP_IDLE_S = 1.0


@dataclass(frozen=True)
class SweepResult:
    fired: int = 0
    cancelled: int = 0
    deferred: int = 0  # their case was locked elsewhere; the next sweep takes them

    @property
    def done(self) -> int:
        return self.fired + self.cancelled


def _clock_state(case: Mapping[str, Any]) -> CaseClockState:
    return CaseClockState(
        status=case["status"],
        sla_clock=case["sla_clock"],
        sla_clock_seq=case["sla_clock_seq"],
        sla_started_at=case["sla_started_at"],
        sla_due_at=case["sla_due_at"],
        first_response_at=case["first_response_at"],
        last_response_at=case["last_response_at"],
    )


async def sweep_once(
    *,
    pool: asyncpg.Pool[Any],
    config: RouterConfig,
    now: datetime | None = None,
    limit: int = SWEEP_LIMIT,
    events_topic: str = TOPIC_CASES_EVENTS,
) -> SweepResult:
    now = now or datetime.now(UTC)
    async with pool.acquire() as connection, connection.transaction():
        timers = await connection.fetch(
            """SELECT id, case_id, clock, clock_seq, kind, fraction, fire_at FROM sla_timers
               WHERE done_at IS NULL AND fire_at <= $1
               ORDER BY fire_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
            now,
            limit,
        )
        if not timers:
            return SweepResult()
        rows = await connection.fetch(
            "SELECT * FROM cases WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE SKIP LOCKED",
            list({t["case_id"] for t in timers}),
        )
        cases: dict[uuid.UUID, dict[str, Any]] = {row["id"]: dict(row) for row in rows}
        changed: set[uuid.UUID] = set()
        events: list[CloudEvent[Any]] = []
        fired: list[int] = []
        cancelled: list[int] = []
        for timer in timers:
            case = cases.get(timer["case_id"])
            if case is None:
                continue
            outcome = timer_outcome(
                clock=timer["clock"],
                clock_seq=timer["clock_seq"],
                kind=timer["kind"],
                case=_clock_state(case),
                now=now,
            )
            if outcome == "cancel":
                cancelled.append(timer["id"])
            else:
                if timer["kind"] == "breach":
                    changed.add(case["id"])
                cases[case["id"]] = _fire(timer, case, config, events)
                fired.append(timer["id"])
            TIMERS.labels(timer["kind"], outcome).inc()
        # Three statements whatever the batch size: the case changes, the events, the marks.
        await connection.execute(
            """UPDATE cases c SET breached_at = u.breached_at, escalated_to = u.escalated_to,
                   reassign_exclude = u.reassign_exclude, assignee = u.assignee,
                   updated_at = now()
               FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[])
                   AS u(id, breached_at, escalated_to, reassign_exclude, assignee)
               WHERE c.id = u.id""",
            *(
                [cases[i][name] for i in changed]
                for name in ("id", "breached_at", "escalated_to", "reassign_exclude", "assignee")
            ),
        )
        await add_many_to_outbox(connection, topic=events_topic, events=events)
        await connection.execute(
            """UPDATE sla_timers SET done_at = $3,
                   outcome = CASE WHEN id = ANY($1::bigint[]) THEN 'fired' ELSE 'cancelled' END
               WHERE id = ANY($1::bigint[] || $2::bigint[])""",
            fired,
            cancelled,
            now,
        )
    return SweepResult(len(fired), len(cancelled), len(timers) - len(fired) - len(cancelled))


def _fire(
    timer: asyncpg.Record,
    case: dict[str, Any],
    config: RouterConfig,
    events: list[CloudEvent[Any]],
) -> dict[str, Any]:
    """The events one due timer announces, and the case as the breach leaves it."""
    key = f"timer|{timer['id']}"
    due = case["resolution_due_at"] if timer["clock"] == "resolution" else case["sla_due_at"]
    details: Details = {
        "clock": timer["clock"],
        "fraction": round(float(timer["fraction"]), 4),
        "due_at": due.isoformat() if due else None,
        "timer_id": timer["id"],
    }
    if timer["kind"] == "warning":
        events.append(case_event("sla.warning", case, event_key=key, details=details))
        return case
    team = config.teams.get(case["team"])
    lead = team.lead if team else None
    reassign = bool(team and team.reassign_on_breach and case["assignee"])
    case = {
        **case,
        "breached_at": case["breached_at"] or timer["fire_at"],
        "escalated_to": lead or case["escalated_to"],
    }
    if reassign:
        case |= {"reassign_exclude": case["assignee"], "assignee": None}
    events.append(case_event("sla.breached", case, event_key=key, details=details))
    if lead is not None:
        events.append(
            case_event("case.escalated", case, event_key=f"{key}|escalated",
                       details={**details, "escalated_to": lead})
        )  # fmt: skip
    if reassign:
        events.append(
            case_event("case.reassigned", case, event_key=f"{key}|reassigned",
                       details={**details, "from": case["reassign_exclude"],
                                "reason": "sla_breach"})
        )  # fmt: skip
    return case


async def sweep_forever(
    *,
    pool: asyncpg.Pool[Any],
    config: Any,
    stop: asyncio.Event,
    events_topic: str = TOPIC_CASES_EVENTS,
    idle_s: float = SWEEP_IDLE_S,
) -> None:
    """`config` is a callable returning the current RouterConfig (it is refreshed). Each round
    also fills in business-hours first-response times of newly answered cases and opens
    incidents for confirmed listening alerts."""
    while not stop.is_set():
        try:
            result = await sweep_once(pool=pool, config=config(), events_topic=events_topic)
        except Exception:
            log.exception("SLA sweep failed; retrying")
            result = SweepResult()
        try:
            await record_business_response_times(pool=pool, config=config())
            await open_incidents(pool=pool, config=config(), events_topic=events_topic)
        except Exception:
            log.exception("response times or incidents failed; retrying")
        if result.done < SWEEP_LIMIT // 2:  # a full sweep means a backlog: go again at once
            try:
                await asyncio.wait_for(stop.wait(), idle_s)
            except TimeoutError:
                pass

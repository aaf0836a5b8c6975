"""Assignment: hand queued cases to eligible responders; take cases back from people who went
offline. The decisions are pure (`routing/assignment.py`); this module is their I/O.

One transaction per team: it locks the team's online responders (FOR UPDATE, in id order,
so two replicas or two teams sharing a person queue up instead of both filling the last slot,
and never deadlock), reads their loads, takes the head of the team queue with SKIP LOCKED
(cases busy in a routing batch wait for the next pass), plans, writes, and announces through
the outbox. Routing never takes responder locks, so a routing batch never waits on this.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from prometheus_client import Counter

from schemas import TOPIC_CASES_EVENTS
from services.router.config import RouterConfig
from services.router.handlers import case_event
from services.router.routing.assignment import (
    QueuedCase,
    Responder,
    plan_assignments,
    should_return_to_queue,
)
from services.router.routing.policies import CaseClockState, awaiting_response
from services.shared.db.outbox import add_to_outbox

log = logging.getLogger(__name__)

ASSIGNED = Counter("earshot_router_assigned_total", "Cases assigned", ["team"])
REQUEUED = Counter("earshot_router_requeued_total", "Cases returned to the queue", ["reason"])
QUEUE_HEAD = 200
ASSIGN_IDLE_S = 1.0


def _responder(row: asyncpg.Record, load: int) -> Responder:
    return Responder(
        id=row["id"],
        status=row["status"],
        capacity=row["capacity"],
        load=load,
        languages=frozenset(row["languages"]),
        brands=frozenset(row["brands"]),
        channels=frozenset(row["channels"]),
        last_assigned_at=row["last_assigned_at"],
    )


def _queued(row: asyncpg.Record) -> QueuedCase:
    return QueuedCase(
        id=str(row["id"]),
        priority=row["priority"],
        sla_due_at=row["sla_due_at"],
        brand=row["brand"],
        language=row["language"],
        channel=row["source"],
        exclude=row["reassign_exclude"],
    )


async def assign_team_queue(
    *,
    pool: asyncpg.Pool[Any],
    team: str,
    now: datetime | None = None,
    events_topic: str = TOPIC_CASES_EVENTS,
) -> int:
    """Assign what can be assigned at the head of one team's queue; returns how many."""
    now = now or datetime.now(UTC)
    async with pool.acquire() as connection, connection.transaction():
        people = await connection.fetch(
            """SELECT * FROM responders WHERE $1 = ANY(teams) AND status = 'online'
               AND capacity > 0 ORDER BY id FOR UPDATE""",
            team,
        )
        if not people:
            return 0
        loads = dict(
            await connection.fetch(
                """SELECT assignee, count(*) FROM cases WHERE assignee = ANY($1::text[])
                   AND status IN ('open', 'pending') GROUP BY assignee""",
                [p["id"] for p in people],
            )
        )
        responders = [_responder(p, int(loads.get(p["id"], 0))) for p in people]
        if all(r.load >= r.capacity for r in responders):
            return 0
        queue = await connection.fetch(
            """SELECT id, priority, sla_due_at, brand, language, source, reassign_exclude
               FROM cases WHERE team = $1 AND assignee IS NULL AND status IN ('open', 'pending')
               ORDER BY priority, sla_due_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
            team,
            QUEUE_HEAD,
        )
        plan = plan_assignments([_queued(r) for r in queue], responders, now=now)
        for queued, responder_id in plan:
            case = await connection.fetchrow(
                """UPDATE cases SET assignee = $2, assigned_at = $3, reassign_exclude = NULL,
                       updated_at = now() WHERE id = $1 RETURNING *""",
                uuid.UUID(queued.id),
                responder_id,
                now,
            )
            await add_to_outbox(
                connection,
                topic=events_topic,
                event=case_event(
                    "case.assigned", case, event_key=f"assigned|{uuid.uuid4()}",
                    details={"reason": "queue"},
                ),
            )  # fmt: skip
        if plan:
            await connection.execute(
                "UPDATE responders SET last_assigned_at = $2 WHERE id = ANY($1::text[])",
                list({responder_id for _, responder_id in plan}),
                now,
            )
            ASSIGNED.labels(team).inc(len(plan))
        return len(plan)


async def release_unavailable_assignees(
    *, pool: asyncpg.Pool[Any], config: RouterConfig, events_topic: str = TOPIC_CASES_EVENTS
) -> int:
    """Unanswered cases of offline assignees go back to their team queue."""
    async with pool.acquire() as connection, connection.transaction():
        rows = await connection.fetch(
            # Driven from the (few) offline people through the cases_assignee index; the awaiting
            # filter only narrows the rows, the decision is the pure function's.
            """SELECT c.*, 'offline' AS assignee_status FROM cases c
               WHERE c.assignee IN (SELECT id FROM responders WHERE status = 'offline')
                 AND c.status IN ('open', 'pending')
                 AND (c.first_response_at IS NULL OR (c.sla_clock = 'next_response'
                      AND greatest(c.first_response_at, c.last_response_at) < c.sla_started_at))
               LIMIT 500 FOR UPDATE SKIP LOCKED"""
        )
        released = 0
        for row in rows:
            team = config.teams.get(row["team"])
            state = CaseClockState(
                status=row["status"],
                sla_clock=row["sla_clock"],
                sla_clock_seq=row["sla_clock_seq"],
                sla_started_at=row["sla_started_at"],
                sla_due_at=row["sla_due_at"],
                first_response_at=row["first_response_at"],
                last_response_at=row["last_response_at"],
            )
            if not should_return_to_queue(
                assignee_status=row["assignee_status"],
                awaiting_response=awaiting_response(state),
                requeue_on_offline=team.requeue_on_offline if team else True,
            ):
                continue
            case = await connection.fetchrow(
                """UPDATE cases SET assignee = NULL, assigned_at = NULL, updated_at = now()
                   WHERE id = $1 RETURNING *""",
                row["id"],
            )
            await add_to_outbox(
                connection,
                topic=events_topic,
                event=case_event(
                    "case.reassigned", case, event_key=f"released|{uuid.uuid4()}",
                    details={"from": row["assignee"], "reason": "assignee_offline"},
                ),
            )  # fmt: skip
            released += 1
        REQUEUED.labels("assignee_offline").inc(released)
        return released


async def assign_all(
    *,
    pool: asyncpg.Pool[Any],
    config: RouterConfig,
    teams: Iterable[str] | None = None,
    events_topic: str = TOPIC_CASES_EVENTS,
) -> int:
    await release_unavailable_assignees(pool=pool, config=config, events_topic=events_topic)
    total = 0
    for team in sorted(teams if teams is not None else config.teams):
        total += await assign_team_queue(pool=pool, team=team, events_topic=events_topic)
    return total


async def assign_forever(
    *,
    pool: asyncpg.Pool[Any],
    config: Callable[[], RouterConfig],
    stop: asyncio.Event,
    wake: asyncio.Event,
    events_topic: str = TOPIC_CASES_EVENTS,
    idle_s: float = ASSIGN_IDLE_S,
) -> None:
    """Runs after every routing batch (`wake`) and every `idle_s`: someone coming online or
    freeing capacity is noticed within a second, with no trigger from the API needed."""
    while not stop.is_set():
        wake.clear()
        try:
            await assign_all(pool=pool, config=config(), events_topic=events_topic)
        except Exception:
            log.exception("assignment pass failed; retrying")
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
        await asyncio.wait(waiters, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

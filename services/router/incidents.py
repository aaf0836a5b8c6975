"""Spike → incident: a confirmed listening alert opens one incident case for its brand.

A crisis (an outage, a viral complaint) brings hundreds of mentions; answered one by one they
drown a team. The analytics watcher confirms an alert when the spike outlasts its first
minutes; each sweep, the router turns confirmed alerts into an incident case, in one
transaction per batch (SKIP LOCKED: several router replicas share the work, nothing twice):

- one open incident per brand: a second confirmed alert (say the turn to negative that
  follows the volume spike) joins the open incident instead of opening another;
- the case is critical (p1), in the incident team's queue, its first-response clock started
  at the alert, with the team's usual warning and breach timers (the reminder cadence);
- the team lead is paged: `case.escalated` to the lead, next to `case.opened`;
- the spike's mentions are linked to the incident (`incident_mentions`), and so is every
  later negative mention of the brand while the incident is open; they keep their own
  conversations' cases, so each author still gets an answer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from schemas import TOPIC_CASES_EVENTS, CloudEvent
from services.router.config import RouterConfig
from services.router.handlers import case_event, plan_case_clocks
from services.router.outbox import add_many_to_outbox
from services.router.routing.incidents import INCIDENT_QUEUE, incident_route

_INCIDENT_NAMESPACE = uuid.UUID("0b7f3f4e-6a2d-4d8e-9a51-5c2e7b1d9f30")
BATCH = 20


def incident_id_for(alert_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(_INCIDENT_NAMESPACE, f"incident|{alert_id}")


async def open_incidents(
    *,
    pool: asyncpg.Pool[Any],
    config: RouterConfig,
    events_topic: str = TOPIC_CASES_EVENTS,
    now: datetime | None = None,
    limit: int = BATCH,
) -> int:
    """Open (or join) incidents for confirmed alerts, and link new negative mentions to open
    incidents; returns how many alerts were handled."""
    now = now or datetime.now(UTC)
    async with pool.acquire() as connection, connection.transaction():
        alerts = await connection.fetch(
            """SELECT * FROM alerts
               WHERE confirmed_at IS NOT NULL AND incident_case_id IS NULL
               ORDER BY confirmed_at LIMIT $1 FOR UPDATE SKIP LOCKED""",
            limit,
        )
        events: list[CloudEvent[Any]] = []
        handled = 0
        for alert in alerts:
            case = await _open_incident(connection, alert, config, events)
            if case is None:
                continue  # no team can take it (e.g. none configured); retried next sweep
            await connection.execute(
                "UPDATE alerts SET incident_case_id = $2 WHERE id = $1", alert["id"], case
            )
            await connection.execute(
                """INSERT INTO incident_mentions (case_id, mention_id)
                   SELECT $1, id FROM mentions
                   WHERE brand = $2 AND created_at >= $3 AND created_at <= $4
                     AND ($5 = 'volume' OR sentiment = 'negative')
                   ON CONFLICT DO NOTHING""",
                case,
                alert["brand"],
                alert["window_start"],
                now,
                alert["kind"],
            )
            handled += 1
        await add_many_to_outbox(connection, topic=events_topic, events=events)
        # While an incident is open, the brand's new negative mentions belong to it too.
        await connection.execute(
            """INSERT INTO incident_mentions (case_id, mention_id)
               SELECT c.id, m.id FROM cases c
               JOIN mentions m ON m.brand = c.brand AND m.created_at >= c.opened_at
                    AND m.created_at >= $1::timestamptz - interval '1 hour'
                    AND m.sentiment = 'negative'
               WHERE c.queue = $2 AND c.status IN ('open', 'pending')
               ON CONFLICT DO NOTHING""",
            now,
            INCIDENT_QUEUE,
        )
    return handled


async def _open_incident(
    connection: Any,
    alert: asyncpg.Record,
    config: RouterConfig,
    events: list[CloudEvent[Any]],
) -> uuid.UUID | None:
    brand = alert["brand"]
    key = f"{brand}|incident"
    existing = await connection.fetchrow(
        """SELECT id FROM cases WHERE conversation_key = $1 AND status IN ('open', 'pending')
           FOR UPDATE""",
        key,
    )
    if existing is not None:
        return existing["id"]  # type: ignore[no-any-return]
    route = incident_route(alert["kind"], config.teams.keys())
    if route is None:
        return None
    team = config.teams[route.team]
    started = alert["raised_at"]
    first, resolution = plan_case_clocks(
        config, team_id=team.id, priority=route.priority, started=started
    )
    timers = first + resolution
    case_id = incident_id_for(alert["id"])
    row = await connection.fetchrow(
        """WITH opened AS (
               INSERT INTO cases (id, brand, conversation_key, status, team, queue, priority,
                   opened_at, sla_started_at, sla_due_at, last_mention_at, sla_clock,
                   resolution_due_at, escalated_to, mention_count, source)
               VALUES ($1, $2, $3, 'open', $4, $14, $5, $6, $6, $7, $6,
                   'first_response', $8, $9, 1, 'alert')
               ON CONFLICT DO NOTHING RETURNING *),
           timers AS (
               INSERT INTO sla_timers (case_id, clock, clock_seq, kind, fraction, fire_at)
               SELECT opened.id, t.clock, 0, t.kind, t.fraction, t.fire_at FROM opened,
                   unnest($10::text[], $11::text[], $12::real[], $13::timestamptz[])
                   AS t(clock, kind, fraction, fire_at))
           SELECT * FROM opened""",
        case_id,
        brand,
        key,
        team.id,
        route.priority,
        started,
        first[-1].fire_at,
        resolution[-1].fire_at if resolution else None,
        team.lead,
        [t.clock for t in timers],
        [t.kind for t in timers],
        [t.fraction for t in timers],
        [t.fire_at for t in timers],
        route.queue,
    )
    if row is None:
        return None
    details = {
        "incident": True,
        "alert_id": str(alert["id"]),
        "alert_kind": alert["kind"],
        "summary": alert["summary"],
    }
    events.append(case_event("case.opened", row, event_key="incident", details=details))
    if team.lead:
        events.append(
            case_event(
                "case.escalated",
                row,
                event_key="incident|page",
                details={**details, "escalated_to": team.lead, "reason": "incident"},
            )
        )
    return case_id

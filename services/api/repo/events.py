"""Case events for the live stream, read from the transactional outbox."""

from __future__ import annotations

from typing import Any

import asyncpg


async def latest_event_id(*, pool: asyncpg.Pool[Any]) -> int:
    value: int = await pool.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
    return value


async def case_events_after(
    *,
    pool: asyncpg.Pool[Any],
    organisation_id: str,
    topic: str,
    after: int,
    limit: int,
    settle_s: float,
) -> list[asyncpg.Record]:
    """Outbox rows after `after`, oldest first. `payload` is set only for this organisation's
    case events; `settled` says no transaction can still commit a row below this one (ids are
    taken at insert, rows become visible at commit: a short transaction can commit after a
    later id was already read)."""
    return list(
        await pool.fetch(
            """SELECT o.id,
                  o.created_at < now() - make_interval(secs => $5) AS settled,
                  CASE WHEN o.topic = $2 AND EXISTS (
                          SELECT 1 FROM brands b WHERE b.organisation_id = $1
                          AND b.id = convert_from(o.payload, 'UTF8')::jsonb #>> '{data,brand}')
                       THEN convert_from(o.payload, 'UTF8') END AS payload
           FROM outbox o WHERE o.id > $3 ORDER BY o.id LIMIT $4""",
            organisation_id,
            topic,
            after,
            limit,
            settle_s,
        )
    )

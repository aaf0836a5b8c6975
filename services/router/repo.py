"""The router's reads and writes of mentions and cases in PostgreSQL. Keyword-only, one
statement each. Configuration reads live in `config.py`, timers in `timers.py`, assignment in
`assigner.py`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

from schemas import MentionClassified
from services.router.routing import RouteDecision
from services.router.routing.policies import TimerPlan

Connection: TypeAlias = "asyncpg.Connection[Any] | asyncpg.pool.PoolConnectionProxy[Any]"
ACTIVE = "status IN ('open', 'pending')"


async def insert_mention(
    *, connection: Connection, event: MentionClassified, route: RouteDecision
) -> bool:
    """Store the mention; False if it was already stored (a redelivery: nothing else to do)."""
    m, c = event.mention, event.classification
    inserted = await connection.fetchval(
        """INSERT INTO mentions (id, source, source_id, brand, text, author, url, lang_hint,
               created_at, received_at, thread_id, parent_id, conversation_key, classification,
               sentiment, urgency, language, model_version, classified_at, route)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)
           ON CONFLICT DO NOTHING RETURNING true""",
        m.mention_id,
        m.source,
        m.source_id,
        m.brand,
        m.text,
        m.author.model_dump(mode="json"),
        m.url,
        m.lang,
        m.created_at,
        m.received_at,
        m.thread_id,
        m.parent_id,
        m.conversation_key,
        json.loads(c.model_dump_json()),
        c.sentiment.label,
        c.urgency.level,
        c.language.code,
        c.model_version,
        event.classified_at,
        route.as_json(),
    )
    return bool(inserted)


async def lock_active_case(
    *, connection: Connection, conversation_key: str
) -> asyncpg.Record | None:
    """The conversation's active case: one it opened, or a cluster case one of its mentions
    joined (a reply to a retweet belongs with the retweet)."""
    row: asyncpg.Record | None = await connection.fetchrow(
        f"""SELECT * FROM cases WHERE conversation_key = $1 AND {ACTIVE} FOR UPDATE""",
        conversation_key,
    )
    if row is None:
        row = await connection.fetchrow(
            f"""SELECT * FROM cases WHERE {ACTIVE} AND id IN (
                   SELECT case_id FROM mentions WHERE conversation_key = $1
                   AND case_id IS NOT NULL) LIMIT 1 FOR UPDATE""",
            conversation_key,
        )
    return row


async def lock_cluster_case(
    *, connection: Connection, brand: str, cluster_key: str
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await connection.fetchrow(
        f"""SELECT * FROM cases WHERE brand = $1 AND cluster_key = $2 AND {ACTIVE}
            FOR UPDATE""",
        brand,
        cluster_key,
    )
    return row


async def detach_cluster(*, connection: Connection, case_id: uuid.UUID) -> None:
    """A cluster gone quiet keeps its case but stops absorbing copies: a new burst starts anew."""
    await connection.execute("UPDATE cases SET cluster_key = NULL WHERE id = $1", case_id)


async def insert_case(
    *,
    connection: Connection,
    case_id: uuid.UUID,
    event: MentionClassified,
    route: RouteDecision,
    sla_due_at: datetime,
    resolution_due_at: datetime | None,
    cluster_key: str | None,
) -> asyncpg.Record | None:
    """Open a case; None if another router opened one for this conversation or cluster first."""
    m = event.mention
    row: asyncpg.Record | None = await connection.fetchrow(
        """INSERT INTO cases (id, brand, conversation_key, status, team, queue, priority,
               sla_started_at, sla_due_at, last_mention_at, language, source, sla_clock,
               resolution_due_at, cluster_key)
           VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $7, $9, $10, 'first_response',
               $11, $12)
           ON CONFLICT DO NOTHING RETURNING *""",
        case_id,
        m.brand,
        m.conversation_key,
        route.team,
        route.queue,
        route.priority,
        m.created_at,
        sla_due_at,
        event.classification.language.code,
        m.source,
        resolution_due_at,
        cluster_key,
    )
    return row


async def add_mention_to_case(
    *, connection: Connection, case_id: uuid.UUID, mention_at: datetime, priority: str | None
) -> asyncpg.Record:
    """Count the mention in the case; a more urgent mention raises the case's priority."""
    row: asyncpg.Record = await connection.fetchrow(
        """UPDATE cases SET mention_count = mention_count + 1,
               last_mention_at = greatest(last_mention_at, $2),
               priority = least(priority, coalesce($3, priority)),
               updated_at = now()
           WHERE id = $1 RETURNING *""",
        case_id,
        mention_at,
        priority,
    )
    return row


async def start_next_response_clock(
    *, connection: Connection, case_id: uuid.UUID, started_at: datetime, due: datetime
) -> asyncpg.Record:
    """A customer wrote again after an answer: a new clock, numbered so old timers go stale."""
    row: asyncpg.Record = await connection.fetchrow(
        """UPDATE cases SET sla_clock = 'next_response', sla_clock_seq = sla_clock_seq + 1,
               sla_started_at = $2, sla_due_at = $3, breached_at = NULL, updated_at = now()
           WHERE id = $1 RETURNING *""",
        case_id,
        started_at,
        due,
    )
    return row


async def insert_timers(
    *, connection: Connection, case_id: uuid.UUID, clock_seq: int, plans: Sequence[TimerPlan]
) -> None:
    if not plans:
        return
    await connection.executemany(
        """INSERT INTO sla_timers (case_id, clock, clock_seq, kind, fraction, fire_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
        [(case_id, p.clock, clock_seq, p.kind, p.fraction, p.fire_at) for p in plans],
    )


async def link_mention(
    *, connection: Connection, mention_id: uuid.UUID, case_id: uuid.UUID
) -> None:
    await connection.execute("UPDATE mentions SET case_id = $2 WHERE id = $1", mention_id, case_id)


async def recent_classified_mentions(
    *, connection: Connection, since: datetime, limit: int
) -> list[asyncpg.Record]:
    """Stored mentions with their classification and the route they got, for a dry run."""
    rows: list[asyncpg.Record] = await connection.fetch(
        """SELECT id, source, source_id, brand, text, author, url, lang_hint, created_at,
               received_at, thread_id, parent_id, classification, route
           FROM mentions WHERE classified_at >= $1 ORDER BY classified_at LIMIT $2""",
        since,
        limit,
    )
    return rows


def as_json_details(values: dict[str, Any]) -> dict[str, str | int | float | bool | None]:
    """Case event details allow only scalars; anything else is written as its string."""
    return {
        k: v if v is None or isinstance(v, str | int | float | bool) else str(v)
        for k, v in values.items()
    }

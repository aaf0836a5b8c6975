"""The router's reads and writes in PostgreSQL. Keyword-only, one statement each."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from schemas import MentionClassified
from services.router.routing import RouteDecision
from services.router.sla import BusinessCalendar

Connection = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


@dataclass(frozen=True)
class Team:
    id: str
    calendar: BusinessCalendar
    first_response_seconds: int
    warning_fraction: float


async def load_teams(*, pool: asyncpg.Pool[Any]) -> dict[str, Team]:
    rows = await pool.fetch(
        "SELECT id, calendar, first_response_seconds, warning_fraction FROM teams"
    )
    return {
        row["id"]: Team(
            id=row["id"],
            calendar=BusinessCalendar.from_dict(row["calendar"]),
            first_response_seconds=row["first_response_seconds"],
            warning_fraction=row["warning_fraction"],
        )
        for row in rows
    }


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
    row: asyncpg.Record | None = await connection.fetchrow(
        """SELECT * FROM cases WHERE conversation_key = $1 AND status IN ('open', 'pending')
           FOR UPDATE""",
        conversation_key,
    )
    return row


async def insert_case(
    *,
    connection: Connection,
    case_id: uuid.UUID,
    event: MentionClassified,
    route: RouteDecision,
    sla_due_at: datetime,
) -> asyncpg.Record | None:
    """Open a case; None if another router opened one for this conversation first."""
    m = event.mention
    row: asyncpg.Record | None = await connection.fetchrow(
        """INSERT INTO cases (id, brand, conversation_key, status, team, queue, priority,
               sla_started_at, sla_due_at, last_mention_at)
           VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $7)
           ON CONFLICT DO NOTHING RETURNING *""",
        case_id,
        m.brand,
        m.conversation_key,
        route.team,
        route.queue,
        route.priority,
        m.created_at,
        sla_due_at,
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


async def link_mention(
    *, connection: Connection, mention_id: uuid.UUID, case_id: uuid.UUID
) -> None:
    await connection.execute("UPDATE mentions SET case_id = $2 WHERE id = $1", mention_id, case_id)

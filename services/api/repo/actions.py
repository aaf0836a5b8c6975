"""Writes of case work: the case row, responses, label corrections, moderation decisions.
Each runs inside the caller's transaction, next to the audit entry and the outbox event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.api.repo import Connection
from services.shared.settings import abuse_settings

# The case columns a case event announces (see schemas.CaseEvent).
CASE_RETURNING = """id, brand, conversation_key, status, team, queue, priority, assignee,
    sla_due_at, mention_count"""


async def lock_case(
    *, connection: Connection, organisation_id: str, case_id: uuid.UUID
) -> asyncpg.Record | None:
    """Lock the case for this transaction; None if no such case in this organisation."""
    row: asyncpg.Record | None = await connection.fetchrow(
        f"""SELECT {", ".join("c." + c.strip() for c in CASE_RETURNING.split(","))},
                   c.first_response_at, c.resolved_at
            FROM cases c JOIN brands b ON b.id = c.brand
            WHERE c.id = $1 AND b.organisation_id = $2 FOR UPDATE OF c""",
        case_id,
        organisation_id,
    )
    return row


async def set_assignee(
    *, connection: Connection, case_id: uuid.UUID, assignee: str | None
) -> asyncpg.Record:
    row: asyncpg.Record = await connection.fetchrow(
        f"""UPDATE cases SET assignee = $2, updated_at = now() WHERE id = $1
            RETURNING {CASE_RETURNING}""",
        case_id,
        assignee,
    )
    return row


async def record_response(
    *, connection: Connection, case_id: uuid.UUID, author: str, text: str
) -> asyncpg.Record:
    """Store the reply and stop the running clock: the first reply sets first_response_at,
    every reply last_response_at (the router's next-response clock stops on it, see
    docs/routing.md). The case waits on the customer (`pending`) until they write again."""
    await connection.execute(
        "INSERT INTO case_responses (id, case_id, author, text) VALUES ($1, $2, $3, $4)",
        uuid.uuid4(),
        case_id,
        author,
        text,
    )
    row: asyncpg.Record = await connection.fetchrow(
        f"""UPDATE cases SET first_response_at = coalesce(first_response_at, now()),
                last_response_at = now(),
                status = 'pending', assignee = coalesce(assignee, $2), updated_at = now()
            WHERE id = $1 RETURNING {CASE_RETURNING}""",
        case_id,
        author,
    )
    return row


async def set_status(*, connection: Connection, case_id: uuid.UUID, status: str) -> asyncpg.Record:
    """Resolve (stamps resolved_at) or reopen (clears it). Reopening can collide with a newer
    active case of the same conversation: the unique index raises, the caller answers 409."""
    row: asyncpg.Record = await connection.fetchrow(
        f"""UPDATE cases SET status = $2,
                resolved_at = CASE WHEN $2 = 'resolved' THEN now() ELSE NULL END,
                updated_at = now()
            WHERE id = $1 RETURNING {CASE_RETURNING}""",
        case_id,
        status,
    )
    return row


MENTION_SELECT = """SELECT m.id, m.source, m.source_id, m.brand, m.text, m.author, m.url,
    m.created_at, m.received_at, m.thread_id, m.parent_id, m.sentiment, m.urgency, m.language,
    m.classification, m.route, m.case_id
    FROM mentions m JOIN brands b ON b.id = m.brand"""


async def get_mention(
    *, pool: asyncpg.Pool[Any] | Connection, organisation_id: str, mention_id: uuid.UUID
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        f"{MENTION_SELECT} WHERE m.id = $1 AND b.organisation_id = $2",
        mention_id,
        organisation_id,
    )
    return row


async def add_correction(
    *,
    connection: Connection,
    mention_id: uuid.UUID,
    field: str,
    model_value: str | None,
    value: str,
    corrected_by: str,
) -> asyncpg.Record:
    row: asyncpg.Record = await connection.fetchrow(
        """INSERT INTO label_corrections (mention_id, field, model_value, value, corrected_by)
           VALUES ($1, $2, $3, $4, $5)
           RETURNING id, mention_id, field, model_value, value, corrected_by, corrected_at""",
        mention_id,
        field,
        model_value,
        value,
        corrected_by,
    )
    return row


async def latest_label(*, connection: Connection, mention_id: uuid.UUID, field: str) -> str | None:
    """The most recent person's label for the field, if anyone corrected it."""
    value: str | None = await connection.fetchval(
        """SELECT value FROM label_corrections WHERE mention_id = $1 AND field = $2
           ORDER BY id DESC LIMIT 1""",
        mention_id,
        field,
    )
    return value


async def corrections_for(
    *, pool: asyncpg.Pool[Any], mention_ids: list[uuid.UUID]
) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            """SELECT id, mention_id, field, model_value, value, corrected_by, corrected_at
               FROM label_corrections WHERE mention_id = ANY($1::uuid[]) ORDER BY id""",
            mention_ids,
        )
    )


async def add_moderation_decision(
    *, connection: Connection, mention_id: uuid.UUID, decision: str, reason: str | None, by: str
) -> asyncpg.Record:
    row: asyncpg.Record = await connection.fetchrow(
        """INSERT INTO moderation_decisions (mention_id, decision, reason, decided_by)
           VALUES ($1, $2, $3, $4)
           RETURNING id, mention_id, decision, reason, decided_by, decided_at""",
        mention_id,
        decision,
        reason,
        by,
    )
    return row


async def decisions_for(
    *, pool: asyncpg.Pool[Any], mention_ids: list[uuid.UUID]
) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            """SELECT id, mention_id, decision, reason, decided_by, decided_at
               FROM moderation_decisions WHERE mention_id = ANY($1::uuid[]) ORDER BY id""",
            mention_ids,
        )
    )


def flagged_by_model_sql() -> str:
    """SQL: the model's scores flag mention `m` (`EARSHOT_ABUSE_*_THRESHOLD`, the router's
    thresholds too). The thresholds are validated floats, so they are written in literally."""
    t = abuse_settings()
    return f"""(
    (m.classification -> 'abuse' ->> 'offensive')::float >= {float(t.abuse_offensive_threshold)!r}
    OR (m.classification -> 'abuse' ->> 'hate')::float >= {float(t.abuse_hate_threshold)!r}
    OR (m.classification -> 'abuse' ->> 'spam')::float >= {float(t.abuse_spam_threshold)!r})"""


# A person's latest abuse label wins over the model: "none" takes a mention out of the queue.
PEOPLES_ABUSE_LABEL_SQL = """(SELECT l.value FROM label_corrections l WHERE l.mention_id = m.id
    AND l.field = 'abuse' ORDER BY l.id DESC LIMIT 1)"""


async def moderation_queue(
    *, pool: asyncpg.Pool[Any], organisation_id: str, limit: int
) -> list[asyncpg.Record]:
    """Mentions flagged as abuse or spam with no decision yet: a person's latest label, or
    else the model's classification."""
    return list(
        await pool.fetch(
            f"""{MENTION_SELECT}
                WHERE b.organisation_id = $1
                  AND coalesce({PEOPLES_ABUSE_LABEL_SQL},
                               CASE WHEN {flagged_by_model_sql()} THEN 'abuse' END)
                      IN ('abuse', 'spam')
                  AND NOT EXISTS (SELECT 1 FROM moderation_decisions d WHERE d.mention_id = m.id)
                ORDER BY m.created_at DESC LIMIT $2""",
            organisation_id,
            limit,
        )
    )


async def list_mentions(
    *,
    pool: asyncpg.Pool[Any],
    organisation_id: str,
    brand: str | None,
    sentiment: str | None,
    language: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Newest first, keyset-paginated before `(created_at, id)`."""
    args: list[Any] = [organisation_id]
    clauses = ["b.organisation_id = $1"]
    for column, value in (("brand", brand), ("sentiment", sentiment), ("language", language)):
        if value is not None:
            args.append(value)
            clauses.append(f"m.{column} = ${len(args)}")
    if before is not None:
        args += list(before)
        clauses.append(f"(m.created_at, m.id) < (${len(args) - 1}, ${len(args)})")
    args.append(limit)
    return list(
        await pool.fetch(
            f"""{MENTION_SELECT} WHERE {" AND ".join(clauses)}
                ORDER BY m.created_at DESC, m.id DESC LIMIT ${len(args)}""",
            *args,
        )
    )

"""The router's reads and writes of mentions and cases in PostgreSQL. Keyword-only, one
statement each. Configuration reads live in `config.py`, timers in `timers.py`, assignment in
`assigner.py`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

from schemas import MentionClassified
from services.router.routing import RouteDecision
from services.router.routing.policies import TimerPlan

Connection: TypeAlias = "asyncpg.Connection[Any] | asyncpg.pool.PoolConnectionProxy[Any]"
ACTIVE = "status IN ('open', 'pending')"


_MENTION_COLUMNS = """id, source, source_id, brand, text, author, url, lang_hint, created_at,
    received_at, thread_id, parent_id, conversation_key, classification, sentiment, urgency,
    language, model_version, classified_at, route, case_id"""
# JSON columns travel as text and are cast in SQL: already-serialised JSON is not parsed and
# serialised again by the connection's jsonb codec.
_MENTION_TYPES = (
    "uuid text text text text jsonb text text timestamptz timestamptz text text text jsonb "
    "text text text text timestamptz jsonb uuid"
).split()
_MENTION_UNNEST = ", ".join(
    f"${i + 1}::{'text' if t == 'jsonb' else t}[]" for i, t in enumerate(_MENTION_TYPES)
)
_MENTION_SELECT = ", ".join(
    f"c{i}::jsonb" if t == "jsonb" else f"c{i}" for i, t in enumerate(_MENTION_TYPES)
)
_MENTION_ALIASES = ", ".join(f"c{i}" for i in range(len(_MENTION_TYPES)))


async def insert_mentions(
    *,
    connection: Connection,
    events: Sequence[MentionClassified],
    routes: Sequence[RouteDecision],
    case_ids: Mapping[uuid.UUID, uuid.UUID] | None = None,
) -> set[uuid.UUID]:
    """Store a batch of mentions (linked to their cases when known) in one statement;
    returns the ids that were new (the others are redeliveries, already routed)."""
    links = case_ids or {}
    rows = [
        (*_mention_row(e, r), links.get(e.mention.mention_id))
        for e, r in zip(events, routes, strict=True)
    ]
    if not rows:
        return set()
    columns = list(zip(*rows, strict=True))
    inserted = await connection.fetch(
        f"""INSERT INTO mentions ({_MENTION_COLUMNS})
            SELECT {_MENTION_SELECT} FROM unnest({_MENTION_UNNEST}) AS u({_MENTION_ALIASES})
            ON CONFLICT DO NOTHING RETURNING id""",
        *[list(column) for column in columns],
    )
    return {row["id"] for row in inserted}


async def stored_mention_ids(
    *, connection: Connection, mention_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    rows = await connection.fetch(
        "SELECT id FROM mentions WHERE id = ANY($1::uuid[])", list(mention_ids)
    )
    return {row["id"] for row in rows}


def _mention_row(event: MentionClassified, route: RouteDecision) -> tuple[Any, ...]:
    m, c = event.mention, event.classification
    return (
        m.mention_id,
        m.source,
        m.source_id,
        m.brand,
        m.text,
        m.author.model_dump_json(),
        m.url,
        m.lang,
        m.created_at,
        m.received_at,
        m.thread_id,
        m.parent_id,
        m.conversation_key,
        c.model_dump_json(),
        c.sentiment.label,
        c.urgency.level,
        c.language.code,
        c.model_version,
        event.classified_at,
        json.dumps(route.as_json()),
    )


async def lock_active_case(
    *, connection: Connection, conversation_key: str
) -> asyncpg.Record | None:
    """The conversation's active case, locked (see `lock_candidate_cases`)."""
    conversation, _ = await lock_candidate_cases(
        connection=connection, conversation_key=conversation_key, brand="", cluster_key=None
    )
    return conversation


async def lock_candidate_cases(
    *, connection: Connection, conversation_key: str, brand: str, cluster_key: str | None
) -> tuple[asyncpg.Record | None, asyncpg.Record | None]:
    """The conversation's active case and the cluster's active case, locked, in one round trip.

    The conversation's case is one it opened, or a cluster case one of its mentions joined (a
    reply to a retweet belongs with the retweet).
    """
    rows = await connection.fetch(
        f"""SELECT *, (conversation_key = $1 OR EXISTS (SELECT 1 FROM mentions m
                       WHERE m.case_id = cases.id AND m.conversation_key = $1))
                      AS in_conversation
            FROM cases WHERE {ACTIVE} AND id = ANY(ARRAY(
                SELECT id FROM cases WHERE conversation_key = $1 AND {ACTIVE}
                UNION SELECT case_id FROM mentions
                      WHERE conversation_key = $1 AND case_id IS NOT NULL
                UNION SELECT id FROM cases WHERE brand = $2 AND cluster_key = $3 AND {ACTIVE}))
            ORDER BY id FOR UPDATE""",
        conversation_key,
        brand,
        cluster_key,
    )
    conversation = next((r for r in rows if r["in_conversation"]), None)
    cluster = next((r for r in rows if cluster_key and r["cluster_key"] == cluster_key), None)
    return conversation, cluster


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
    timers: Sequence[TimerPlan] = (),
) -> asyncpg.Record | None:
    """Open a case, plan its timers and link its mention, in one statement; None if another
    router opened one for this conversation or cluster first (then nothing is written)."""
    m = event.mention
    row: asyncpg.Record | None = await connection.fetchrow(
        """WITH opened AS (
               INSERT INTO cases (id, brand, conversation_key, status, team, queue, priority,
                   sla_started_at, sla_due_at, last_mention_at, language, source, sla_clock,
                   resolution_due_at, cluster_key)
               VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $7, $9, $10, 'first_response',
                   $11, $12)
               ON CONFLICT DO NOTHING RETURNING *),
           timers AS (
               INSERT INTO sla_timers (case_id, clock, clock_seq, kind, fraction, fire_at)
               SELECT opened.id, t.clock, 0, t.kind, t.fraction, t.fire_at FROM opened,
                   unnest($13::text[], $14::text[], $15::real[], $16::timestamptz[])
                   AS t(clock, kind, fraction, fire_at)),
           linked AS (
               UPDATE mentions SET case_id = opened.id FROM opened WHERE mentions.id = $17)
           SELECT * FROM opened""",
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
        [t.clock for t in timers],
        [t.kind for t in timers],
        [t.fraction for t in timers],
        [t.fire_at for t in timers],
        m.mention_id,
    )
    return row


async def add_mention_to_case(
    *,
    connection: Connection,
    case_id: uuid.UUID,
    mention_id: uuid.UUID,
    mention_at: datetime,
    priority: str | None,
) -> asyncpg.Record:
    """Count the mention in the case and link it, in one statement; a more urgent mention
    raises the case's priority."""
    row: asyncpg.Record = await connection.fetchrow(
        """WITH linked AS (UPDATE mentions SET case_id = $1 WHERE id = $4)
           UPDATE cases SET mention_count = mention_count + 1,
               last_mention_at = greatest(last_mention_at, $2),
               priority = least(priority, coalesce($3, priority)),
               updated_at = now()
           WHERE id = $1 RETURNING *""",
        case_id,
        mention_at,
        priority,
        mention_id,
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


# Batch statements of the fast path (`batch.py`): a fixed number per batch, whatever its size.


async def lock_batch_cases(
    *,
    connection: Connection,
    conversation_keys: Sequence[str],
    clusters: Sequence[tuple[str, str]],
) -> list[asyncpg.Record]:
    """Every active case of these conversations or viral clusters, locked, in id order (so
    batches that overlap wait for each other instead of deadlocking). `conversations` lists
    which of the given conversation keys each case answers for."""
    rows: list[asyncpg.Record] = await connection.fetch(
        # `pairs` is small (the batch's conversations): each case's list is read from it in
        # memory, never by probing mentions per case (a viral case has thousands). LATERAL
        # and LIMIT 1 keep every lookup an index probe per key, whatever the table statistics
        # say (a hash join over all active cases costs 20 ms a batch at 10,000 cases).
        f"""WITH pairs AS (
                 SELECT c.case_id, k.key AS conversation_key FROM unnest($1::text[]) AS k(key)
                 JOIN LATERAL (
                     SELECT id AS case_id FROM cases
                     WHERE conversation_key = k.key AND {ACTIVE}
                     UNION SELECT case_id FROM mentions
                           WHERE conversation_key = k.key AND case_id IS NOT NULL) c ON true),
             wanted AS (
                 SELECT case_id AS id FROM pairs
                 UNION SELECT c.id FROM unnest($2::text[], $3::text[]) AS k(brand, cluster_key)
                       JOIN LATERAL (
                           SELECT id FROM cases WHERE brand = k.brand
                           AND cluster_key = k.cluster_key AND cluster_key IS NOT NULL
                           AND {ACTIVE} LIMIT 1) c ON true)
            SELECT c.*, ARRAY(SELECT p.conversation_key FROM pairs p WHERE p.case_id = c.id)
                   AS conversations
            FROM cases c WHERE c.id = ANY(ARRAY(SELECT id FROM wanted)) AND c.{ACTIVE}
            ORDER BY c.id FOR UPDATE OF c""",
        list(conversation_keys),
        [brand for brand, _ in clusters],
        [key for _, key in clusters],
    )
    return rows


async def update_batch_cases(*, connection: Connection, cases: Sequence[dict[str, Any]]) -> None:
    if not cases:
        return
    await connection.execute(
        """UPDATE cases c SET mention_count = u.mention_count,
               last_mention_at = u.last_mention_at, priority = u.priority,
               sla_clock = u.sla_clock, sla_clock_seq = u.sla_clock_seq,
               sla_started_at = u.sla_started_at, sla_due_at = u.sla_due_at,
               breached_at = u.breached_at, cluster_key = u.cluster_key, updated_at = now()
           FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[], $5::text[],
                       $6::int[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[],
                       $10::text[])
               AS u(id, mention_count, last_mention_at, priority, sla_clock, sla_clock_seq,
                    sla_started_at, sla_due_at, breached_at, cluster_key)
           WHERE c.id = u.id""",
        *_columns(
            cases,
            "id mention_count last_mention_at priority sla_clock sla_clock_seq sla_started_at "
            "sla_due_at breached_at cluster_key",
        ),
    )


async def insert_batch_cases(*, connection: Connection, cases: Sequence[dict[str, Any]]) -> int:
    """Open new cases; returns how many were inserted (fewer: another router was first)."""
    if not cases:
        return 0
    inserted = await connection.fetch(
        """INSERT INTO cases (id, brand, conversation_key, status, team, queue, priority,
               sla_started_at, sla_due_at, last_mention_at, language, source, sla_clock,
               sla_clock_seq, resolution_due_at, cluster_key, mention_count)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
               $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[],
               $10::timestamptz[], $11::text[], $12::text[], $13::text[], $14::int[],
               $15::timestamptz[], $16::text[], $17::int[])
           ON CONFLICT DO NOTHING RETURNING id""",
        *_columns(
            cases,
            "id brand conversation_key status team queue priority sla_started_at sla_due_at "
            "last_mention_at language source sla_clock sla_clock_seq resolution_due_at "
            "cluster_key mention_count",
        ),
    )
    return len(inserted)


async def insert_batch_timers(
    *, connection: Connection, timers: Sequence[tuple[uuid.UUID, int, TimerPlan]]
) -> None:
    if not timers:
        return
    await connection.execute(
        """INSERT INTO sla_timers (case_id, clock, clock_seq, kind, fraction, fire_at)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::real[],
                                $6::timestamptz[])
           ON CONFLICT DO NOTHING""",
        [case_id for case_id, _, _ in timers],
        [plan.clock for _, _, plan in timers],
        [seq for _, seq, _ in timers],
        [plan.kind for _, _, plan in timers],
        [plan.fraction for _, _, plan in timers],
        [plan.fire_at for _, _, plan in timers],
    )


def _columns(rows: Sequence[dict[str, Any]], names: str) -> list[list[Any]]:
    return [[row[name] for row in rows] for name in names.split()]

"""The API's reads and writes in PostgreSQL. Keyword-only, typed, one concern each."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

CASE_COLUMNS = """id, brand, conversation_key, status, team, queue, priority, assignee, opened_at,
    sla_started_at, sla_due_at, first_response_at, resolved_at, mention_count, last_mention_at,
    updated_at"""


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    team: str | None = None
    assignee: str | None = None
    priority: str | None = None
    brand: str | None = None


async def list_brands(*, pool: asyncpg.Pool[Any]) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            """SELECT id, name, competitor_of, keywords, hashtags, handles, urgent_keywords,
                      languages FROM brands ORDER BY id"""
        )
    )


async def list_cases(
    *,
    pool: asyncpg.Pool[Any],
    where: CaseFilter,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Cases ordered by SLA due time (then id), keyset-paginated after `(due, id)`."""
    clauses, args = _filter_sql(where)
    if after is not None:
        args += [after[0], after[1]]
        clauses.append(f"(sla_due_at, id) > (${len(args) - 1}, ${len(args)})")
    args.append(limit)
    sql = f"""SELECT {CASE_COLUMNS} FROM cases
              {"WHERE " + " AND ".join(clauses) if clauses else ""}
              ORDER BY sla_due_at, id LIMIT ${len(args)}"""
    return list(await pool.fetch(sql, *args))


def _filter_sql(where: CaseFilter) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    for column in ("status", "team", "assignee", "priority", "brand"):
        value = getattr(where, column)
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    return clauses, args


async def get_case(*, pool: asyncpg.Pool[Any], case_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        f"SELECT {CASE_COLUMNS} FROM cases WHERE id = $1", case_id
    )
    return row


async def case_mentions(*, pool: asyncpg.Pool[Any], case_id: uuid.UUID) -> Sequence[asyncpg.Record]:
    return list(
        await pool.fetch(
            """SELECT id, source, source_id, brand, text, author, url, created_at, received_at,
                      thread_id, parent_id, classification, route
               FROM mentions WHERE case_id = $1 ORDER BY created_at, id""",
            case_id,
        )
    )

"""Queues and case detail, scoped to one organisation through the case's brand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.api.repo import Connection

# The running clock stops at a response given after it started: the first response for the
# first-response clock, the latest one for a next-response clock the router restarted when the
# customer wrote again (docs/routing.md). NULL while the clock runs.
STOPPED_AT_SQL = """CASE WHEN greatest(c.first_response_at, c.last_response_at) >= c.sla_started_at
    THEN greatest(c.first_response_at, c.last_response_at) END"""

# The SLA state on the wall clock: the warning point is the team's warning fraction of the
# wall time between start and due (an approximation of the business-time fraction until the
# business calendar code lives where the API may import it).
SLA_STATE_SQL = f"""CASE
    WHEN ({STOPPED_AT_SQL}) IS NOT NULL THEN
        CASE WHEN ({STOPPED_AT_SQL}) <= c.sla_due_at THEN 'met' ELSE 'breached' END
    WHEN now() >= c.sla_due_at THEN 'breached'
    WHEN now() >= c.sla_started_at + (c.sla_due_at - c.sla_started_at) * t.warning_fraction
        THEN 'warning'
    ELSE 'ok' END"""

CASE_SELECT = f"""SELECT c.id, c.brand, c.conversation_key, c.status, c.team, c.queue, c.priority,
    c.assignee, c.opened_at, c.sla_started_at, c.sla_due_at, c.first_response_at,
    c.resolved_at, c.mention_count, c.last_mention_at, c.updated_at,
    c.last_response_at, {STOPPED_AT_SQL} AS sla_stopped_at,
    {SLA_STATE_SQL} AS sla_state, now() AS as_of,
    (SELECT left(m.text, 160) FROM mentions m WHERE m.case_id = c.id
     ORDER BY m.created_at, m.id LIMIT 1) AS preview
    FROM cases c JOIN brands b ON b.id = c.brand JOIN teams t ON t.id = c.team"""


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    team: str | None = None
    assignee: str | None = None
    unassigned: bool = False
    priority: str | None = None
    brand: str | None = None
    sentiment: str | None = None
    language: str | None = None
    sla_state: str | None = None


def _where(organisation_id: str, where: CaseFilter) -> tuple[list[str], list[Any]]:
    args: list[Any] = [organisation_id]
    clauses = ["b.organisation_id = $1"]
    if where.status == "active":  # open or pending: what a queue shows
        clauses.append("c.status IN ('open', 'pending')")
    for column in ("status", "team", "assignee", "priority", "brand"):
        value = getattr(where, column)
        if column == "status" and value == "active":
            continue
        if value is not None:
            args.append(value)
            clauses.append(f"c.{column} = ${len(args)}")
    if where.unassigned:
        clauses.append("c.assignee IS NULL")
    for column in ("sentiment", "language"):
        value = getattr(where, column)
        if value is not None:
            args.append(value)
            clauses.append(
                f"EXISTS (SELECT 1 FROM mentions m WHERE m.case_id = c.id "
                f"AND m.{column} = ${len(args)})"
            )
    if where.sla_state is not None:
        args.append(where.sla_state)
        clauses.append(f"({SLA_STATE_SQL}) = ${len(args)}")
    return clauses, args


async def list_cases(
    *,
    pool: asyncpg.Pool[Any],
    organisation_id: str,
    where: CaseFilter,
    after: tuple[str, datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Most urgent priority first, then least time left; keyset-paginated after
    `(priority, due, id)` so a page costs the same however deep it is."""
    clauses, args = _where(organisation_id, where)
    if after is not None:
        args += list(after)
        n = len(args)
        clauses.append(f"(c.priority, c.sla_due_at, c.id) > (${n - 2}, ${n - 1}, ${n})")
    args.append(limit)
    sql = f"""{CASE_SELECT} WHERE {" AND ".join(clauses)}
              ORDER BY c.priority, c.sla_due_at, c.id LIMIT ${len(args)}"""
    return list(await pool.fetch(sql, *args))


async def get_case(
    *, pool: asyncpg.Pool[Any] | Connection, organisation_id: str, case_id: uuid.UUID
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        f"{CASE_SELECT} WHERE c.id = $1 AND b.organisation_id = $2", case_id, organisation_id
    )
    return row


MENTION_COLUMNS = """m.id, m.source, m.source_id, m.brand, m.text, m.author, m.url,
    m.created_at, m.received_at, m.thread_id, m.parent_id, m.sentiment, m.urgency, m.language,
    m.classification, m.route"""
# An incident links every mention of its crisis; the case view shows the newest of them.
INCIDENT_MENTIONS_SHOWN = 500


async def case_mentions(*, pool: asyncpg.Pool[Any], case_id: uuid.UUID) -> list[asyncpg.Record]:
    """The conversation's mentions, and for an incident the mentions linked to it."""
    return list(
        await pool.fetch(
            f"""SELECT * FROM (
                   SELECT {MENTION_COLUMNS} FROM mentions m WHERE m.case_id = $1
                   UNION
                   (SELECT {MENTION_COLUMNS} FROM incident_mentions i
                    JOIN mentions m ON m.id = i.mention_id WHERE i.case_id = $1
                    ORDER BY m.created_at DESC LIMIT $2)) AS both_kinds
                ORDER BY created_at, id""",
            case_id,
            INCIDENT_MENTIONS_SHOWN,
        )
    )


async def case_responses(*, pool: asyncpg.Pool[Any], case_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            """SELECT id, author, text, created_at FROM case_responses
               WHERE case_id = $1 ORDER BY created_at, id""",
            case_id,
        )
    )


async def case_audit(
    *, pool: asyncpg.Pool[Any], organisation_id: str, case_id: uuid.UUID
) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            """SELECT id, actor, action, case_id, mention_id, details, at FROM audit_log
               WHERE case_id = $1 AND organisation_id = $2 ORDER BY id""",
            case_id,
            organisation_id,
        )
    )


async def list_brands(*, pool: asyncpg.Pool[Any], organisation_id: str) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            """SELECT id, name, competitor_of, keywords, hashtags, handles, urgent_keywords,
                      languages FROM brands WHERE organisation_id = $1 ORDER BY id""",
            organisation_id,
        )
    )


async def list_teams(*, pool: asyncpg.Pool[Any], organisation_id: str) -> list[asyncpg.Record]:
    """The organisation's teams with their live load: open, unassigned and breached cases."""
    return list(
        await pool.fetch(
            f"""SELECT t.id, t.name, t.first_response_seconds, t.warning_fraction,
                   count(c.id) FILTER (WHERE c.status IN ('open', 'pending')) AS open,
                   count(c.id) FILTER (WHERE c.status IN ('open', 'pending')
                                       AND c.assignee IS NULL) AS unassigned,
                   count(c.id) FILTER (WHERE c.status IN ('open', 'pending')
                                       AND ({SLA_STATE_SQL}) = 'breached') AS breached
               FROM teams t
               LEFT JOIN cases c ON c.team = t.id
                   AND c.brand IN (SELECT id FROM brands WHERE organisation_id = $1)
               WHERE t.organisation_id = $1
               GROUP BY t.id ORDER BY t.id""",
            organisation_id,
        )
    )


async def assignee_load(*, pool: asyncpg.Pool[Any], organisation_id: str) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            f"""SELECT c.assignee, c.team, count(*) AS open,
                   count(*) FILTER (WHERE ({SLA_STATE_SQL}) = 'breached') AS breached
               FROM cases c JOIN brands b ON b.id = c.brand JOIN teams t ON t.id = c.team
               WHERE b.organisation_id = $1 AND c.status IN ('open', 'pending')
                 AND c.assignee IS NOT NULL
               GROUP BY c.assignee, c.team ORDER BY c.assignee, c.team""",
            organisation_id,
        )
    )

"""First-response time in business hours, filled in on cases the API has marked answered.

The API records when a case was first answered but has no business calendars; the router
does. Each sweep takes a batch of answered cases whose business time is still unknown (the
partial index `cases_business_response_pending`), computes the business seconds between the
clock's start and the first response in the team's calendar, and stores them. SKIP LOCKED
lets several router replicas share the work; a crash leaves the rows for the next sweep.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg

from services.router.config import RouterConfig
from services.router.sla import business_seconds_between

log = logging.getLogger(__name__)

BATCH = 500


async def record_business_response_times(
    *, pool: asyncpg.Pool[Any], config: RouterConfig, limit: int = BATCH
) -> int:
    """Fill `first_response_business_s` on up to `limit` cases; returns how many."""
    async with pool.acquire() as connection, connection.transaction():
        rows = await connection.fetch(
            """SELECT id, team, sla_started_at, first_response_at FROM cases
               WHERE first_response_at IS NOT NULL AND first_response_business_s IS NULL
               LIMIT $1 FOR UPDATE SKIP LOCKED""",
            limit,
        )
        ids, seconds = [], []
        for row in rows:
            team = config.teams.get(row["team"])
            if team is None:
                continue  # a team the router cannot load: left for when it can
            start, end = row["sla_started_at"], row["first_response_at"]
            ids.append(row["id"])
            seconds.append(
                business_seconds_between(start, end, team.calendar) if end > start else 0.0
            )
        if ids:
            await connection.execute(
                """UPDATE cases c SET first_response_business_s = u.seconds
                   FROM unnest($1::uuid[], $2::float8[]) AS u(id, seconds) WHERE c.id = u.id""",
                ids,
                seconds,
            )
    return len(ids)

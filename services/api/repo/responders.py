"""Responders (the router's `responders` table, docs/routing.md): a responder's id is the
email of a user of the organisation, which is also what `cases.assignee` holds."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.api.repo import Connection

COLUMNS = "r.id, r.name, r.teams, r.languages, r.brands, r.channels, r.capacity, r.status"


async def list_responders(*, pool: asyncpg.Pool[Any], organisation_id: str) -> list[asyncpg.Record]:
    """The organisation's responders with their open load."""
    return list(await pool.fetch(
        f"""SELECT {COLUMNS},
                   (SELECT count(*) FROM cases c WHERE c.assignee = r.id
                      AND c.status IN ('open', 'pending')) AS open
            FROM responders r JOIN users u ON u.email = r.id
            WHERE u.organisation_id = $1 ORDER BY r.id""",
        organisation_id))  # fmt: skip


async def upsert_responder(*, connection: Connection, responder: dict[str, Any]) -> asyncpg.Record:
    row: asyncpg.Record = await connection.fetchrow(
        """INSERT INTO responders AS r (id, name, teams, languages, brands, channels, capacity,
               status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (id) DO UPDATE SET name = $2, teams = $3, languages = $4, brands = $5,
               channels = $6, capacity = $7, status = $8, updated_at = now()
           RETURNING id""",
        responder["id"], responder["name"], responder["teams"], responder["languages"],
        responder["brands"], responder["channels"], responder["capacity"], responder["status"],
    )  # fmt: skip
    return row


async def seed_responder(
    *, pool: asyncpg.Pool[Any], responder_id: str, name: str, teams: list[str]
) -> None:
    """Create an `away` responder if absent (a restart keeps the status people set)."""
    await pool.execute(
        """INSERT INTO responders (id, name, teams, status) VALUES ($1, $2, $3, 'away')
           ON CONFLICT (id) DO NOTHING""",
        responder_id, name, teams,
    )  # fmt: skip


async def set_status(*, connection: Connection, responder_id: str, status: str) -> bool:
    """The router's assigner notices the change on its next pass."""
    done = await connection.fetchval(
        """UPDATE responders SET status = $2, updated_at = now() WHERE id = $1
           RETURNING true""",
        responder_id, status,
    )  # fmt: skip
    return bool(done)


async def teams_outside(
    *, connection: Connection, organisation_id: str, teams: list[str]
) -> list[str]:
    rows = await connection.fetch(
        """SELECT t FROM unnest($2::text[]) AS t
           WHERE NOT EXISTS (SELECT 1 FROM teams WHERE id = t AND organisation_id = $1)""",
        organisation_id, teams,
    )  # fmt: skip
    return [row["t"] for row in rows]


async def mark_working(*, connection: Connection, responder_id: str) -> bool:
    """An offline responder who claims a case is evidently working: `away` (no new automatic
    assignments) keeps the router from handing the claimed case back to the queue."""
    done = await connection.fetchval(
        """UPDATE responders SET status = 'away', updated_at = now()
           WHERE id = $1 AND status = 'offline' RETURNING true""",
        responder_id,
    )
    return bool(done)

"""The organisation's brand catalogue and teams."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.api.repo import Connection

BRAND_COLUMNS = "id, name, competitor_of, keywords, hashtags, handles, urgent_keywords, languages"


async def insert_brand(
    *, connection: Connection, organisation_id: str, brand: dict[str, Any]
) -> asyncpg.Record | None:
    """None if the id is taken (brand ids are global: mentions and cases name them)."""
    row: asyncpg.Record | None = await connection.fetchrow(
        f"""INSERT INTO brands (organisation_id, {BRAND_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING
            RETURNING {BRAND_COLUMNS}""",
        organisation_id, brand["id"], brand["name"], brand["competitor_of"], brand["keywords"],
        brand["hashtags"], brand["handles"], brand["urgent_keywords"], brand["languages"],
    )  # fmt: skip
    return row


async def update_brand(
    *, connection: Connection, organisation_id: str, brand_id: str, brand: dict[str, Any]
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await connection.fetchrow(
        f"""UPDATE brands SET name = $3, competitor_of = $4, keywords = $5, hashtags = $6,
                handles = $7, urgent_keywords = $8, languages = $9, updated_at = now()
            WHERE id = $1 AND organisation_id = $2 RETURNING {BRAND_COLUMNS}""",
        brand_id, organisation_id, brand["name"], brand["competitor_of"], brand["keywords"],
        brand["hashtags"], brand["handles"], brand["urgent_keywords"], brand["languages"],
    )  # fmt: skip
    return row


async def brand_in_organisation(
    *, connection: Connection, organisation_id: str, brand_id: str
) -> bool:
    found = await connection.fetchval(
        "SELECT true FROM brands WHERE id = $1 AND organisation_id = $2", brand_id, organisation_id
    )
    return bool(found)


async def upsert_team(
    *,
    connection: Connection,
    organisation_id: str,
    team_id: str,
    team: dict[str, Any],
    create: bool,
) -> asyncpg.Record | None:
    """Create (None if the id is taken) or update (None if not this organisation's team)."""
    if create:
        sql = """INSERT INTO teams (id, organisation_id, name, calendar, first_response_seconds,
                     warning_fraction) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (id) DO NOTHING RETURNING id"""
    else:
        sql = """UPDATE teams SET name = $3, calendar = $4, first_response_seconds = $5,
                     warning_fraction = $6 WHERE id = $1 AND organisation_id = $2 RETURNING id"""
    row: asyncpg.Record | None = await connection.fetchrow(
        sql, team_id, organisation_id, team["name"], team["calendar"],
        team["first_response_seconds"], team["warning_fraction"],
    )  # fmt: skip
    return row

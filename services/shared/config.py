"""Load brands and teams from YAML files into PostgreSQL (`earshot config load`, demo seed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import yaml


async def load_config(pool: asyncpg.Pool[Any], *files: Path) -> dict[str, int]:
    """Upsert every `brands:` and `teams:` entry of the given YAML files; returns counts."""
    brands: list[dict[str, Any]] = []
    teams: list[dict[str, Any]] = []
    for file in files:
        document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        brands += document.get("brands", [])
        teams += document.get("teams", [])
    # Tracked brands first: a competitor row references the brand it competes with.
    brands.sort(key=lambda b: b.get("competitor_of") is not None)
    has_query = bool(
        await pool.fetchval(
            """SELECT 1 FROM information_schema.columns
               WHERE table_name = 'brands' AND column_name = 'query'"""
        )
    )
    async with pool.acquire() as connection, connection.transaction():
        for brand in brands:
            await connection.execute(
                """INSERT INTO brands (id, name, competitor_of, keywords, hashtags, handles,
                       urgent_keywords, languages)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                   ON CONFLICT (id) DO UPDATE SET name = $2, competitor_of = $3, keywords = $4,
                       hashtags = $5, handles = $6, urgent_keywords = $7, languages = $8,
                       updated_at = now()""",
                brand["id"],
                brand["name"],
                brand.get("competitor_of"),
                list(brand.get("keywords") or []),
                list(brand.get("hashtags") or []),
                list(brand.get("handles") or []),
                list(brand.get("urgent_keywords") or []),
                list(brand.get("languages") or []),
            )
            if has_query and "query" in brand:
                # A brand's boolean tracking query (ingest's rule language) decides alone.
                await connection.execute(
                    "UPDATE brands SET query = $2 WHERE id = $1", brand["id"], brand["query"]
                )
        for team in teams:
            await connection.execute(
                """INSERT INTO teams (id, name, calendar, first_response_seconds, warning_fraction)
                   VALUES ($1, $2, $3, $4, $5)
                   ON CONFLICT (id) DO UPDATE SET name = $2, calendar = $3,
                       first_response_seconds = $4, warning_fraction = $5""",
                team["id"],
                team["name"],
                team["calendar"],
                int(team.get("first_response_seconds", 21600)),
                float(team.get("warning_fraction", 0.75)),
            )
    return {"brands": len(brands), "teams": len(teams)}

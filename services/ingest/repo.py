"""Ingest's PostgreSQL access: the brand catalogue and brands' tracking queries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from services.ingest.rules import Brand, BrandCatalogue
from services.ingest.rules.query import parse, to_text


async def load_catalogue(*, pool: asyncpg.Pool[Any]) -> BrandCatalogue:
    rows = await pool.fetch(
        """SELECT id, name, competitor_of, keywords, hashtags, handles, urgent_keywords,
                  languages, query
           FROM brands ORDER BY id"""
    )
    return BrandCatalogue(
        [
            Brand(
                id=row["id"],
                name=row["name"],
                competitor_of=row["competitor_of"],
                keywords=tuple(row["keywords"]),
                hashtags=tuple(row["hashtags"]),
                handles=tuple(row["handles"]),
                urgent_keywords=tuple(row["urgent_keywords"]),
                languages=tuple(row["languages"]),
                query=row["query"],
            )
            for row in rows
        ]
    )


async def set_brand_query(
    *, pool: asyncpg.Pool[Any], brand_id: str, query: str | None
) -> str | None:
    """Store a brand's query as written (None: back to its keywords); returns its canonical
    form. Raises QuerySyntaxError before writing anything, LookupError for an unknown brand."""
    canonical = to_text(parse(query)) if query is not None else None
    status = await pool.execute(
        "UPDATE brands SET query = $2, updated_at = now() WHERE id = $1", brand_id, query
    )
    if status.endswith(" 0"):
        raise LookupError(f"unknown brand {brand_id!r}")
    return canonical


async def set_brand_queries(
    *, pool: asyncpg.Pool[Any], queries: Mapping[str, str | None]
) -> dict[str, str | None]:
    """Several brands' queries at once, all or none: every query is parsed before anything is
    written, and an unknown brand rolls the whole change back (LookupError)."""
    canonical = {b: to_text(parse(q)) if q is not None else None for b, q in queries.items()}
    async with pool.acquire() as connection, connection.transaction():
        for brand_id, query in queries.items():
            status = await connection.execute(
                "UPDATE brands SET query = $2, updated_at = now() WHERE id = $1", brand_id, query
            )
            if status.endswith(" 0"):
                raise LookupError(f"unknown brand {brand_id!r}")
    return canonical

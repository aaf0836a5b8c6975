"""Ingest's reads from PostgreSQL: the brand catalogue."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.ingest.rules import Brand, BrandCatalogue


async def load_catalogue(*, pool: asyncpg.Pool[Any]) -> BrandCatalogue:
    rows = await pool.fetch(
        """SELECT id, name, competitor_of, keywords, hashtags, handles, urgent_keywords, languages
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
            )
            for row in rows
        ]
    )

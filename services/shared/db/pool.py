"""asyncpg connection pool with JSON codecs."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def _init_connection(connection: asyncpg.Connection[Any]) -> None:
    for kind in ("json", "jsonb"):
        await connection.set_type_codec(
            kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(dsn: str, *, max_size: int = 10) -> asyncpg.Pool[Any]:
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=max_size, init=_init_connection, command_timeout=60
    )
    assert pool is not None
    return pool


async def ping(pool: asyncpg.Pool[Any]) -> bool:
    try:
        async with pool.acquire(timeout=2) as connection:
            return bool(await connection.fetchval("SELECT 1", timeout=2))
    except Exception:  # readiness must answer, not raise
        return False

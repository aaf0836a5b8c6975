"""Typed dependency aliases, so routes stay short."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Depends, Request


def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.resources.pool
    return pool


PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]

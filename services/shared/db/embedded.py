"""Embedded PostgreSQL for `earshot run` and the tests: the `pgserver` wheel, no install needed."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def start_embedded_postgres(data_dir: Path, *, stop_at_exit: bool = True) -> str:
    """Start (or reuse) a PostgreSQL server whose data lives in `data_dir`; return its DSN.

    Data survives restarts of Earshot: the next run finds the same cases.
    """
    import pgserver  # imported here: only embedded mode needs the server binaries

    data_dir.mkdir(parents=True, exist_ok=True)
    cleanup = "stop" if stop_at_exit else None
    server = pgserver.get_server(data_dir.resolve(), cleanup_mode=cleanup)  # type: ignore[attr-defined]
    dsn: str = server.get_uri()
    log.info("embedded PostgreSQL ready", extra={"data_dir": str(data_dir)})
    return dsn


def sqlalchemy_url(dsn: str) -> str:
    """The same DSN for SQLAlchemy's asyncpg dialect (used by Alembic only)."""
    for prefix in ("postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+asyncpg://" + dsn[len(prefix) :]
    return dsn

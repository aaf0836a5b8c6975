"""Versioned schema migrations with Alembic (raw SQL revisions in `migrations/versions/`).

Each capability adds its own revisions; parallel branches are allowed (we upgrade to
"heads"), so two features can add tables without renumbering each other. Alembic is the
maintained standard for PostgreSQL migrations in Python; revisions are plain
SQL so the schema reads the same in the migration as in psql. Several replicas may start at
once: the migration environment serialises them on an advisory lock.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from services.shared.db.embedded import sqlalchemy_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(dsn: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' must be doubled for ConfigParser interpolation.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(dsn).replace("%", "%%"))
    return config


def upgrade_sync(dsn: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(dsn), revision)


async def upgrade(dsn: str, revision: str = "heads") -> None:
    """Bring the schema to `revision`; safe to call at every service start."""
    # Alembic's async env runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade_sync, dsn, revision)

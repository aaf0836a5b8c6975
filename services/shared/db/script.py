"""Run a multi-statement SQL script inside an Alembic migration."""

from __future__ import annotations

from alembic import op
from sqlalchemy.util import await_only


def execute_script(sql: str) -> None:
    """asyncpg prepares each statement, and a prepared statement holds one command; the simple
    query protocol (asyncpg's `execute` without arguments) runs a whole script at once, inside
    the migration's transaction."""
    driver_connection = op.get_bind().connection.driver_connection
    assert driver_connection is not None
    await_only(driver_connection.execute(sql))

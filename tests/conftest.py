"""Fixtures shared by every test: a real Kafka broker and a real PostgreSQL, started once.

Locally, a broker or database that cannot start skips the tests that need it, with the
reason. In CI (`CI=true`) it fails them: integration tests must never silently skip there.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.support.kafka_broker import KafkaBroker

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _dump_tasks(*_: object) -> None:
    """`kill -USR1 <pytest pid>` prints every asyncio task's stack: where a hung test waits."""
    try:
        tasks = asyncio.all_tasks()
    except RuntimeError:
        return
    for task in tasks:
        task.print_stack(file=sys.stderr)


signal.signal(signal.SIGUSR1, _dump_tasks)


def unavailable(what: str, error: BaseException) -> None:
    message = f"{what} could not start: {error!r}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    try:
        broker.start()
    except Exception as exc:
        broker.stop(kill=True)
        unavailable("Kafka broker", exc)
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def postgres_dsn(tmp_path_factory: pytest.TempPathFactory) -> str:
    from services.shared.db.embedded import start_embedded_postgres
    from services.shared.db.migrate import upgrade_sync

    try:
        dsn = start_embedded_postgres(tmp_path_factory.mktemp("pg") / "data")
        # Alembic runs its own event loop: keep it off the test's loop, which may be running.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(upgrade_sync, dsn).result()
    except Exception as exc:
        unavailable("PostgreSQL", exc)
    return dsn


@pytest.fixture(scope="session")
async def pool(postgres_dsn: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    from services.shared.db.pool import create_pool

    pool = await create_pool(postgres_dsn, max_size=10)
    yield pool
    await pool.close()


@pytest.fixture
async def clean_db(pool: asyncpg.Pool[Any]) -> asyncpg.Pool[Any]:
    """Empty the tables the pipeline writes (teams keep their seeded defaults)."""
    await pool.execute("TRUNCATE outbox, mentions, cases, brands CASCADE")
    return pool


@pytest.fixture
def unique() -> str:
    """A short unique tag for ids, topics and groups, so tests never see each other's data."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    return Path(__file__).parents[1] / "services" / "shared" / "demo"

"""Helpers for integration tests: a real pipeline on a real Kafka broker and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.support.kafka_broker import free_port

NEGATIVE = [
    "{b} charged me twice and support is silent. Fix this now.",
    "Worst experience ever with {b}, my order never arrived",
    "{b} app keeps crashing, I can't log in to my account, terrible",
    "Still waiting for my refund from {b}. Disappointed and angry.",
]
POSITIVE = [
    "Loving the new {b} update, great job team!",
    "{b} support was amazing today, thank you so much",
]
NEUTRAL = ["Does {b} ship to Iceland?", "{b} opens a new office in Lyon"]


def synthetic_mentions(brand: str, count: int, *, tag: str, seed: int = 7) -> list[dict[str, Any]]:
    """`count` mentions of `brand`: mostly negative (cases), some threads, some monitoring."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(hours=2)
    items = []
    for i in range(count):
        pool = rng.choices([NEGATIVE, POSITIVE, NEUTRAL], weights=[6, 2, 2])[0]
        item: dict[str, Any] = {
            "source": "x",
            "source_id": f"{tag}-{i}",
            "brand": brand,
            "text": rng.choice(pool).format(b=brand.capitalize()) + f" #{i}",
            "author": {
                "handle": f"@user{rng.randint(1, 5000)}",
                "followers": rng.randint(0, 20000),
            },
            "created_at": (start + timedelta(seconds=i)).isoformat(),
        }
        if i % 10 in (3, 4) and i >= 10:  # replies to an earlier mention: same conversation
            root = f"{tag}-{i - i % 10}"
            item["thread_id"] = root
            item["parent_id"] = root
        items.append(item)
    return items


async def wait_for(
    condition: Callable[[], Any], *, timeout: float = 120, interval: float = 0.25, what: str = ""
) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await condition()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


async def stored_count(pool: asyncpg.Pool, brand: str) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM mentions WHERE brand = $1", brand))


async def assert_exactly_once(pool: asyncpg.Pool, brand: str, source_ids: Sequence[str]) -> None:
    """Every mention stored once, routed once, in at most one active case per conversation,
    and every case's count equal to the mentions linked to it."""
    rows = await pool.fetch("SELECT source_id, route FROM mentions WHERE brand = $1", brand)
    assert sorted(r["source_id"] for r in rows) == sorted(source_ids)
    assert all(r["route"]["action"] in ("case", "monitor") for r in rows)
    duplicates = await pool.fetchval(
        """SELECT count(*) FROM (SELECT conversation_key FROM cases WHERE brand = $1
           GROUP BY conversation_key HAVING count(*) > 1) d""",
        brand,
    )
    assert duplicates == 0, "a conversation got two cases"
    mismatched = await pool.fetch(
        """SELECT c.id, c.mention_count, count(m.id) AS linked FROM cases c
           LEFT JOIN mentions m ON m.case_id = c.id WHERE c.brand = $1
           GROUP BY c.id HAVING c.mention_count <> count(m.id)""",
        brand,
    )
    assert not mismatched, f"case counts disagree with linked mentions: {mismatched[:3]}"


def service_env(*, bootstrap: str, dsn: str, prefix: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "EARSHOT_BUS": "kafka",
        "EARSHOT_KAFKA_BOOTSTRAP": bootstrap,
        "EARSHOT_DATABASE_URL": dsn,
        "EARSHOT_TOPIC_PREFIX": prefix,
        "EARSHOT_TOPIC_PARTITIONS": "4",
        "EARSHOT_HTTP_PORT": str(port),
        "EARSHOT_CLASSIFIER_MODEL": "vader",
        "EARSHOT_LOG_FORMAT": "text",
    }


def earshot_bin() -> str:
    return str(Path(sys.executable).with_name("earshot"))


def start_service(service: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [earshot_bin(), "serve", service],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    async with httpx.AsyncClient() as client:

        async def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"service exited with {process.returncode}")
            try:
                return (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_for(ready, timeout=timeout, what=f"service on port {port} to be ready")


__all__ = ["free_port"]

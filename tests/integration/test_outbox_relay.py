"""The outbox relay on real PostgreSQL: publishes its own topics, in order, once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg
import pytest

from services.shared.bus.base import Record
from services.shared.db.outbox import relay_once

pytestmark = pytest.mark.postgres


class RecordingProducer:
    def __init__(self) -> None:
        self.sent: list[Record] = []

    async def send_many(self, records: Sequence[Record]) -> None:
        self.sent.extend(records)


async def add_row(pool: asyncpg.Pool, topic: str, key: str) -> None:
    await pool.execute(
        "INSERT INTO outbox (event_id, topic, key, payload) VALUES ($1, $2, $3, $4)",
        uuid.uuid4(),
        topic,
        key,
        b"{}",
    )


async def test_a_row_for_another_deployments_topic_does_not_block_the_relay(
    pool: asyncpg.Pool,
) -> None:
    mine, other = f"r{uuid.uuid4().hex[:8]}.cases.events", f"o{uuid.uuid4().hex[:8]}.cases.events"
    await add_row(pool, other, "a")  # a topic this relay's bus does not have
    await add_row(pool, mine, "b")
    await add_row(pool, mine, "c")
    producer = RecordingProducer()
    assert await relay_once(pool, producer, topics=[mine]) == 2
    assert [(r.topic, r.key) for r in producer.sent] == [(mine, b"b"), (mine, b"c")]
    assert await relay_once(pool, producer, topics=[mine]) == 0  # published once
    left = await pool.fetchval(
        "SELECT count(*) FROM outbox WHERE topic = $1 AND published_at IS NULL", other
    )
    assert left == 1  # left for the relay of its own deployment

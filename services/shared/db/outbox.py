"""Transactional outbox: write events with the state change, relay them to the bus afterwards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg

from schemas import CloudEvent, encode
from services.shared.bus.base import Producer, Record

log = logging.getLogger(__name__)


async def add_to_outbox(
    connection: asyncpg.Connection[Any], *, topic: str, event: CloudEvent[Any]
) -> None:
    """Insert inside the caller's transaction; idempotent on the event id."""
    await connection.execute(
        """INSERT INTO outbox (event_id, topic, key, payload) VALUES ($1, $2, $3, $4)
           ON CONFLICT (event_id) DO NOTHING""",
        event.id,
        topic,
        event.partitionkey,
        encode(event),
    )


async def relay_once(
    pool: asyncpg.Pool[Any], producer: Producer, *, topics: Sequence[str], limit: int = 500
) -> int:
    """Publish one batch of unpublished events of `topics`; returns how many.

    Rows stay locked (SKIP LOCKED lets other relays take other rows) until the bus
    acknowledged them; a crash before the update publishes them again (at-least-once,
    consumers are idempotent on the event id). A relay publishes only the topics of its own
    deployment (`EARSHOT_TOPIC_PREFIX`): a row for a topic its bus does not have would block
    every row behind it.
    """
    async with pool.acquire() as connection, connection.transaction():
        rows = await connection.fetch(
            """SELECT id, topic, key, payload FROM outbox
               WHERE published_at IS NULL AND topic = ANY($2::text[])
               ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED""",
            limit,
            list(topics),
        )
        if not rows:
            return 0
        await producer.send_many(
            [
                Record(
                    row["topic"],
                    bytes(row["payload"]),
                    key=row["key"].encode() if row["key"] is not None else None,
                )
                for row in rows
            ]
        )
        await connection.execute(
            "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
            [row["id"] for row in rows],
        )
        return len(rows)


async def relay_forever(
    pool: asyncpg.Pool[Any],
    producer: Producer,
    stop: asyncio.Event,
    *,
    topics: Sequence[str],
    idle_s: float = 0.1,
) -> None:
    while not stop.is_set():
        try:
            published = await relay_once(pool, producer, topics=topics)
        except Exception:
            log.exception("outbox relay failed; retrying")
            published = 0
            await asyncio.sleep(1)
        if not published:
            try:
                await asyncio.wait_for(stop.wait(), idle_s)
            except TimeoutError:
                pass

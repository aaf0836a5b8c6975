"""A durable local bus whose log lives in PostgreSQL (embedded mode, small installs).

Same semantics as Kafka where the services rely on them: keyed partitioning keeps a
conversation in order; a produce returns once the records are committed (durable, like
acks=all); consumer groups keep committed positions; uncommitted messages are delivered again
after a crash. Partitions are shared among a group's consumers, in one process or several,
with one session-level advisory lock per (group, topic, partition): a consumer that dies
loses its connection, its locks, and so its partitions to the survivors.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from services.shared.bus.base import Message, Record, next_offsets

log = logging.getLogger(__name__)

POLL_S = 0.05  # how often an idle consumer looks for messages produced by other processes
CLAIM_EVERY_S = 1.0  # how often a consumer tries to take partitions nobody holds
RETENTION = "7 days"


class PostgresBus:
    def __init__(self, pool: asyncpg.Pool, *, default_partitions: int = 4) -> None:
        self.pool = pool
        self.default_partitions = default_partitions
        self._partitions: dict[str, int] = {}
        self._appended = asyncio.Condition()
        self._janitor: asyncio.Task[None] | None = None
        self.producer = PostgresProducer(self)

    async def start(self) -> None:
        self._janitor = asyncio.create_task(self._expire_forever(), name="bus-retention")

    async def stop(self) -> None:
        if self._janitor is not None:
            self._janitor.cancel()

    async def _expire_forever(self) -> None:
        while True:
            await asyncio.sleep(600)
            try:
                await self.delete_expired()
            except Exception:
                log.exception("bus retention cleanup failed; will try again")

    async def ping(self) -> bool:
        try:
            return bool(await self.pool.fetchval("SELECT 1", timeout=2))
        except Exception:  # readiness must answer, not raise
            return False

    async def ensure_topics(self, topics: Mapping[str, int]) -> None:
        async with self.pool.acquire() as connection:
            for topic, partitions in topics.items():
                await connection.executemany(
                    """INSERT INTO bus_partitions (topic, partition) VALUES ($1, $2)
                       ON CONFLICT DO NOTHING""",
                    [(topic, p) for p in range(partitions)],
                )
        self._partitions.clear()

    async def partition_count(self, topic: str) -> int:
        if topic not in self._partitions:
            count = await self.pool.fetchval(
                "SELECT count(*) FROM bus_partitions WHERE topic = $1", topic
            )
            if not count:
                await self.ensure_topics({topic: self.default_partitions})
                count = self.default_partitions
            self._partitions[topic] = int(count)
        return self._partitions[topic]

    def consumer(self, topics: Sequence[str], *, group: str) -> PostgresConsumer:
        return PostgresConsumer(self, tuple(topics), group)

    async def delete_expired(self) -> int:
        status = await self.pool.execute(
            f"DELETE FROM bus_messages WHERE created_at < now() - interval '{RETENTION}'"
        )
        return int(status.split()[-1])

    async def _notify(self) -> None:
        async with self._appended:
            self._appended.notify_all()


class PostgresProducer:
    def __init__(self, bus: PostgresBus) -> None:
        self._bus = bus

    async def send_many(self, records: Sequence[Record]) -> None:
        if not records:
            return
        by_partition: dict[tuple[str, int], list[Record]] = {}
        for record in records:
            count = await self._bus.partition_count(record.topic)
            # Stable hash of the key, as Kafka's keyed partitioner: one key, one partition.
            partition = zlib.crc32(record.key) % count if record.key is not None else 0
            by_partition.setdefault((record.topic, partition), []).append(record)
        async with self._bus.pool.acquire() as connection, connection.transaction():
            # Sorted, so two producers lock partitions in the same order (no deadlock).
            for (topic, partition), batch in sorted(by_partition.items()):
                end = await connection.fetchval(
                    """UPDATE bus_partitions SET next_offset = next_offset + $3
                       WHERE topic = $1 AND partition = $2 RETURNING next_offset""",
                    topic,
                    partition,
                    len(batch),
                )
                first = end - len(batch)
                await connection.executemany(
                    """INSERT INTO bus_messages (topic, partition, "offset", key, value,
                           header_keys, header_values)
                       VALUES ($1, $2, $3, $4, $5, $6, $7)""",
                    [
                        (
                            topic,
                            partition,
                            first + i,
                            r.key,
                            r.value,
                            [k for k, _ in r.headers],
                            [v for _, v in r.headers],
                        )
                        for i, r in enumerate(batch)
                    ],
                )
        await self._bus._notify()


class PostgresConsumer:
    def __init__(self, bus: PostgresBus, topics: tuple[str, ...], group: str) -> None:
        self._bus = bus
        self.topics = topics
        self.group = group
        self._connection: asyncpg.Connection | None = None  # holds the partition locks
        self._positions: dict[tuple[str, int], int] = {}
        self._claimed_at = 0.0

    async def start(self) -> None:
        self._connection = await self._bus.pool.acquire()
        await self._claim_partitions()

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.execute("SELECT pg_advisory_unlock_all()")
            await self._bus.pool.release(self._connection)
            self._connection = None
        self._positions.clear()

    async def _claim_partitions(self) -> None:
        assert self._connection is not None
        self._claimed_at = time.monotonic()
        for topic in self.topics:
            for partition in range(await self._bus.partition_count(topic)):
                if (topic, partition) in self._positions:
                    continue
                lock = zlib.crc32(f"{self.group}|{topic}|{partition}".encode())
                if await self._connection.fetchval("SELECT pg_try_advisory_lock($1)", lock):
                    committed = await self._connection.fetchval(
                        """SELECT "offset" FROM bus_offsets
                           WHERE group_id = $1 AND topic = $2 AND partition = $3""",
                        self.group,
                        topic,
                        partition,
                    )
                    self._positions[(topic, partition)] = committed or 0

    async def fetch(self, max_records: int, timeout_ms: int) -> list[Message]:
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            if time.monotonic() - self._claimed_at > CLAIM_EVERY_S:
                await self._claim_partitions()
            batch = await self._read(max_records)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0:
                return batch
            condition = self._bus._appended
            try:
                async with condition:
                    await asyncio.wait_for(condition.wait(), min(POLL_S, remaining))
            except TimeoutError:
                pass

    async def _read(self, max_records: int) -> list[Message]:
        if not self._positions:
            return []
        assert self._connection is not None
        keys = list(self._positions)
        rows = await self._connection.fetch(
            """SELECT m.topic, m.partition, m."offset", m.key, m.value, m.header_keys,
                      m.header_values
               FROM unnest($1::text[], $2::int[], $3::bigint[]) AS p(topic, partition, pos)
               CROSS JOIN LATERAL (
                   SELECT * FROM bus_messages b
                   WHERE b.topic = p.topic AND b.partition = p.partition AND b."offset" >= p.pos
                   ORDER BY b."offset" LIMIT $4) m
               ORDER BY m.topic, m.partition, m."offset" """,
            [t for t, _ in keys],
            [p for _, p in keys],
            [self._positions[k] for k in keys],
            max_records,
        )
        messages = [_message(row) for row in rows[:max_records]]
        for message in messages:
            self._positions[(message.topic, message.partition)] = message.offset + 1
        return messages

    async def commit(self, messages: Sequence[Message]) -> None:
        assert self._connection is not None
        offsets = [
            (self.group, topic, partition, offset)
            for (topic, partition), offset in next_offsets(messages).items()
            if (topic, partition) in self._positions  # still ours
        ]
        await self._connection.executemany(
            """INSERT INTO bus_offsets (group_id, topic, partition, "offset")
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (group_id, topic, partition)
               DO UPDATE SET "offset" = greatest(bus_offsets."offset", excluded."offset")""",
            offsets,
        )


def _message(row: Any) -> Message:
    headers = tuple(zip(row["header_keys"], row["header_values"], strict=True))
    return Message(row["topic"], row["partition"], row["offset"], row["key"], row["value"], headers)

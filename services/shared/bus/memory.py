"""In-process bus for embedded mode and unit tests.

Same semantics as the Kafka bus where they matter: keyed partitioning keeps a conversation in
order, consumer groups keep committed positions, and a consumer that stops without committing
gets its uncommitted messages again (at-least-once). Partitions are shared among the members of
a group; a join or leave rebalances and every member restarts from the committed positions.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Mapping, Sequence

from services.shared.bus.base import Message, Record, next_offsets


class MemoryBus:
    def __init__(self, default_partitions: int = 4) -> None:
        self.default_partitions = default_partitions
        self._logs: dict[str, list[list[Message]]] = {}
        self._committed: dict[tuple[str, str, int], int] = {}
        self._members: dict[str, list[MemoryConsumer]] = {}
        self._changed = asyncio.Condition()
        self.producer = MemoryProducer(self)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def ensure_topics(self, topics: Mapping[str, int]) -> None:
        for name, partitions in topics.items():
            self._partitions(name, partitions)

    def consumer(self, topics: Sequence[str], *, group: str) -> MemoryConsumer:
        return MemoryConsumer(self, tuple(topics), group)

    # -- internals used by producer and consumers ------------------------------------------

    def _partitions(self, topic: str, count: int | None = None) -> list[list[Message]]:
        if topic not in self._logs:
            self._logs[topic] = [[] for _ in range(count or self.default_partitions)]
        return self._logs[topic]

    async def _append(self, records: Sequence[Record]) -> None:
        now_ms = int(time.time() * 1000)
        for record in records:
            partitions = self._partitions(record.topic)
            # Stable hash of the key (like Kafka's keyed partitioner): one key, one partition.
            index = zlib.crc32(record.key) % len(partitions) if record.key is not None else 0
            log = partitions[index]
            log.append(
                Message(
                    record.topic, index, len(log), record.key, record.value, record.headers, now_ms
                )
            )
        async with self._changed:
            self._changed.notify_all()

    def _rebalance(self, group: str) -> None:
        members = self._members.get(group, [])
        for member in members:
            member._assignment = []
            member._positions = {}
        topics = sorted({topic for member in members for topic in member.topics})
        slots = [(t, p) for t in topics for p in range(len(self._partitions(t)))]
        for i, (topic, partition) in enumerate(slots):
            owners = [m for m in members if topic in m.topics]
            if owners:
                owner = owners[i % len(owners)]
                owner._assignment.append((topic, partition))
                owner._positions[(topic, partition)] = self._committed.get(
                    (group, topic, partition), 0
                )

    def committed(self, group: str, topic: str) -> dict[int, int]:
        return {p: o for (g, t, p), o in self._committed.items() if g == group and t == topic}

    def end_offsets(self, topic: str) -> dict[int, int]:
        return {i: len(log) for i, log in enumerate(self._partitions(topic))}

    def messages(self, topic: str) -> list[Message]:
        return [m for log in self._partitions(topic) for m in log]


class MemoryProducer:
    def __init__(self, bus: MemoryBus) -> None:
        self._bus = bus

    async def send_many(self, records: Sequence[Record]) -> None:
        await self._bus._append(records)


class MemoryConsumer:
    def __init__(self, bus: MemoryBus, topics: tuple[str, ...], group: str) -> None:
        self._bus = bus
        self.topics = topics
        self.group = group
        self._assignment: list[tuple[str, int]] = []
        self._positions: dict[tuple[str, int], int] = {}
        self._next = 0

    async def start(self) -> None:
        for topic in self.topics:
            self._bus._partitions(topic)
        self._bus._members.setdefault(self.group, []).append(self)
        self._bus._rebalance(self.group)

    async def stop(self) -> None:
        members = self._bus._members.get(self.group, [])
        if self in members:
            members.remove(self)
            self._bus._rebalance(self.group)

    def _take(self, max_records: int) -> list[Message]:
        batch: list[Message] = []
        if not self._assignment:
            return batch
        # Round-robin over assigned partitions so one busy partition cannot starve the rest.
        for step in range(len(self._assignment)):
            tp = self._assignment[(self._next + step) % len(self._assignment)]
            log = self._bus._logs[tp[0]][tp[1]]
            start = self._positions[tp]
            chunk = log[start : start + max_records - len(batch)]
            self._positions[tp] = start + len(chunk)
            batch.extend(chunk)
            if len(batch) >= max_records:
                break
        self._next += 1
        return batch

    async def fetch(self, max_records: int, timeout_ms: int) -> list[Message]:
        batch = self._take(max_records)
        if batch:
            return batch
        condition = self._bus._changed
        try:
            async with condition:
                await asyncio.wait_for(condition.wait(), timeout_ms / 1000)
        except TimeoutError:
            return []
        return self._take(max_records)

    async def commit(self, messages: Sequence[Message]) -> None:
        for (topic, partition), offset in next_offsets(messages).items():
            if (topic, partition) not in self._positions:
                continue  # revoked by a rebalance: the new owner will see it again
            key = (self.group, topic, partition)
            self._bus._committed[key] = max(self._bus._committed.get(key, 0), offset)

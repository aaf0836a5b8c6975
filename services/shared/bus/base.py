"""The one bus interface. Kafka (distributed) and in-process (embedded) both implement it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class Record:
    """A message to produce."""

    topic: str
    value: bytes
    key: bytes | None = None
    headers: Headers = ()


@dataclass(frozen=True, slots=True)
class Message:
    """A consumed message and where it came from."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()
    timestamp_ms: int = field(default=0, compare=False)


class Producer(Protocol):
    async def send_many(self, records: Sequence[Record]) -> None:
        """Return only once every record is acknowledged (acks=all); raise if any failed."""


class Consumer(Protocol):
    async def start(self) -> None: ...

    async def fetch(self, max_records: int, timeout_ms: int) -> list[Message]:
        """Up to `max_records` messages, waiting at most `timeout_ms` for the first."""

    async def commit(self, messages: Sequence[Message]) -> None:
        """Mark these messages done: the committed position moves past the highest offsets."""

    async def stop(self) -> None: ...


class Bus(Protocol):
    @property
    def producer(self) -> Producer: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ensure_topics(self, topics: Mapping[str, int]) -> None:
        """Create missing topics with the given partition counts."""

    def consumer(self, topics: Sequence[str], *, group: str) -> Consumer: ...

    async def ping(self) -> bool:
        """True when the transport is reachable (readiness)."""


def next_offsets(messages: Sequence[Message]) -> dict[tuple[str, int], int]:
    """The position to commit per partition: one past the highest offset seen."""
    positions: dict[tuple[str, int], int] = {}
    for message in messages:
        tp = (message.topic, message.partition)
        positions[tp] = max(positions.get(tp, 0), message.offset + 1)
    return positions

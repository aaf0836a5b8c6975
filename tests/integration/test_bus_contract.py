"""One contract, three transports: Kafka, the durable PostgreSQL log and the in-memory bus
give the services the same delivery guarantees."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.shared.bus import Bus, Consumer, MemoryBus, Message, Record
from services.shared.bus.kafka import KafkaBus
from services.shared.bus.postgres import PostgresBus
from tests.support.kafka_broker import KafkaBroker

PARTITIONS = 4


@pytest.fixture(params=["memory", "postgres", "kafka"])
async def bus(
    request: pytest.FixtureRequest, pool: asyncpg.Pool, kafka: KafkaBroker
) -> AsyncIterator[Bus]:
    if request.param == "memory":
        bus: Bus = MemoryBus(default_partitions=PARTITIONS)
    elif request.param == "postgres":
        bus = PostgresBus(pool, default_partitions=PARTITIONS)
    else:
        bus = KafkaBus(kafka.bootstrap)
    await bus.start()
    yield bus
    await bus.stop()


async def fetch_all(consumer: Consumer, expected: int, timeout: float = 30) -> list[Message]:
    messages: list[Message] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while len(messages) < expected and asyncio.get_running_loop().time() < deadline:
        messages += await consumer.fetch(max_records=500, timeout_ms=200)
    return messages


async def test_a_key_stays_on_one_partition_in_order(bus: Bus, unique: str) -> None:
    topic = f"contract-order-{unique}"
    await bus.ensure_topics({topic: PARTITIONS})
    await bus.producer.send_many(
        [Record(topic, str(i).encode(), key=b"conversation") for i in range(30)]
    )
    consumer = bus.consumer([topic], group=f"g-{unique}")
    await consumer.start()
    try:
        got = await fetch_all(consumer, 30)
    finally:
        await consumer.stop()
    assert [m.value for m in got] == [str(i).encode() for i in range(30)]
    assert len({m.partition for m in got}) == 1


async def test_uncommitted_work_is_delivered_again_to_the_next_consumer(
    bus: Bus, unique: str
) -> None:
    topic, group = f"contract-redeliver-{unique}", f"g-{unique}"
    await bus.ensure_topics({topic: PARTITIONS})
    await bus.producer.send_many([Record(topic, str(i).encode(), key=b"k") for i in range(10)])
    first = bus.consumer([topic], group=group)
    await first.start()
    got = await fetch_all(first, 10)
    await first.commit(got[:4])  # work on the other six never became durable
    await first.stop()
    second = bus.consumer([topic], group=group)
    await second.start()
    try:
        again = await fetch_all(second, 6)
    finally:
        await second.stop()
    assert [m.value for m in again] == [str(i).encode() for i in range(4, 10)]


async def test_each_group_reads_everything_independently(bus: Bus, unique: str) -> None:
    topic = f"contract-groups-{unique}"
    await bus.ensure_topics({topic: PARTITIONS})
    await bus.producer.send_many([Record(topic, b"x", key=str(i).encode()) for i in range(12)])
    for group in ("a", "b"):
        consumer = bus.consumer([topic], group=f"{group}-{unique}")
        await consumer.start()
        try:
            got = await fetch_all(consumer, 12)
            await consumer.commit(got)
        finally:
            await consumer.stop()
        assert len(got) == 12


async def test_headers_and_keys_survive_the_trip(bus: Bus, unique: str) -> None:
    topic = f"contract-headers-{unique}"
    await bus.ensure_topics({topic: PARTITIONS})
    headers = (("ce_type", b"earshot.mention.raw.v1"), ("binary", bytes(range(256))))
    await bus.producer.send_many([Record(topic, b"v", key=b"k\xff", headers=headers)])
    consumer = bus.consumer([topic], group=f"g-{unique}")
    await consumer.start()
    try:
        [message] = await fetch_all(consumer, 1)
    finally:
        await consumer.stop()
    assert (message.key, message.value, message.headers) == (b"k\xff", b"v", headers)

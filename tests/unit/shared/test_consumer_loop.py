"""The shared consume loop: poison goes to the DLQ, offsets move only after durable work."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

from schemas import TOPIC_MENTIONS_DLQ, TOPIC_MENTIONS_RAW, decode
from services.shared.bus import ConsumerLoop, Delivery, MemoryBus, PoisonMessageError, Record
from services.shared.bus.worker import TransientError

GOOD = (
    Path(__file__).parents[3] / "schemas" / "examples" / "earshot.mention.raw.v1.json"
).read_bytes()


def variant(source_id: str) -> bytes:
    body = json.loads(GOOD)
    body["id"] = source_id
    body["data"]["source_id"] = source_id
    return json.dumps(body).encode()


async def run_until_idle(loop: ConsumerLoop, bus: MemoryBus, group: str, topic: str) -> None:
    task = asyncio.create_task(loop.run())
    for _ in range(200):
        await asyncio.sleep(0.01)
        if sum(bus.committed(group, topic).values()) == sum(bus.end_offsets(topic).values()):
            break
    loop.stop()
    await task


async def test_poison_messages_are_dead_lettered_and_the_loop_carries_on() -> None:
    bus = MemoryBus(default_partitions=1)
    handled: list[str] = []

    async def handle(deliveries: Sequence[Delivery]) -> None:
        handled.extend(d.event.id for d in deliveries)

    await bus.producer.send_many(
        [
            Record(TOPIC_MENTIONS_RAW, b"{not json"),
            Record(TOPIC_MENTIONS_RAW, b'{"type": "earshot.mention.raw.v1"}'),
            Record(TOPIC_MENTIONS_RAW, variant("after-poison")),
        ]
    )
    loop = ConsumerLoop(bus.consumer([TOPIC_MENTIONS_RAW], group="g"), bus.producer, "g", handle)
    await run_until_idle(loop, bus, "g", TOPIC_MENTIONS_RAW)

    assert handled == ["after-poison"]
    dead = [decode(m.value).data for m in bus.messages(TOPIC_MENTIONS_DLQ)]
    assert [d.error.code for d in dead] == ["invalid_json", "invalid_event"]
    assert dead[0].payload == "{not json"
    assert (dead[0].origin.topic, dead[0].origin.partition, dead[0].origin.offset) == (
        TOPIC_MENTIONS_RAW,
        0,
        0,
    )
    assert bus.committed("g", TOPIC_MENTIONS_RAW) == {0: 3}


async def test_a_message_the_handler_rejects_is_isolated_from_its_batch() -> None:
    bus = MemoryBus(default_partitions=1)
    handled: list[str] = []

    async def handle(deliveries: Sequence[Delivery]) -> None:
        if any(d.event.id == "bad" for d in deliveries):
            raise PoisonMessageError("refuses this one")
        handled.extend(d.event.id for d in deliveries)

    await bus.producer.send_many(
        [Record(TOPIC_MENTIONS_RAW, variant(i)) for i in ("a", "bad", "c")]
    )
    loop = ConsumerLoop(bus.consumer([TOPIC_MENTIONS_RAW], group="g"), bus.producer, "g", handle)
    await run_until_idle(loop, bus, "g", TOPIC_MENTIONS_RAW)

    assert sorted(handled) == ["a", "c"]
    [dead] = [decode(m.value).data for m in bus.messages(TOPIC_MENTIONS_DLQ)]
    assert dead.error.code == "processing_failed"
    assert "refuses this one" in dead.error.message


async def test_transient_failures_are_retried_not_dead_lettered() -> None:
    bus = MemoryBus(default_partitions=1)
    attempts = 0

    async def handle(deliveries: Sequence[Delivery]) -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise TransientError("database restarting")

    await bus.producer.send_many([Record(TOPIC_MENTIONS_RAW, variant("x"))])
    loop = ConsumerLoop(bus.consumer([TOPIC_MENTIONS_RAW], group="g"), bus.producer, "g", handle)
    await run_until_idle(loop, bus, "g", TOPIC_MENTIONS_RAW)

    assert attempts == 3
    assert bus.messages(TOPIC_MENTIONS_DLQ) == []
    assert bus.committed("g", TOPIC_MENTIONS_RAW) == {0: 1}


async def test_stopping_during_an_outage_commits_nothing() -> None:
    bus = MemoryBus(default_partitions=1)

    async def handle(deliveries: Sequence[Delivery]) -> None:
        raise TransientError("still down")

    await bus.producer.send_many([Record(TOPIC_MENTIONS_RAW, variant("x"))])
    loop = ConsumerLoop(bus.consumer([TOPIC_MENTIONS_RAW], group="g"), bus.producer, "g", handle)
    task = asyncio.create_task(loop.run())
    await asyncio.sleep(0.3)
    loop.stop()
    await asyncio.wait_for(task, 15)
    assert bus.committed("g", TOPIC_MENTIONS_RAW) == {}
    assert bus.messages(TOPIC_MENTIONS_DLQ) == []

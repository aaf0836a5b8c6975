"""Dead letters go back where they came from, once the cause is fixed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from schemas import TOPIC_MENTIONS_DLQ, TOPIC_MENTIONS_RAW
from services.shared.bus import ConsumerLoop, Delivery, MemoryBus, PoisonMessageError, Record
from services.shared.bus.replay import Selection, replay_dead_letters
from tests.unit.shared.test_consumer_loop import run_until_idle, variant


async def test_a_fixed_failure_is_replayed_and_then_processed() -> None:
    bus = MemoryBus(default_partitions=1)
    broken = True
    handled: list[str] = []

    async def handle(deliveries: Sequence[Delivery]) -> None:
        if broken:
            raise PoisonMessageError("bug in this release")
        handled.extend(d.event.id for d in deliveries)

    await bus.producer.send_many([Record(TOPIC_MENTIONS_RAW, variant("m1"), key=b"conv")])
    loop = ConsumerLoop(bus.consumer([TOPIC_MENTIONS_RAW], group="g"), bus.producer, "g", handle)
    await run_until_idle(loop, bus, "g", TOPIC_MENTIONS_RAW)
    assert len(bus.messages(TOPIC_MENTIONS_DLQ)) == 1 and handled == []

    broken = False  # the fix is deployed
    preview = await replay_dead_letters(bus, selection=Selection(), dry_run=True, idle_ms=20)
    assert [dead.error.code for _, dead in preview.listed] == ["processing_failed"]
    report = await replay_dead_letters(bus, selection=Selection(), idle_ms=20)
    assert dict(report.replayed) == {"processing_failed": 1}
    replayed = bus.messages(TOPIC_MENTIONS_RAW)[-1]
    assert replayed.value == variant("m1") and replayed.key == b"conv"
    assert dict(replayed.headers)["earshot-replay-of"] == report.listed[0][0].encode()

    loop = ConsumerLoop(bus.consumer([TOPIC_MENTIONS_RAW], group="g"), bus.producer, "g", handle)
    await run_until_idle(loop, bus, "g", TOPIC_MENTIONS_RAW)
    assert handled == ["m1"]
    again = await replay_dead_letters(bus, selection=Selection(), idle_ms=20)
    assert again.listed == []  # the replay tool committed its position


async def test_selection_filters_by_group_and_code() -> None:
    bus = MemoryBus(default_partitions=1)
    await bus.producer.send_many([Record(TOPIC_MENTIONS_RAW, b"{broken")])

    async def handle(deliveries: Sequence[Delivery]) -> None:
        return None

    loop = ConsumerLoop(bus.consumer([TOPIC_MENTIONS_RAW], group="g"), bus.producer, "g", handle)
    await run_until_idle(loop, bus, "g", TOPIC_MENTIONS_RAW)
    other = await replay_dead_letters(
        bus, selection=Selection(codes=frozenset({"processing_failed"})), dry_run=True, idle_ms=20
    )
    assert other.listed == []
    mine = await replay_dead_letters(
        bus, selection=Selection(groups=frozenset({"g"})), dry_run=True, idle_ms=20
    )
    assert [d.error.code for _, d in mine.listed] == ["invalid_json"]
    await asyncio.sleep(0)

"""The in-process bus keeps Kafka's guarantees that the services rely on."""

from __future__ import annotations

from services.shared.bus import MemoryBus, Record


async def test_same_key_lands_on_one_partition_in_order() -> None:
    bus = MemoryBus(default_partitions=4)
    await bus.producer.send_many([Record("t", str(i).encode(), key=b"conv-1") for i in range(20)])
    partitions = {m.partition for m in bus.messages("t")}
    assert len(partitions) == 1
    assert [m.value for m in bus.messages("t")] == [str(i).encode() for i in range(20)]


async def test_uncommitted_messages_are_redelivered_after_a_restart() -> None:
    bus = MemoryBus(default_partitions=1)
    await bus.producer.send_many([Record("t", str(i).encode()) for i in range(10)])
    first = bus.consumer(["t"], group="g")
    await first.start()
    batch = await first.fetch(max_records=100, timeout_ms=10)
    await first.commit(batch[:3])  # the rest was fetched, but its work never became durable
    await first.stop()
    second = bus.consumer(["t"], group="g")
    await second.start()
    again = await second.fetch(max_records=100, timeout_ms=10)
    assert [m.offset for m in again] == list(range(3, 10))


async def test_groups_keep_separate_positions() -> None:
    bus = MemoryBus(default_partitions=1)
    await bus.producer.send_many([Record("t", b"a"), Record("t", b"b")])
    one, two = bus.consumer(["t"], group="one"), bus.consumer(["t"], group="two")
    await one.start()
    await two.start()
    got_one = await one.fetch(10, 10)
    await one.commit(got_one)
    assert len(await two.fetch(10, 10)) == 2
    assert await one.fetch(10, 10) == []


async def test_two_members_of_a_group_split_the_partitions() -> None:
    bus = MemoryBus(default_partitions=4)
    await bus.producer.send_many([Record("t", b"x", key=str(i).encode()) for i in range(40)])
    a, b = bus.consumer(["t"], group="g"), bus.consumer(["t"], group="g")
    await a.start()
    await b.start()
    got_a, got_b = await a.fetch(100, 10), await b.fetch(100, 10)
    assert len(got_a) + len(got_b) == 40
    assert not {m.partition for m in got_a} & {m.partition for m in got_b}


async def test_fetch_waits_for_new_messages_until_the_timeout() -> None:
    bus = MemoryBus()
    consumer = bus.consumer(["t"], group="g")
    await consumer.start()
    assert await consumer.fetch(10, timeout_ms=20) == []

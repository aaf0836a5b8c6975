"""End to end through a real Kafka broker and PostgreSQL: exactly-once results."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from schemas import TOPIC_CASES_EVENTS, TOPIC_MENTIONS_DLQ, TOPIC_MENTIONS_RAW, decode, encode
from schemas.registry import MAX_DEAD_LETTER_BYTES
from services.ingest.handlers import accept_one, mention_event
from services.shared.bus import Record
from tests.integration.conftest import Pipeline
from tests.integration.pipeline import (
    assert_exactly_once,
    stored_count,
    synthetic_mentions,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


async def read_topic(bootstrap: str, topic: str, expected: int, timeout: float = 60) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    values: list[bytes] = []
    try:

        async def enough() -> bool:
            batches = await consumer.getmany(timeout_ms=500)
            values.extend(r.value for records in batches.values() for r in records)
            return len(values) >= expected

        await wait_for(enough, timeout=timeout, interval=0, what=f"{expected} messages on {topic}")
        await asyncio.sleep(1)  # anything beyond the expected count would show up now
        batches = await consumer.getmany(timeout_ms=500)
        values.extend(r.value for records in batches.values() for r in records)
    finally:
        await consumer.stop()
    return values


async def settled_outbox(pool: Any, brand: str, timeout: float = 60) -> int:
    """The brand's case events once the pipeline is quiet: all published, and no new ones for
    two seconds (assignment and SLA events keep coming shortly after the last mention)."""
    counts: list[int] = []

    async def quiet() -> bool:
        row = await pool.fetchrow(
            """SELECT count(*) AS total, count(*) FILTER (WHERE published_at IS NULL) AS pending
               FROM outbox WHERE key LIKE $1""",
            f"{brand}|%",
        )
        counts.append(row["total"])
        return row["pending"] == 0 and len(counts) >= 3 and counts[-1] == counts[-3]

    await wait_for(quiet, timeout=timeout, interval=1, what="the outbox to settle")
    return counts[-1]


async def test_thousand_mentions_are_stored_classified_and_routed_exactly_once(
    pipeline: Pipeline,
) -> None:
    items = synthetic_mentions(pipeline.brand, 1000, tag=pipeline.brand)
    for start in range(0, 1000, 250):
        response = await pipeline.post(items[start : start + 250])
        assert response.status_code == 202, response.text
        assert len(response.json()["accepted"]) == 250

    await wait_for(
        lambda: _equals(stored_count(pipeline.pool, pipeline.brand), 1000),
        timeout=180,
        what="1000 mentions stored",
    )
    await assert_exactly_once(pipeline.pool, pipeline.brand, [i["source_id"] for i in items])

    cases = await pipeline.pool.fetchval(
        "SELECT count(*) FROM cases WHERE brand = $1", pipeline.brand
    )
    assert cases > 0
    published = await settled_outbox(pipeline.pool, pipeline.brand)
    events_topic = pipeline.settings.topic(TOPIC_CASES_EVENTS)
    values = await read_topic(pipeline.settings.kafka_bootstrap, events_topic, published)
    event_ids = [decode(v).id for v in values]
    assert len(event_ids) == len(set(event_ids)) == published
    opened = [e for e in map(decode, values) if e.type == "earshot.case.opened.v1"]
    assert len(opened) == cases


async def _equals(value: asyncio.Future[int] | object, expected: int) -> bool:
    return await value == expected  # type: ignore[misc]


async def test_same_mention_posted_twice_becomes_one_case(pipeline: Pipeline) -> None:
    [item] = synthetic_mentions(pipeline.brand, 1, tag=f"{pipeline.brand}-dup")
    item["text"] = f"{pipeline.brand} charged me twice, this is a scam and I am furious"
    assert (await pipeline.post([item])).status_code == 202
    assert (await pipeline.post([item])).status_code == 202
    # Also bypass ingest's memory of recent ids: the raw event itself arrives twice.
    ingest = pipeline.components[0]
    mention = accept_one(item, catalogue=ingest.catalogue, now=ingest_now())
    assert not isinstance(mention, tuple)
    await pipeline.resources.bus.producer.send_many(
        [Record(pipeline.settings.topic(TOPIC_MENTIONS_RAW), encode(mention_event(mention)),
                key=mention.conversation_key.encode())]
    )  # fmt: skip
    await wait_for(
        lambda: _equals(stored_count(pipeline.pool, pipeline.brand), 1), what="mention stored"
    )
    await asyncio.sleep(2)  # the redelivered copy has had time to be (not) routed
    assert await stored_count(pipeline.pool, pipeline.brand) == 1
    assert (
        await pipeline.pool.fetchval("SELECT count(*) FROM cases WHERE brand = $1", pipeline.brand)
        == 1
    )


def ingest_now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def test_poison_messages_go_to_the_dlq_and_the_consumer_carries_on(
    pipeline: Pipeline,
) -> None:
    raw_topic = pipeline.settings.topic(TOPIC_MENTIONS_RAW)
    wrong_schema = json.dumps(
        {"specversion": "1.0", "id": "x", "source": "/test", "type": "earshot.mention.raw.v1",
         "time": "2026-11-20T10:00:00Z", "data": {"text": 42}}
    ).encode()  # fmt: skip
    [good] = synthetic_mentions(pipeline.brand, 1, tag=f"{pipeline.brand}-after")
    mention = accept_one(good, catalogue=pipeline.components[0].catalogue, now=ingest_now())
    assert not isinstance(mention, tuple)
    huge = json.loads(encode(mention_event(mention)))
    huge["data"]["text"] = "a" * (2 * 1024 * 1024)
    await pipeline.resources.bus.producer.send_many(
        [
            Record(raw_topic, b"\x00not json at all", key=b"k1"),
            Record(raw_topic, wrong_schema, key=b"k1"),
            Record(raw_topic, json.dumps(huge).encode(), key=b"k1"),
            Record(raw_topic, encode(mention_event(mention)), key=b"k1"),
        ]
    )
    dead = await read_topic(
        pipeline.settings.kafka_bootstrap, pipeline.settings.topic(TOPIC_MENTIONS_DLQ), 3
    )
    records = [decode(v, max_bytes=MAX_DEAD_LETTER_BYTES).data for v in dead]
    assert sorted(r.error.code for r in records) == ["invalid_event", "invalid_json", "too_large"]
    assert {r.origin.topic for r in records} == {raw_topic}
    assert all(r.consumer_group == "earshot-classifier" for r in records)
    assert len({r.origin.offset for r in records}) == 3
    [too_large] = [r for r in records if r.error.code == "too_large"]
    assert len(too_large.payload) > 2 * 1024 * 1024 and not too_large.payload_truncated
    await wait_for(
        lambda: _equals(stored_count(pipeline.pool, pipeline.brand), 1),
        what="the good mention after the poison ones",
    )

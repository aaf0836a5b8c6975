"""Fault drills (short form): restart the Kafka broker, restart PostgreSQL, pause a consumer
past its session timeout. After each: accepted = stored = classified = routed, exactly once.

`make test-faults` runs just these; they are also part of `make test`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.conftest import Pipeline, add_brand, kafka_settings, start_pipeline
from tests.integration.pipeline import (
    assert_exactly_once,
    free_port,
    service_env,
    start_service,
    stored_count,
    synthetic_mentions,
    wait_for,
    wait_ready,
)
from tests.support.kafka_broker import KafkaBroker
from tests.support.postgres import stop_postgres

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow, pytest.mark.faults]


@pytest.fixture
def own_kafka(tmp_path: Path) -> Any:
    """A broker of this test's own, so restarting it disturbs no other test."""
    broker = KafkaBroker(tmp_path / "kafka")
    broker.start()
    yield broker
    broker.stop(kill=True)


async def post_with_retries(http: httpx.AsyncClient, items: list[dict[str, Any]]) -> None:
    """What a well-behaved sender does: retry on 503 until the batch is acknowledged."""
    for _ in range(240):
        try:
            response = await http.post("/v1/mentions", json=items)
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code == 202:
            return
        assert response is None or response.status_code == 503, response.text
        await asyncio.sleep(0.5)
    raise AssertionError("ingest never accepted the batch")


async def at_least(pool: asyncpg.Pool, brand: str, count: int) -> bool:
    return await stored_count(pool, brand) >= count


async def test_kafka_broker_restart_mid_stream(
    own_kafka: KafkaBroker,
    postgres_dsn: str,
    pool: asyncpg.Pool,
    model: Any,
    unique: str,
    tmp_path: Path,
) -> None:
    settings = kafka_settings(own_kafka, postgres_dsn, f"b{unique}.")
    async with start_pipeline(settings, model, f"broker{unique}", tmp_path) as pipeline:
        items = synthetic_mentions(pipeline.brand, 400, tag=pipeline.brand, seed=21)
        await post_with_retries(pipeline.http, items[:200])
        await wait_for(lambda: at_least(pool, pipeline.brand, 20), what="the stream flowing")
        await asyncio.to_thread(own_kafka.restart)
        await post_with_retries(pipeline.http, items[200:])
        await wait_for(lambda: at_least(pool, pipeline.brand, 400), timeout=240, what="all routed")
        await assert_exactly_once(pool, pipeline.brand, [i["source_id"] for i in items])


async def test_postgres_restart_mid_stream(
    kafka: KafkaBroker, model: Any, unique: str, tmp_path: Path
) -> None:
    from pgserver._commands import POSTGRES_BIN_PATH

    from services.shared.db.embedded import start_embedded_postgres
    from services.shared.db.migrate import upgrade

    data = tmp_path / "pg"
    dsn = start_embedded_postgres(data)
    await upgrade(dsn)
    settings = kafka_settings(kafka, dsn, f"p{unique}.")
    try:
        async with start_pipeline(settings, model, f"pgrestart{unique}", tmp_path) as pipeline:
            items = synthetic_mentions(pipeline.brand, 400, tag=pipeline.brand, seed=22)
            await post_with_retries(pipeline.http, items)
            await wait_for(
                lambda: at_least(pipeline.pool, pipeline.brand, 20), what="the stream flowing"
            )
            # A fast restart drops every connection; consumers must retry, never dead-letter.
            # No pipes: the restarted server inherits them and the call would wait for it to exit.
            await asyncio.to_thread(
                subprocess.run,
                [
                    str(POSTGRES_BIN_PATH / "pg_ctl"),
                    "-D",
                    str(data),
                    "restart",
                    "-m",
                    "fast",
                    "-w",
                    "-l",
                    str(data / "restart.log"),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                # As root, the embedded server runs as its own system user (PostgreSQL
                # refuses root).
                user="pgserver" if os.geteuid() == 0 else None,
            )
            await wait_for(
                lambda: at_least(pipeline.pool, pipeline.brand, 400), timeout=240, what="all routed"
            )
            await assert_exactly_once(
                pipeline.pool, pipeline.brand, [i["source_id"] for i in items]
            )
            dead = await _dead_letters(pipeline)
            assert dead == 0, "a database restart must not dead-letter anything"
    finally:
        stop_postgres(data)  # the restarted server is no longer pgserver's to stop


async def _dead_letters(pipeline: Pipeline) -> int:
    """How many records the DLQ holds, read through the bus with a group of its own."""
    topic = pipeline.settings.topic("mentions.dlq")
    consumer = pipeline.resources.bus.consumer([topic], group=f"dlq-check-{uuid.uuid4().hex}")
    await consumer.start()
    try:
        count = 0
        while batch := await consumer.fetch(max_records=500, timeout_ms=3000):
            count += len(batch)
        return count
    finally:
        await consumer.stop()


async def test_consumer_paused_past_its_session_timeout(
    kafka: KafkaBroker, postgres_dsn: str, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> None:
    """SIGSTOP one of two classifiers: the group rebalances to the other; on SIGCONT the
    stale one's late work is harmless (its commit is refused, its output is idempotent)."""
    prefix, brand = f"s{unique}.", f"pause{unique}"
    await add_brand(pool, brand, tmp_path)
    names = ["ingest", "classifier", "classifier-2", "router"]
    ports = {name: free_port() for name in names}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    for name in names:
        env = service_env(
            bootstrap=kafka.bootstrap, dsn=postgres_dsn, prefix=prefix, port=ports[name]
        )
        env["EARSHOT_CLASSIFIER_BATCH_MAX"] = "16"
        processes[name] = start_service(name.split("-")[0], env, tmp_path / f"{name}.log")
    try:
        for name in names:
            await wait_ready(ports[name], processes[name])
        items = synthetic_mentions(brand, 600, tag=brand, seed=23)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{ports['ingest']}", timeout=60
        ) as http:
            await post_with_retries(http, items[:300])
            await wait_for(lambda: at_least(pool, brand, 30), interval=0.05, what="stream flowing")
            processes["classifier"].send_signal(signal.SIGSTOP)
            await post_with_retries(http, items[300:])
            await asyncio.sleep(15)  # past the consumer session timeout (10 s)
            processes["classifier"].send_signal(signal.SIGCONT)
        await wait_for(lambda: at_least(pool, brand, 600), timeout=240, what="all routed")
        await asyncio.sleep(2)  # the resumed consumer's stale batch lands now, if at all
        await assert_exactly_once(pool, brand, [i["source_id"] for i in items])
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
        for process in processes.values():
            process.wait(timeout=30)


__all__ = ["AsyncIterator"]

"""Kill -9 a consumer process mid-stream, restart it: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
from pathlib import Path

import asyncpg
import pytest

from services.shared.runtime import close_resources, open_resources
from tests.integration.conftest import add_brand, kafka_settings
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

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

TOTAL = 600


@pytest.mark.parametrize("victim", ["classifier", "router"])
async def test_sigkill_mid_stream_loses_nothing_and_duplicates_nothing(
    victim: str,
    kafka: KafkaBroker,
    postgres_dsn: str,
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
) -> None:
    prefix, brand = f"k{unique}.", f"kill{unique}"
    await add_brand(pool, brand, tmp_path)
    ports = {name: free_port() for name in ("ingest", "classifier", "router")}
    processes = {}
    for name, port in ports.items():
        env = service_env(bootstrap=kafka.bootstrap, dsn=postgres_dsn, prefix=prefix, port=port)
        processes[name] = start_service(name, env, tmp_path / f"{name}.log")
    try:
        for name, port in ports.items():
            await wait_ready(port, processes[name])
        items = synthetic_mentions(brand, TOTAL, tag=brand, seed=11)
        import httpx

        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{ports['ingest']}", timeout=60
        ) as http:
            for start in range(0, TOTAL, 50):
                response = await http.post("/v1/mentions", json=items[start : start + 50])
                assert response.status_code == 202, response.text

        # Kill the victim once part of the stream has gone through it, with work in flight.
        await wait_for(
            lambda: _at_least(pool, brand, TOTAL // 5), timeout=120, interval=0.05,
            what="a fifth of the stream routed",
        )  # fmt: skip
        processes[victim].send_signal(signal.SIGKILL)
        processes[victim].wait()
        routed_at_kill = await stored_count(pool, brand)
        assert routed_at_kill < TOTAL, "the stream finished before the kill: nothing was tested"

        env = service_env(
            bootstrap=kafka.bootstrap, dsn=postgres_dsn, prefix=prefix, port=ports[victim]
        )
        processes[victim] = start_service(victim, env, tmp_path / f"{victim}.log")
        await wait_ready(ports[victim], processes[victim])
        await wait_for(
            lambda: _at_least(pool, brand, TOTAL), timeout=180, what="every mention routed"
        )
        await assert_exactly_once(pool, brand, [i["source_id"] for i in items])
    finally:
        _stop_all(processes)


async def test_sigkill_of_ingest_mid_post_loses_nothing_the_sender_resends(
    kafka: KafkaBroker, postgres_dsn: str, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> None:
    """Ingest dies with a batch in flight. The sender cannot know whether that batch reached
    Kafka, so it resends it to the restarted ingest, as a webhook sender or `earshot import`
    does: every mention ends up stored once (deterministic ids make the resend harmless)."""
    prefix, brand = f"i{unique}.", f"ingk{unique}"
    await add_brand(pool, brand, tmp_path)
    ports = {name: free_port() for name in ("ingest", "classifier", "router")}
    env = {n: service_env(bootstrap=kafka.bootstrap, dsn=postgres_dsn, prefix=prefix, port=p)
           for n, p in ports.items()}  # fmt: skip
    processes = {n: start_service(n, env[n], tmp_path / f"{n}.log") for n in ports}
    try:
        for name, port in ports.items():
            await wait_ready(port, processes[name])
        items = synthetic_mentions(brand, TOTAL, tag=brand, seed=13)
        batches = [items[i : i + 25] for i in range(0, TOTAL, 25)]
        kill_at = len(batches) // 3
        import httpx

        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{ports['ingest']}", timeout=60
        ) as http:
            index, killed = 0, False
            while index < len(batches):
                if index == kill_at and not killed:
                    killed = True
                    in_flight = asyncio.create_task(http.post("/v1/mentions", json=batches[index]))
                    await asyncio.sleep(0.005)
                    processes["ingest"].send_signal(signal.SIGKILL)
                    processes["ingest"].wait()
                    with contextlib.suppress(httpx.HTTPError):
                        await in_flight  # answered or cut: the sender cannot tell which
                    processes["ingest"] = start_service(
                        "ingest", env["ingest"], tmp_path / "ingest.log"
                    )
                    await wait_ready(ports["ingest"], processes["ingest"])
                    continue  # resend the batch that was in flight
                response = await http.post("/v1/mentions", json=batches[index])
                assert response.status_code == 202, response.text
                index += 1
        await wait_for(
            lambda: _at_least(pool, brand, TOTAL), timeout=180, what="every mention routed"
        )
        await assert_exactly_once(pool, brand, [i["source_id"] for i in items])
    finally:
        _stop_all(processes)


def _stop_all(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        process.wait(timeout=30)


async def _at_least(pool: asyncpg.Pool, brand: str, count: int) -> bool:
    return await stored_count(pool, brand) >= count


async def test_graceful_stop_commits_and_a_new_process_resumes(
    kafka: KafkaBroker, postgres_dsn: str, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> None:
    """SIGTERM: the consumer finishes its batch and commits; a successor picks up the rest."""
    prefix, brand = f"g{unique}.", f"stop{unique}"
    await add_brand(pool, brand, tmp_path)
    settings = kafka_settings(kafka, postgres_dsn, prefix)
    resources = await open_resources(settings)  # creates the topics with the prefix
    await close_resources(resources)
    ports = {name: free_port() for name in ("ingest", "classifier", "router")}
    env = {
        n: service_env(bootstrap=kafka.bootstrap, dsn=postgres_dsn, prefix=prefix, port=p)
        for n, p in ports.items()
    }
    processes = {n: start_service(n, env[n], tmp_path / f"{n}.log") for n in ports}
    try:
        for name, port in ports.items():
            await wait_ready(port, processes[name])
        items = synthetic_mentions(brand, 200, tag=brand, seed=5)
        import httpx

        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{ports['ingest']}", timeout=60
        ) as http:
            assert (await http.post("/v1/mentions", json=items)).status_code == 202
        processes["classifier"].send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught: -SIGTERM.
        assert processes["classifier"].wait(timeout=60) in (0, -signal.SIGTERM)
        assert "stopped" in (tmp_path / "classifier.log").read_text(), "no graceful shutdown"
        processes["classifier"] = start_service(
            "classifier", env["classifier"], tmp_path / "c2.log"
        )
        await wait_for(lambda: _at_least(pool, brand, 200), timeout=120, what="all routed")
        await assert_exactly_once(pool, brand, [i["source_id"] for i in items])
    finally:
        _stop_all(processes)

"""`make bench`: the whole pipeline on this machine under load, with real Kafka and PostgreSQL.

Starts a Kafka broker (KRaft) and an embedded PostgreSQL, runs ingest, N classifier workers and
the router as separate processes (`earshot serve`), drives ingest over HTTP with
`services.loadtest`, samples consumer lag and CPU per service, and appends a dated entry to
docs/BENCHMARKS.md.

    python -m tests.load.pipeline_bench --rate 400 --duration 60 --classifiers 1,2,4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.loadtest.driver import drive
from services.loadtest.synth import StreamShape, mentions
from services.shared.config import load_config
from services.shared.db.embedded import start_embedded_postgres
from services.shared.db.migrate import upgrade
from services.shared.db.pool import create_pool
from tests.load.benchmarks_doc import append_entry
from tests.support.kafka_broker import KafkaBroker, free_port

ROOT = Path(__file__).parents[2]
DEMO = ROOT / "services" / "shared" / "demo"
BRANDS = ("skyvela", "telvora", "finvelo", "vexilo")
GROUPS = {"earshot-classifier": "mentions.raw", "earshot-router": "mentions.classified"}


def start(service: str, env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    earshot = str(Path(sys.executable).with_name("earshot"))
    return subprocess.Popen(
        [earshot, "serve", service, "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def wait_ready(port: int, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise TimeoutError(f"service on {port} not ready")


async def sample_lag(bootstrap: str, prefix: str, out: dict[str, int], stop: asyncio.Event) -> None:
    """Max lag per consumer group: end offsets minus committed offsets, every 2 s."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        while not stop.is_set():
            for group, topic in GROUPS.items():
                committed = await admin.list_consumer_group_offsets(group)
                parts = [TopicPartition(prefix + topic, p) for p in range(4)]
                ends = await consumer.end_offsets(parts)
                lag = sum(
                    ends[tp] - (committed[tp].offset if tp in committed else 0) for tp in parts
                )
                out[group] = max(out.get(group, 0), lag)
            try:
                await asyncio.wait_for(stop.wait(), 2)
            except TimeoutError:
                pass
    finally:
        await consumer.stop()
        await admin.close()


async def run_once(args: argparse.Namespace, classifiers: int, workdir: Path) -> dict[str, Any]:
    broker = KafkaBroker(workdir / "kafka")
    await asyncio.to_thread(broker.start)
    dsn = start_embedded_postgres(workdir / "pg")
    await upgrade(dsn)
    pool = await create_pool(dsn, max_size=4)
    await load_config(pool, DEMO / "brands.yaml", DEMO / "teams.yaml")
    await _add_responders(pool)
    prefix = "bench."
    env = {
        **os.environ,
        "EARSHOT_BUS": "kafka",
        "EARSHOT_KAFKA_BOOTSTRAP": broker.bootstrap,
        "EARSHOT_DATABASE_URL": dsn,
        "EARSHOT_TOPIC_PREFIX": prefix,
        "EARSHOT_TOPIC_PARTITIONS": "4",
        "EARSHOT_LOG_LEVEL": "WARNING",
        "EARSHOT_CLASSIFIER_THREADS": "1",
    }
    if args.model:
        env["EARSHOT_CLASSIFIER_MODEL"] = args.model
    names = ["ingest", "router"] + [f"classifier-{i}" for i in range(classifiers)]
    ports = {n: free_port() for n in names}
    procs = {n: start(n.split("-")[0], env, ports[n], workdir / f"{n}.log") for n in names}
    try:
        for name in names:
            await wait_ready(ports[name])
        ps = {n: psutil.Process(p.pid) for n, p in procs.items()}
        cpu_before = {n: sum(p.cpu_times()[:2]) for n, p in ps.items()}
        lag: dict[str, int] = {}
        stop = asyncio.Event()
        lag_task = asyncio.create_task(sample_lag(broker.bootstrap, prefix, lag, stop))

        async def load(tag: str, seed: int, seconds: float) -> Any:
            return await drive(
                mentions(StreamShape(BRANDS), seed=seed, start=datetime.now(UTC), run_tag=tag),
                url=f"http://127.0.0.1:{ports['ingest']}",
                pool=pool,
                run_tag=tag,
                rate=args.rate or None,
                duration_s=seconds,
                batch=args.batch,
                concurrency=args.concurrency,
            )

        if args.warmup > 0:
            # Consumer groups get their partitions, models load, caches fill: not measured.
            await load(f"warm{int(time.time())}", args.seed + 1, args.warmup)
        cpu_before = {n: sum(p.cpu_times()[:2]) for n, p in ps.items()}
        wall0 = time.monotonic()
        result = await load(f"bench{int(time.time())}", args.seed, args.duration)
        wall = time.monotonic() - wall0
        stop.set()
        await lag_task
        cpu = {
            n: round((sum(p.cpu_times()[:2]) - cpu_before[n]) / wall * 100, 1)
            for n, p in ps.items()
        }
        return {"classifiers": classifiers, **result.as_dict(), "max_lag": lag, "cpu_percent": cpu}
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=60)
        await pool.close()
        broker.stop()


async def _add_responders(pool: Any) -> None:
    """Enough online responders that assignment is measured, not starved."""
    exists = await pool.fetchval("SELECT to_regclass('responders') IS NOT NULL")
    if not exists:
        return
    for team in ("support", "moderation", "engagement"):
        for i in range(5):
            await pool.execute(
                """INSERT INTO responders (id, name, teams, capacity, status)
                   VALUES ($1, $2, ARRAY[$3], 100000, 'online') ON CONFLICT (id) DO NOTHING""",
                f"bench-{team}-{i}",
                f"Bench {team} {i}",
                team,
            )


def markdown(entries: list[dict[str, Any]], args: argparse.Namespace) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    cpu = f"{psutil.cpu_count()} vCPUs ({platform.processor() or platform.machine()})"
    lines = [
        f"### {now} — `make bench` ({'rate ' + str(args.rate) + '/s' if args.rate else 'max rate'},"
        f" {args.duration:.0f} s after {args.warmup:.0f} s of warm-up, batches of {args.batch},"
        f" {args.concurrency} clients)",
        "",
        f"Machine: {cpu}, {round(psutil.virtual_memory().total / 2**30)} GiB; Kafka (1 broker, "
        "KRaft), PostgreSQL (embedded), ingest, router and the classifiers all on it, with the "
        "load generator. Latencies from the timestamps stored with each mention (accepted by "
        "ingest → classified → routed; case opened/assigned from the case and its events).",
        "",
        "| classifiers | accepted/s | routed/s | routed p50 / p95 / p99 (s) "
        "| case opened p99 (s) | case assigned p99 (s) | max lag raw / classified "
        "| CPU % (ingest, router, classifiers) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        s = e["stages_s"]
        assigned = s.get("case_assigned", {}).get("p99", float("nan"))
        lag = e["max_lag"]
        classifier_cpu = sum(v for k, v in e["cpu_percent"].items() if k.startswith("classifier"))
        lines.append(
            f"| {e['classifiers']} | {e['accepted_per_s']} | {e['routed_per_s']} "
            f"| {s['routed']['p50']:.2f} / {s['routed']['p95']:.2f} / {s['routed']['p99']:.2f} "
            f"| {s['case_opened']['p99']:.2f} | {assigned:.2f} "
            f"| {lag.get('earshot-classifier', '?')} / {lag.get('earshot-router', '?')} "
            f"| {e['cpu_percent']['ingest']}, {e['cpu_percent']['router']}, {classifier_cpu:.0f} |"
        )
    lines += ["", "Raw results:", "", "```json", json.dumps(entries, indent=1), "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--rate", type=float, default=400, help="mentions/s; 0 = as fast as it goes"
    )
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=15, help="seconds of unmeasured load")
    parser.add_argument("--classifiers", default="1", help="comma list, e.g. 1,2,4")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default=None, help="classifier model (default: shipped)")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch the docs")
    args = parser.parse_args()
    entries = []
    for count in [int(c) for c in args.classifiers.split(",")]:
        with tempfile.TemporaryDirectory(prefix="earshot-bench-") as workdir:
            entry = asyncio.run(run_once(args, count, Path(workdir)))
        print(json.dumps(entry), flush=True)
        entries.append(entry)
    text = markdown(entries, args)
    print(text)
    if not args.no_write:
        append_entry(
            heading="## End to end (`make bench`)",
            command="make bench",
            module="tests.load.pipeline_bench",
            text=text,
        )


if __name__ == "__main__":
    main()

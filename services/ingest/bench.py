"""`python -m services.ingest.bench`: how fast ingest matches rules and takes in mentions.

1. Rule matching on one core: 1,000 brands, each a query of 20 terms (words, phrases,
   prefixes, #hashtags, @handles, exclusions, a language), against generated mentions in
   which about a third name some brand. Reports mentions/s for the matcher alone and for
   the whole pure accept path (validation, normalisation, matching).
2. HTTP batch ingest into a real Kafka broker (KRaft, `tests/support/kafka_broker.py`) and an
   embedded PostgreSQL: `earshot serve ingest` in its own process, batches of 1,000 posted
   by a few concurrent clients; mentions/s acknowledged (acks=all), then the topic's end
   offsets are checked to hold every one.

`--only rules` skips the broker. Figures go to docs/BENCHMARKS.md ("## Ingest").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.ingest.handlers import accept_batch
from services.ingest.rules import Brand, BrandCatalogue
from services.ingest.rules.matcher import Mention
from services.ingest.rules.text import fold

LANGS = ["en", "fr", "de", "es", "fi", "ru"]
FILLER = (
    "the my flight was late again and nobody answers support service order refund broken app "
    "today please help thanks love great worst ever customer waiting hours call email still "
    "не работает поддержка merci pour rien vielen dank aber kiitos ei toimi"
).split()


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 9)))


def synthetic_brands(count: int = 1000, terms: int = 20, seed: int = 7) -> list[Brand]:
    """`count` brands, each with a query of `terms` terms of every kind."""
    rng = random.Random(seed)
    brands = []
    for i in range(count):
        name = _word(rng)
        positives = [
            name,
            f'"{name} {_word(rng)}"',
            f"#{name}fail",
            f"#{name}",
            f"@{name}_help",
            f"@{name}",
            f"{name[:5]}*",
            *(_word(rng) for _ in range(terms - 10)),
        ]
        negatives = [_word(rng), f'"{_word(rng)} jobs"', f"{_word(rng)}*"]
        lang = rng.choice(LANGS)
        query = (
            f"({' OR '.join(positives)}) -({' OR '.join(negatives)}) (lang:{lang} OR source:rss)"
        )
        brands.append(Brand(id=f"b{i:04d}", name=name, query=query))
    return brands


def synthetic_texts(brands: list[Brand], count: int, seed: int = 11) -> list[tuple[str, str]]:
    """(text, lang) pairs of 15-30 words; about a third mention one brand's name."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = [rng.choice(FILLER) for _ in range(rng.randint(15, 30))]
        if rng.random() < 0.35:
            words.insert(rng.randrange(len(words)), rng.choice(brands).name.capitalize())
        out.append((" ".join(words), rng.choice(LANGS)))
    return out


def bench_rules(mentions: int = 50_000) -> dict[str, Any]:
    brands = synthetic_brands()
    started = time.perf_counter()
    catalogue = BrandCatalogue(brands)
    compile_s = time.perf_counter() - started
    assert not catalogue.errors, catalogue.errors
    texts = synthetic_texts(brands, mentions)
    fold("é")  # the one-off normalisation table, as a running service builds it at start
    matched = 0
    # CPU time of this process: the figure is per core even when the machine is shared.
    started = time.process_time()
    for text, lang in texts:
        matched += bool(catalogue.rules.match(Mention.of(text, lang, "x")))
    match_s = time.process_time() - started

    now = datetime.now(UTC)
    items = [
        {
            "source": "x",
            "source_id": str(i),
            "text": text,
            "lang": lang,
            "author": {"handle": "@bench", "followers": 10},
            "created_at": (now - timedelta(minutes=1)).isoformat(),
        }
        for i, (text, lang) in enumerate(texts[:20_000])
    ]
    started = time.process_time()
    result = accept_batch(items, catalogue=catalogue, now=now)
    accept_s = time.process_time() - started
    return {
        "brands": len(brands),
        "terms_per_brand": 20,
        "compile_s": round(compile_s, 2),
        "mentions": mentions,
        "matched_share": round(matched / mentions, 3),
        "match_per_s": round(mentions / match_s),
        "accept_per_s": round(len(items) / accept_s),
        "accepted_share": round(len(result.accepted) / len(items), 3),
    }


async def _post_all(url: str, bodies: list[bytes], concurrency: int) -> tuple[int, float]:
    import httpx

    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    accepted = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal accepted
        while not queue.empty():
            body = queue.get_nowait()
            response = await client.post(
                "/v1/mentions", content=body, headers={"content-type": "application/json"}
            )
            if response.status_code != 202:
                raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
            accepted += len(response.json()["accepted"])

    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return accepted, time.perf_counter() - started


async def _topic_size(bootstrap: str, topic: str) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()  # every topic, not only subscribed
        partitions = [TopicPartition(topic, p) for p in cluster.partitions_for_topic(topic) or []]
        ends = await consumer.end_offsets(partitions) if partitions else {}
        return sum(ends.values())
    finally:
        await consumer.stop()


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("ingest exited before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError("ingest not ready")


def bench_http(total: int = 100_000, batch: int = 1000, concurrency: int = 4) -> dict[str, Any]:
    from services.shared.db.embedded import start_embedded_postgres
    from tests.support.kafka_broker import KafkaBroker, free_port

    workdir = Path(tempfile.mkdtemp(prefix="earshot-bench-"))
    broker = KafkaBroker(workdir / "kafka")
    broker.start()
    process: subprocess.Popen[bytes] | None = None
    try:
        dsn = start_embedded_postgres(workdir / "pg")
        port = free_port()
        prefix = f"bench{int(time.time())}."
        env = {
            **os.environ,
            "EARSHOT_BUS": "kafka",
            "EARSHOT_KAFKA_BOOTSTRAP": broker.bootstrap,
            "EARSHOT_DATABASE_URL": dsn,
            "EARSHOT_TOPIC_PREFIX": prefix,
            "EARSHOT_LOG_LEVEL": "WARNING",
            "EARSHOT_INGEST_RATE_PER_SOURCE": "1e9",
            "EARSHOT_INGEST_BURST_PER_SOURCE": "1000000000",
        }
        earshot = str(Path(sys.executable).with_name("earshot"))
        demo = Path(__file__).parents[1] / "shared" / "demo" / "brands.yaml"
        subprocess.run([earshot, "config", "load", str(demo)], env=env, check=True)
        process = subprocess.Popen(
            [earshot, "serve", "ingest", "--port", str(port)],
            env=env,
            stdout=(workdir / "ingest.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, process)
        now = datetime.now(UTC).isoformat()
        texts = synthetic_texts(synthetic_brands(50), total)
        rows = [
            {
                "source": "x",
                "source_id": f"{prefix}{i}",
                "text": f"@skyvela_help {text}",
                "lang": lang,
                "author": {"handle": "@bench", "followers": i % 5000},
                "created_at": now,
            }
            for i, (text, lang) in enumerate(texts)
        ]
        bodies = [json.dumps(rows[i : i + batch]).encode() for i in range(0, total, batch)]
        asyncio.run(_post_all(url, bodies[:2], 1))  # warm up: connections, topic metadata
        cpu_before = _cpu_s(process.pid)
        accepted, elapsed = asyncio.run(_post_all(url, bodies[2:], concurrency))
        server_cpu = _cpu_s(process.pid) - cpu_before
        on_topic = asyncio.run(_topic_size(broker.bootstrap, f"{prefix}mentions.raw"))
        return {
            "mentions": accepted,
            "batch": batch,
            "concurrency": concurrency,
            "seconds": round(elapsed, 2),
            "per_s": round(accepted / elapsed),
            # What one ingest process does per CPU-second: the ceiling on one free core.
            "per_server_cpu_s": round(accepted / server_cpu),
            "on_topic": on_topic,
            "load_average": os.getloadavg()[0],
        }
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["rules", "http"])
    parser.add_argument("--mentions", type=int, default=100_000, help="HTTP benchmark size")
    args = parser.parse_args()
    results: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds")}
    if args.only in (None, "rules"):
        results["rules"] = bench_rules()
        print(json.dumps(results["rules"]), flush=True)
    if args.only in (None, "http"):
        results["http"] = bench_http(total=args.mentions)
        print(json.dumps(results["http"]), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""`make bench-api`: queue listing under load with 1,000,000 cases in PostgreSQL.

Starts a throwaway embedded PostgreSQL, generates N open cases in SQL (four priorities, SLA due
times spread over weeks, two teams, 1 in 50 assigned to the benchmark responder), runs
`earshot serve api` as its own process (uvicorn, one worker), logs in, and drives it with wrk
(Debian's package) on the same machine:

- team queue: `GET /v1/cases?status=active&team=support&limit=50` (priority, then due time);
- personal queue: `GET /v1/cases?assignee=me&limit=50`;
- one case: `GET /v1/cases/{id}`.

wrk's latency percentiles are from the client's side (they include HTTP and the client's own
share of the two cores). Appends a dated entry to docs/BENCHMARKS.md.

    python -m tests.load.api_bench --cases 1000000 --duration 20 --connections 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from services.api.repo.accounts import create_organisation, upsert_user
from services.api.security import hash_password
from services.shared.db.embedded import start_embedded_postgres
from services.shared.db.migrate import upgrade
from services.shared.db.pool import create_pool
from tests.load.benchmarks_doc import append_entry
from tests.support.kafka_broker import free_port

ROOT = Path(__file__).parents[2]
ORG, BRAND, EMAIL, PASSWORD = "bench-org", "bench-api", "bench@example.com", "bench-password-1"

GENERATE = """
INSERT INTO cases (id, brand, conversation_key, status, team, queue, priority, sla_started_at,
    sla_due_at, last_mention_at, sla_clock, language, source, assignee)
SELECT md5('bench-api|' || g)::uuid, $1, $1 || '|x|' || g,
    CASE WHEN g % 10 = 0 THEN 'pending' ELSE 'open' END,
    CASE WHEN g % 3 = 0 THEN 'engagement' ELSE 'support' END,
    CASE WHEN g % 3 = 0 THEN 'engagement' ELSE 'support' END,
    'p' || (1 + (g * 7919) % 4), $2::timestamptz - interval '1 hour',
    $2::timestamptz + ((g * 104729) % 2000000) * interval '1 second', $2::timestamptz,
    'first_response', 'en', 'x', CASE WHEN g % 50 = 0 THEN $4 END
FROM generate_series(1::bigint, $3::bigint) g;
"""


async def prepare(dsn: str, cases: int) -> dict[str, Any]:
    await upgrade(dsn)
    pool = await create_pool(dsn, max_size=2)
    try:
        await create_organisation(pool=pool, organisation_id=ORG, name="Benchmark")
        await pool.execute(
            """INSERT INTO brands (id, name, organisation_id) VALUES ($1, 'Bench', $2)
               ON CONFLICT (id) DO NOTHING""",
            BRAND,
            ORG,
        )
        await upsert_user(
            pool=pool,
            organisation_id=ORG,
            email=EMAIL,
            name="Bench Responder",
            role="lead",
            password_hash=hash_password(PASSWORD),
            replace=True,
        )
        started = time.perf_counter()
        await pool.execute(GENERATE, BRAND, datetime.now(UTC), cases, EMAIL, timeout=3600)
        await pool.execute("ANALYZE cases", timeout=3600)
        generated = time.perf_counter() - started
        some_case = await pool.fetchval("SELECT id FROM cases WHERE brand = $1 LIMIT 1", BRAND)
        return {"cases": cases, "generate_seconds": round(generated, 1), "case_id": str(some_case)}
    finally:
        await pool.close()


def wrk(url: str, token: str, duration: int, connections: int) -> dict[str, Any]:
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
        "-H", f"Authorization: Bearer {token}", url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    percentiles = {
        p: _ms(value) for p, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.M)
    }
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_second": round(rate),
        "latency_ms": percentiles,
        "non_2xx": int(errors[1]) if errors else 0,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return round(float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit], 2)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="earshot-bench-api-"))
    dsn = await asyncio.to_thread(start_embedded_postgres, workdir / "pg")
    data = await prepare(dsn, args.cases)
    port = free_port()
    env = {
        **os.environ,
        "EARSHOT_DATABASE_URL": dsn,
        "EARSHOT_BUS": "memory",
        "EARSHOT_HTTP_PORT": str(port),
        "EARSHOT_API_SECRET": "bench-secret-" + "x" * 32,
        "EARSHOT_LOG_LEVEL": "WARNING",
    }
    log = (workdir / "api.log").open("wb")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "earshot"), "serve", "api"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for _ in range(300):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            login = await client.post(
                "/v1/auth/token", data={"username": EMAIL, "password": PASSWORD}
            )
            login.raise_for_status()
            token = login.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for path in ("/v1/cases?status=active&team=support&limit=50", "/v1/cases?assignee=me"):
                page = await client.get(path, headers=headers)
                page.raise_for_status()
                assert len(page.json()["items"]) == 50, page.text
        urls = {
            "team_queue": f"{base}/v1/cases?status=active&team=support&limit=50",
            "personal_queue": f"{base}/v1/cases?assignee=me&limit=50",
            "case_detail": f"{base}/v1/cases/{data['case_id']}",
        }
        api = psutil.Process(server.pid)
        results = {}
        for name, url in urls.items():
            before = sum(api.cpu_times()[:2])
            results[name] = await asyncio.to_thread(
                wrk, url, token, args.duration, args.connections
            )
            results[name]["api_cpu_percent"] = round(
                (sum(api.cpu_times()[:2]) - before) / args.duration * 100
            )
        return {**data, "connections": args.connections, "duration_s": args.duration, **results}
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def markdown(result: dict[str, Any]) -> str:
    cpu = f"{psutil.cpu_count()} vCPUs ({platform.processor() or platform.machine()})"
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {cpu}, {round(psutil.virtual_memory().total / 2**30)} GiB; embedded "
        f"PostgreSQL, `earshot serve api` (one uvicorn worker) and wrk (2 threads, "
        f"{result['connections']} connections, {result['duration_s']} s per URL) on it. "
        f"{result['cases']:,} cases generated in {result['generate_seconds']} s.",
        "",
        "| request | requests/s | p50 ms | p90 ms | p99 ms | non-2xx | api CPU % |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("team_queue", "personal_queue", "case_detail"):
        r = result[name]
        ms = r["latency_ms"]
        lines.append(
            f"| {name} | {r['requests_per_second']} | {ms.get('50')} | {ms.get('90')} "
            f"| {ms.get('99')} | {r['non_2xx']} | {r['api_cpu_percent']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-write", action="store_true", help="print, do not touch the docs")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=1))
    text = markdown(result)
    print(text)
    if not args.no_write:
        append_entry(
            heading="## API (`make bench-api`)",
            command="make bench-api",
            module="tests.load.api_bench",
            text=text,
        )


if __name__ == "__main__":
    main()

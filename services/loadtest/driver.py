"""Drive ingest over HTTP at a fixed rate (or as fast as it goes) and measure the pipeline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from services.loadtest.stats import summary


@dataclass
class LoadResult:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    send_seconds: float = 0.0
    http_latency_s: list[float] = field(default_factory=list)
    backlog: list[tuple[float, int]] = field(default_factory=list)  # (t, accepted - routed)
    stages: dict[str, dict[str, float]] = field(default_factory=dict)
    routed: int = 0
    cases_opened: int = 0
    drain_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "routed": self.routed,
            "cases_opened": self.cases_opened,
            "send_seconds": round(self.send_seconds, 2),
            "accepted_per_s": round(self.accepted / self.send_seconds, 1)
            if self.send_seconds
            else 0,
            "routed_per_s": round(self.routed / (self.send_seconds + self.drain_seconds), 1)
            if self.send_seconds
            else 0,
            "http_latency_s": summary(self.http_latency_s),
            "max_backlog": max((b for _, b in self.backlog), default=0),
            "stages_s": self.stages,
        }


async def drive(
    stream: Iterator[dict[str, Any]],
    *,
    url: str,
    pool: asyncpg.Pool,
    run_tag: str,
    rate: float | None,
    duration_s: float,
    batch: int = 50,
    concurrency: int = 4,
    drain_timeout_s: float = 300,
) -> LoadResult:
    """Post batches for `duration_s` (at `rate` mentions/s, or unthrottled), wait until every
    accepted mention is routed, then read the per-stage timings from PostgreSQL."""
    result = LoadResult()
    started = time.monotonic()
    deadline = started + duration_s
    lock = asyncio.Lock()

    async def client(worker: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            while time.monotonic() < deadline:
                async with lock:
                    items = [next(stream) for _ in range(batch)]
                    result.sent += len(items)
                    due = started + result.sent / rate if rate else 0.0
                if rate and (wait := due - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                t0 = time.monotonic()
                response = await http.post("/v1/mentions", json=items)
                result.http_latency_s.append(time.monotonic() - t0)
                if response.status_code in (202, 422):
                    body = response.json()
                    accepted = len(body.get("accepted", [])) if response.status_code == 202 else 0
                    result.accepted += accepted
                    result.rejected += len(items) - accepted
                else:
                    result.rejected += len(items)

    sampler = asyncio.create_task(_sample_backlog(pool, run_tag, result, started))
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    result.send_seconds = time.monotonic() - started
    drain_started = time.monotonic()
    while time.monotonic() - drain_started < drain_timeout_s:
        if await _routed(pool, run_tag) >= result.accepted:
            break
        await asyncio.sleep(0.5)
    result.drain_seconds = time.monotonic() - drain_started
    sampler.cancel()
    result.routed = await _routed(pool, run_tag)
    result.stages, result.cases_opened = await _stage_timings(pool, run_tag)
    return result


async def _routed(pool: asyncpg.Pool, run_tag: str) -> int:
    return int(
        await pool.fetchval("SELECT count(*) FROM mentions WHERE source_id LIKE $1", f"{run_tag}-%")
    )


async def _sample_backlog(pool: asyncpg.Pool, run_tag: str, result: LoadResult, t0: float) -> None:
    while True:
        routed = await _routed(pool, run_tag)
        result.backlog.append((round(time.monotonic() - t0, 1), result.accepted - routed))
        await asyncio.sleep(1)


async def _stage_timings(
    pool: asyncpg.Pool, run_tag: str
) -> tuple[dict[str, dict[str, float]], int]:
    pattern = f"{run_tag}-%"
    rows = await pool.fetch(
        """SELECT extract(epoch FROM classified_at - received_at) AS classify,
                  extract(epoch FROM stored_at - classified_at) AS route,
                  extract(epoch FROM stored_at - received_at) AS routed
           FROM mentions WHERE source_id LIKE $1""",
        pattern,
    )
    stages = {
        name: summary([float(r[name]) for r in rows]) for name in ("classify", "route", "routed")
    }
    # A case's clock for this measure starts when ingest accepted its first mention.
    opened = await pool.fetch(
        """SELECT extract(epoch FROM c.opened_at - min(m.received_at)) AS latency
           FROM cases c JOIN mentions m ON m.case_id = c.id
           WHERE m.source_id LIKE $1 GROUP BY c.id, c.opened_at""",
        pattern,
    )
    stages["case_opened"] = summary([float(r["latency"]) for r in opened])
    assigned = await pool.fetch(
        """WITH assigned AS (
               SELECT (convert_from(payload, 'UTF8')::jsonb -> 'data' ->> 'case_id')::uuid AS id,
                      min(created_at) AS at
               FROM outbox
               WHERE convert_from(payload, 'UTF8')::jsonb ->> 'type' = 'earshot.case.assigned.v1'
               GROUP BY 1)
           SELECT extract(epoch FROM a.at - min(m.received_at)) AS latency
           FROM assigned a JOIN mentions m ON m.case_id = a.id
           WHERE m.source_id LIKE $1 GROUP BY a.id, a.at""",
        pattern,
    )
    if assigned:
        stages["case_assigned"] = summary([float(r["latency"]) for r in assigned])
    return stages, len(opened)

"""Durable SLA timers on a real PostgreSQL: exactly once with concurrent sweepers, across a
kill -9 mid-sweep, cancelled by a response, escalation and reassignment on breach."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from schemas import decode
from services.router.assigner import assign_team_queue
from services.router.config import RoutingFile, load_router_config, load_routing_file
from services.router.response_times import record_business_response_times
from services.router.timers import SweepResult, sweep_once
from services.shared.db.pool import create_pool
from tests.integration.pipeline import wait_for
from tests.integration.test_router_engine import T0, classified
from tests.integration.test_router_engine import route_in_batch as route

pytestmark = [pytest.mark.postgres]
ROOT = Path(__file__).parents[2]


@pytest.fixture
async def db(clean_db: asyncpg.Pool[Any]) -> AsyncIterator[asyncpg.Pool[Any]]:
    await clean_db.execute(
        "DELETE FROM responders; DELETE FROM routing_rules; DELETE FROM sla_policies"
    )
    yield clean_db
    await clean_db.execute(
        """DELETE FROM responders; DELETE FROM routing_rules; DELETE FROM sla_policies;
           UPDATE teams SET lead = NULL, requeue_on_offline = true, reassign_on_breach = false"""
    )


async def open_cases(pool: asyncpg.Pool[Any], count: int) -> None:
    config = await load_router_config(pool=pool)
    events = [
        classified(f"t{i}", text=f"case number {i} is broken", created_at=T0 + timedelta(seconds=i))
        for i in range(count)
    ]
    for start in range(0, count, 100):
        await route(pool, config, *events[start : start + 100])


async def sla_events(pool: asyncpg.Pool[Any]) -> list[Any]:
    rows = await pool.fetch("SELECT payload FROM outbox ORDER BY id")
    events = [decode(bytes(r["payload"])) for r in rows]
    return [e for e in events if e.data.kind.startswith(("sla.", "case.escalated"))]


async def sweep_until_idle(pool: asyncpg.Pool[Any], now: datetime, limit: int) -> int:
    config = await load_router_config(pool=pool)
    done = 0
    while True:
        result: SweepResult = await sweep_once(pool=pool, config=config, now=now, limit=limit)
        done += result.done
        if result.done == 0 and result.deferred == 0:
            return done


async def assert_each_fired_timer_announced_once(pool: asyncpg.Pool[Any]) -> None:
    fired = {r["id"] for r in await pool.fetch("SELECT id FROM sla_timers WHERE outcome = 'fired'")}
    events = await sla_events(pool)
    ids = [e.id for e in events]
    assert len(ids) == len(set(ids)), "an event was written twice"
    per_timer = Counter(
        int(e.data.details["timer_id"]) for e in events if e.data.kind.startswith("sla.")
    )
    assert set(per_timer) == fired
    assert set(per_timer.values()) <= {1}


async def test_two_concurrent_sweepers_fire_every_timer_exactly_once(
    db: asyncpg.Pool, postgres_dsn: str
) -> None:
    await open_cases(db, 300)
    pools = [await create_pool(postgres_dsn, max_size=2) for _ in range(2)]
    try:
        # Three moments: the 50 % warnings, the 75 % warnings, then the breaches.
        for hours in (3.5, 5, 7):
            now = T0 + timedelta(hours=hours)
            done = await asyncio.gather(*(sweep_until_idle(p, now, limit=25) for p in pools))
            assert sum(done) == 300, f"at +{hours}h the sweepers did {done}"
            assert all(d > 0 for d in done), "one sweeper did everything: not concurrent"
    finally:
        for p in pools:
            await p.close()
    outcomes = Counter(
        (r["kind"], r["outcome"])
        for r in await db.fetch("SELECT kind, outcome FROM sla_timers WHERE done_at IS NOT NULL")
    )
    assert outcomes == {("warning", "fired"): 600, ("breach", "fired"): 300}
    await assert_each_fired_timer_announced_once(db)
    kinds = Counter(e.data.kind for e in await sla_events(db))
    assert kinds == {"sla.warning": 600, "sla.breached": 300}


async def test_a_recorded_response_cancels_the_clock(db: asyncpg.Pool) -> None:
    await open_cases(db, 2)
    await db.execute(
        "UPDATE cases SET first_response_at = $1"
        " WHERE id = (SELECT id FROM cases ORDER BY id LIMIT 1)",
        T0 + timedelta(hours=1),
    )
    await sweep_until_idle(db, T0 + timedelta(hours=7), limit=100)
    breached = [e.data for e in await sla_events(db) if e.data.kind == "sla.breached"]
    assert len(breached) == 1
    outcomes = Counter(r["outcome"] for r in await db.fetch("SELECT outcome FROM sla_timers"))
    assert outcomes == {"cancelled": 5, "fired": 1}  # late warnings are dropped, not announced


async def test_first_response_time_is_recorded_in_business_hours_once(db: asyncpg.Pool) -> None:
    await open_cases(db, 2)
    answered = await db.fetchval(
        """UPDATE cases SET first_response_at = sla_started_at + interval '26 hours'
           WHERE id = (SELECT id FROM cases ORDER BY id LIMIT 1) RETURNING id"""
    )
    config = await load_router_config(pool=db)
    assert await record_business_response_times(pool=db, config=config) == 1
    assert await record_business_response_times(pool=db, config=config) == 0
    rows = await db.fetch("SELECT id, first_response_business_s FROM cases")
    recorded = {r["id"]: r["first_response_business_s"] for r in rows}
    # Monday 10:00 to Tuesday 12:00 in a weekday 09:00-18:00 calendar: 8 h + 3 h, not 26 h.
    assert recorded.pop(answered) == pytest.approx(11 * 3600)
    assert list(recorded.values()) == [None]  # unanswered: nothing to record


async def test_breach_escalates_to_the_team_lead_and_reassigns(db: asyncpg.Pool) -> None:
    document = RoutingFile.model_validate(
        {
            "team_settings": [{"id": "support", "lead": "lead-1", "reassign_on_breach": True}],
            "responders": [{"id": "ana", "teams": ["support"], "status": "online"}],
        }
    )
    await load_routing_file(pool=db, document=document)
    await open_cases(db, 1)
    assert await assign_team_queue(pool=db, team="support") == 1
    await sweep_until_idle(db, T0 + timedelta(hours=7), limit=100)
    kinds = [e.data.kind for e in await sla_events(db)]
    assert kinds == ["sla.breached", "case.escalated"]
    case = await db.fetchrow("SELECT * FROM cases")
    assert (case["escalated_to"], case["assignee"], case["reassign_exclude"]) == (
        "lead-1", None, "ana",
    )  # fmt: skip
    assert case["breached_at"] == T0 + timedelta(hours=6)
    # Reassignment goes to someone else, never back to the person who missed it.
    assert await assign_team_queue(pool=db, team="support") == 0
    await load_routing_file(
        pool=db,
        document=RoutingFile.model_validate(
            {"responders": [{"id": "bo", "teams": ["support"], "status": "online"}]}
        ),
    )
    assert await assign_team_queue(pool=db, team="support") == 1
    assert await db.fetchval("SELECT assignee FROM cases") == "bo"


SLOW_SWEEPER = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from services.router import timers
    from services.router.config import load_router_config
    from services.shared.db.pool import create_pool
    from datetime import datetime

    dsn, now, marker = sys.argv[1], datetime.fromisoformat(sys.argv[2]), Path(sys.argv[3])
    real = timers.add_many_to_outbox

    async def slow(*args, **kwargs):
        await real(*args, **kwargs)
        # Mid-sweep: cases changed and events written, timers not marked, nothing committed.
        marker.write_text("in the middle")
        await asyncio.sleep(600)

    timers.add_many_to_outbox = slow

    async def main():
        pool = await create_pool(dsn, max_size=2)
        config = await load_router_config(pool=pool)
        await timers.sweep_once(pool=pool, config=config, now=now, limit=500)

    asyncio.run(main())
    """
)


async def test_router_killed_mid_sweep_fires_every_due_event_once_after_restart(
    db: asyncpg.Pool, postgres_dsn: str, tmp_path: Path
) -> None:
    await open_cases(db, 120)
    now = T0 + timedelta(hours=7)
    # A first sweep commits some breaches before the crash.
    config = await load_router_config(pool=db)
    first = await sweep_once(pool=db, config=config, now=now, limit=60)
    assert first.done == 60
    marker = tmp_path / "marker"
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_SWEEPER, postgres_dsn, now.isoformat(), str(marker)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        await wait_for(lambda: asyncio.sleep(0, marker.exists()), timeout=60, what="mid-sweep")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    # The killed sweep's transaction is gone: nothing it did is visible, nothing is stuck.
    assert await db.fetchval("SELECT count(*) FROM sla_timers WHERE done_at IS NOT NULL") == 60
    assert await sweep_until_idle(db, now, limit=50) == 300
    await assert_each_fired_timer_announced_once(db)
    kinds = Counter(e.data.kind for e in await sla_events(db))
    assert kinds == {"sla.breached": 120}

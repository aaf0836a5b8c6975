"""`python -m services.router.bench`: routing decisions per second with PostgreSQL, and one SLA
timer sweep over 1,000,000 open cases.

By default it starts a throwaway embedded PostgreSQL in a temporary folder, so the numbers
are not skewed by (and do not pollute) a development database; `--database-url` points it at
a server of your own instead (it writes only rows of the brand `bench-router` there, and
deletes them afterwards).

Routing: N synthetic classified mentions (mixed sentiment, urgency, threads, some viral
copies) go through `route_mention` in batches, one transaction per batch, exactly as the
router's consumer does: store the mention, open/join a case, plan timers, write the outbox.

Sweep: open cases and their three pending timers each are generated in SQL with
`generate_series`; a fixed number of timers are due. One sweep (`sweep_once`, 500 timers)
is timed, as is an idle sweep (nothing due), with the query plan that shows the partial index.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from schemas import Classification, MentionClassified, MentionReceived
from services.router.batch import route_batch
from services.router.config import load_router_config
from services.router.routing.rules import apply_rules, compile_rules, parse_rule_set
from services.router.timers import sweep_once

BRAND = "bench-router"
TEXTS = [
    ("negative", "high", "my order never arrived and support ignores me, I want a refund"),
    ("negative", "normal", "the app keeps crashing when I open my account page"),
    ("negative", "critical", "someone hacked my account and is spending my money"),
    ("positive", "low", "loving the new update, great job team"),
    ("neutral", "low", "do you ship to Iceland"),
    ("neutral", "normal", "what are your opening hours on Sunday"),
]
# Three random words make each text its own: only the VIRAL copies cluster.
WORDS = "today again still since monday please why help urgent now really ever".split() + [
    f"w{i}" for i in range(200)
]
VIRAL = "Bench router lost thousands of bags today and nobody at the airport answers"
RULES = parse_rule_set(
    {
        "rules": [
            {"name": "vip", "when": {"author_followers": {"min": 50000}},
             "then": {"priority": "p1", "queue": "vip"}},
            {"name": "security", "when": {"keywords": ["hacked", "stolen", "fraud"]},
             "then": {"team": "support", "priority": "p1"}},
            {"name": "legal", "when": {"keywords": ["lawyer", "lawsuit"]},
             "then": {"team": "support", "priority": "p1", "queue": "legal"}},
            {"name": "de", "when": {"language": ["de"]}, "then": {"queue": "support-de"}},
        ]
    }
)  # fmt: skip


def synthetic(count: int, *, seed: int = 11) -> list[MentionClassified]:
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(hours=1)
    events = []
    for i in range(count):
        sentiment, urgency, text = rng.choice(TEXTS)
        viral = rng.random() < 0.05
        thread = f"b{i - i % 10}" if i % 10 in (3, 4) and i >= 10 else None
        created = start + timedelta(milliseconds=i)
        mention = MentionReceived(
            mention_id=uuid.uuid5(uuid.NAMESPACE_URL, f"bench|{i}"),
            source="x",
            source_id=f"b{i}",
            brand=BRAND,
            text=VIRAL if viral else f"{text} {' '.join(rng.sample(WORDS, 3))}",
            author={"handle": f"@u{rng.randint(1, 10**5)}", "followers": rng.randint(0, 10**5)},
            created_at=created,
            received_at=created,
            thread_id=thread,
            parent_id=thread,
        )
        scores = {"negative": 0.1, "neutral": 0.1, "positive": 0.1} | {sentiment: 0.8}
        classification = Classification.model_validate(
            {
                "sentiment": {"label": sentiment, "scores": scores},
                "language": {"code": rng.choice(["en", "en", "de", "ro"]), "confidence": 0.9,
                             "method": "detected"},
                "abuse": {"offensive": 0.0, "hate": 0.0, "spam": 0.0},
                "urgency": {"level": urgency, "reasons": []},
                "model_version": "bench",
            }
        )  # fmt: skip
        events.append(
            MentionClassified(mention=mention, classification=classification, classified_at=created)
        )
    return events


def bench_pure_decisions(events: list[MentionClassified]) -> float:
    rules = compile_rules(RULES.rules)
    started = time.perf_counter()
    for event in events:
        apply_rules(rules, event.mention, event.classification)
    return len(events) / (time.perf_counter() - started)


async def bench_routing(
    pool: asyncpg.Pool[Any], events: list[MentionClassified], batch: int
) -> dict[str, Any]:
    async with pool.acquire() as connection:
        await connection.execute("DELETE FROM routing_rules")
        await connection.executemany(
            "INSERT INTO routing_rules (name, position, spec) VALUES ($1, $2, $3)",
            [(r.name, i, r.model_dump(mode="json")) for i, r in enumerate(RULES.rules)],
        )
    config = await load_router_config(pool=pool)
    started = time.perf_counter()
    for offset in range(0, len(events), batch):
        async with pool.acquire() as connection, connection.transaction():
            await route_batch(connection, events[offset : offset + batch], config)
    elapsed = time.perf_counter() - started
    cases = await pool.fetchval("SELECT count(*) FROM cases WHERE brand = $1", BRAND)
    await pool.execute("DELETE FROM routing_rules")
    return {
        "mentions": len(events),
        "batch": batch,
        "seconds": round(elapsed, 2),
        "decisions_per_second": round(len(events) / elapsed),
        "cases_opened": cases,
    }


GENERATE = """
INSERT INTO cases (id, brand, conversation_key, status, team, queue, priority, sla_started_at,
    sla_due_at, last_mention_at, sla_clock, language, source)
SELECT md5('bench-case|' || g)::uuid, $1, $1 || '|x|' || g, 'open', 'support', 'support',
    'p' || (1 + g % 4), $2::timestamptz - interval '1 hour',
    $2::timestamptz + (g * interval '2 seconds'), $2::timestamptz, 'first_response', 'en', 'x'
FROM generate_series(1, $3) g;
"""
GENERATE_TIMERS = """
INSERT INTO sla_timers (case_id, clock, clock_seq, kind, fraction, fire_at)
SELECT md5('bench-case|' || g)::uuid, 'first_response', 0, k.kind, k.fraction,
    -- the first $3 cases have their breach due now; everything else lies in the future
    CASE WHEN g <= $3 AND k.kind = 'breach' THEN $1::timestamptz - interval '1 second'
         ELSE $1::timestamptz + (g * interval '2 seconds') * k.fraction + interval '1 minute'
    END
FROM generate_series(1, $2) g,
     (VALUES ('warning', 0.5::real), ('warning', 0.75::real), ('breach', 1.0::real))
         AS k(kind, fraction);
"""


async def bench_sweep(
    pool: asyncpg.Pool[Any], open_cases: int, due: int, rounds: int
) -> dict[str, Any]:
    now = datetime.now(UTC)
    started = time.perf_counter()
    async with pool.acquire() as connection:
        # Generation takes minutes on a small machine: a generous statement timeout.
        await connection.execute(GENERATE, BRAND, now, open_cases, timeout=3600)
        await connection.execute(GENERATE_TIMERS, now, open_cases, due, timeout=3600)
        await connection.execute("ANALYZE cases; ANALYZE sla_timers", timeout=3600)
    generated_s = time.perf_counter() - started
    config = await load_router_config(pool=pool)
    pending = await pool.fetchval("SELECT count(*) FROM sla_timers WHERE done_at IS NULL")
    plan = await pool.fetch(
        """EXPLAIN SELECT id FROM sla_timers WHERE done_at IS NULL AND fire_at <= $1
           ORDER BY fire_at LIMIT 500 FOR UPDATE SKIP LOCKED""",
        now,
    )
    # The index-backed part alone: find and lock the 500 most overdue timers, then roll back.
    find = []
    for _ in range(5):
        async with pool.acquire() as connection:
            transaction = connection.transaction()
            await transaction.start()
            t = time.perf_counter()
            await connection.fetch(
                """SELECT id, case_id FROM sla_timers WHERE done_at IS NULL AND fire_at <= $1
                   ORDER BY fire_at LIMIT 500 FOR UPDATE SKIP LOCKED""",
                now,
            )
            find.append((time.perf_counter() - t) * 1000)
            await transaction.rollback()
    timings = []
    fired = 0
    for _ in range(rounds):
        t = time.perf_counter()
        result = await sweep_once(pool=pool, config=config, now=now, limit=500)
        timings.append((time.perf_counter() - t) * 1000)
        fired += result.fired
        if result.done == 0:
            break
    idle = []
    for _ in range(5):
        t = time.perf_counter()
        await sweep_once(pool=pool, config=config, now=now, limit=500)
        idle.append((time.perf_counter() - t) * 1000)
    return {
        "open_cases": open_cases,
        "pending_timers": pending,
        "generate_seconds": round(generated_s, 1),
        "find_and_lock_500_due_median_ms": round(statistics.median(find), 2),
        "sweep_500_due_ms": [round(x, 1) for x in timings],
        "sweep_500_due_median_ms": round(statistics.median(timings), 1),
        "timers_fired": fired,
        "idle_sweep_median_ms": round(statistics.median(idle), 2),
        "plan": [row[0] for row in plan],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from services.shared.db.migrate import upgrade
    from services.shared.db.pool import create_pool

    dsn = args.database_url
    if dsn is None:
        from services.shared.db.embedded import start_embedded_postgres

        folder = Path(tempfile.mkdtemp(prefix="earshot-bench-router-"))
        dsn = await asyncio.to_thread(start_embedded_postgres, folder / "pg")
    await upgrade(dsn)
    pool = await create_pool(dsn, max_size=4)
    try:
        await _cleanup(pool)
        report: dict[str, Any] = {}
        if args.only in ("all", "routing"):
            events = synthetic(args.mentions)
            report["pure_decisions_per_second"] = round(bench_pure_decisions(events))
            report["routing"] = await bench_routing(pool, events, args.batch)
            print(json.dumps(report), file=sys.stderr, flush=True)  # the sweep takes long
            await _cleanup(pool)
        if args.only in ("all", "sweep"):
            report["sweep"] = await bench_sweep(pool, args.open_cases, args.due, args.rounds)
        return report
    finally:
        if args.database_url is not None:  # a throwaway embedded server needs no tidying
            await _cleanup(pool)
        await pool.close()


async def _cleanup(pool: asyncpg.Pool[Any]) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("DELETE FROM outbox WHERE key LIKE $1", f"{BRAND}|%")
        await connection.execute(
            "DELETE FROM sla_timers WHERE case_id IN (SELECT id FROM cases WHERE brand = $1)", BRAND
        )
        await connection.execute("UPDATE mentions SET case_id = NULL WHERE brand = $1", BRAND)
        await connection.execute("DELETE FROM cases WHERE brand = $1", BRAND)
        await connection.execute("DELETE FROM mentions WHERE brand = $1", BRAND)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a throwaway embedded one")
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--open-cases", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=2_000, help="breach timers due at sweep time")
    parser.add_argument("--rounds", type=int, default=3, help="timed sweeps of 500 due timers")
    parser.add_argument("--only", choices=["all", "routing", "sweep"], default="all")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()

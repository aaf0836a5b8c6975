"""The routing and SLA engine on a real PostgreSQL: rules, clusters, clocks, assignment."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from schemas import MentionClassified, decode
from services.router.assigner import assign_all, assign_team_queue, release_unavailable_assignees
from services.router.batch import BatchConflict, route_batch
from services.router.commands import dry_run
from services.router.config import RouterConfig, RoutingFile, load_router_config, load_routing_file
from services.router.handlers import route_mention
from services.router.routing import RoutingThresholds
from services.shared.db.pool import create_pool

pytestmark = [pytest.mark.postgres]

EXAMPLE = Path(__file__).parents[2] / "schemas" / "examples" / "earshot.mention.classified.v1.json"
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, inside 09:00-18:00 UTC


def classified(
    source_id: str,
    *,
    text: str = "Northwind cancelled my flight and nobody answers the phone, I want a refund",
    brand: str = "northwind",
    sentiment: str = "negative",
    urgency: str = "normal",
    thread_id: str | None = None,
    created_at: datetime = T0,
    language: str = "en",
    followers: int = 100,
) -> MentionClassified:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))["data"]
    m, c = data["mention"], data["classification"]
    m.update(
        mention_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{brand}|{source_id}")),
        source_id=source_id,
        source="x",
        brand=brand,
        text=text,
        thread_id=thread_id,
        created_at=created_at.isoformat(),
        received_at=created_at.isoformat(),
        author={"handle": f"@{source_id}", "followers": followers},
    )
    c["sentiment"]["label"] = sentiment
    c["urgency"] = {"level": urgency, "reasons": []}
    c["language"]["code"] = language
    data["classified_at"] = created_at.isoformat()
    return MentionClassified.model_validate(data)


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


async def route_one_by_one(
    pool: asyncpg.Pool[Any], config: RouterConfig, *events: MentionClassified
) -> None:
    async with pool.acquire() as connection, connection.transaction():
        for event in events:
            await route_mention(connection, event, config)


async def route_in_batch(
    pool: asyncpg.Pool[Any], config: RouterConfig, *events: MentionClassified
) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await route_batch(connection, events, config)


Route = Callable[..., Awaitable[None]]


@pytest.fixture(params=["batch", "one_by_one"])
def route(request: pytest.FixtureRequest) -> Route:
    """Every behaviour holds on both paths: the batch fast path and the one-by-one path."""
    return route_in_batch if request.param == "batch" else route_one_by_one


async def outbox_events(pool: asyncpg.Pool[Any]) -> list[Any]:
    rows = await pool.fetch("SELECT payload FROM outbox ORDER BY id")
    return [decode(bytes(r["payload"])).data for r in rows]


async def test_new_case_gets_team_priority_due_time_and_durable_timers(
    db: asyncpg.Pool, route: Route
) -> None:
    config = await load_router_config(pool=db)
    await route(db, config, classified("m1"))
    case = await db.fetchrow("SELECT * FROM cases")
    assert (case["team"], case["priority"], case["sla_clock"]) == (
        "support",
        "p3",
        "first_response",
    )
    # 6 business hours from Monday 10:00 in a 09:00-18:00 UTC calendar: 16:00 the same day.
    assert case["sla_due_at"] == T0 + timedelta(hours=6)
    timers = await db.fetch("SELECT kind, fraction, fire_at FROM sla_timers ORDER BY fire_at")
    assert [(t["kind"], t["fraction"], t["fire_at"]) for t in timers] == [
        ("warning", 0.5, T0 + timedelta(hours=3)),
        ("warning", 0.75, T0 + timedelta(hours=4, minutes=30)),
        ("breach", 1.0, T0 + timedelta(hours=6)),
    ]
    [opened] = await outbox_events(db)
    assert opened.kind == "case.opened" and opened.sla_due_at == T0 + timedelta(hours=6)


async def test_the_router_routes_abuse_by_its_configured_thresholds(
    db: asyncpg.Pool, route: Route
) -> None:
    def offensive(source_id: str, text: str) -> MentionClassified:
        event = classified(source_id, text=text)  # a negative complaint, offensive at 0.6
        abuse = event.classification.abuse.model_copy(update={"offensive": 0.6})
        classification = event.classification.model_copy(update={"abuse": abuse})
        return event.model_copy(update={"classification": classification})

    strict = await load_router_config(pool=db, thresholds=RoutingThresholds(offensive=0.7))
    await route(db, strict, offensive("strict", "Northwind lost my damn bag again"))
    await route(db, await load_router_config(pool=db), offensive("default", "Crap app, crashes"))
    rows = await db.fetch("SELECT team FROM cases ORDER BY opened_at")
    # Under 0.7 it is answered by support; at the default 0.5 it goes to moderation.
    assert [r["team"] for r in rows] == ["support", "moderation"]


async def test_rules_and_policies_loaded_from_a_file_drive_routing(
    db: asyncpg.Pool, route: Route
) -> None:
    document = RoutingFile.model_validate(
        {
            "rules": [
                {"name": "vip", "when": {"author_followers": {"min": 10000}},
                 "then": {"priority": "p1", "queue": "vip"}},
                {"name": "quiet-brand", "when": {"brand": ["quietco"]}, "then": {"monitor": True}},
            ],
            "sla_policies": [
                {"team": "support", "priority": "p1", "first_response_seconds": 3600,
                 "warning_fractions": [0.5]},
            ],
        }
    )  # fmt: skip
    assert (await load_routing_file(pool=db, document=document))["rules"] == 2
    config = await load_router_config(pool=db)
    await route(
        db,
        config,
        classified("vip1", followers=50_000),
        classified("q1", brand="quietco", text="quietco is broken"),
    )
    [case] = await db.fetch("SELECT * FROM cases")
    assert (case["priority"], case["queue"]) == ("p1", "vip")
    assert case["sla_due_at"] == T0 + timedelta(hours=1)
    assert await db.fetchval("SELECT count(*) FROM sla_timers") == 2
    route_json = await db.fetchval("SELECT route FROM mentions WHERE source_id = 'q1'")
    assert route_json["action"] == "monitor" and route_json["rule"] == "rule:quiet-brand"


async def test_a_viral_cluster_becomes_one_case_with_a_count(
    db: asyncpg.Pool, route: Route
) -> None:
    config = await load_router_config(pool=db)
    text = "Northwind lost my luggage AGAIN and nobody answers the phone"
    copies = [
        classified(
            f"v{i}",
            text=f"RT @someone: {text} https://t.co/{i}",
            created_at=T0 + timedelta(minutes=i),
        )
        for i in range(30)
    ]
    await route(db, config, *copies[:10])
    await route(db, config, *copies[10:])
    cases = await db.fetch("SELECT * FROM cases")
    assert len(cases) == 1 and cases[0]["mention_count"] == 30
    linked = await db.fetchval("SELECT count(*) FROM mentions WHERE case_id = $1", cases[0]["id"])
    assert linked == 30
    # A reply to one of the copies joins the cluster's case through its conversation.
    await route(db, config, classified("reply", text="me too", thread_id="v7"))
    assert await db.fetchval("SELECT mention_count FROM cases") == 31
    # After a quiet window the same text starts a new case.
    await route(db, config, classified("later", text=text, created_at=T0 + timedelta(days=2)))
    assert await db.fetchval("SELECT count(*) FROM cases") == 2


async def test_a_mention_after_a_response_starts_the_next_response_clock(
    db: asyncpg.Pool, route: Route
) -> None:
    config = await load_router_config(pool=db)
    await route(db, config, classified("root"))
    # The API records the first response.
    await db.execute("UPDATE cases SET first_response_at = $1", T0 + timedelta(hours=1))
    await route(
        db, config, classified("again", thread_id="root", created_at=T0 + timedelta(hours=2))
    )
    case = await db.fetchrow("SELECT * FROM cases")
    assert (case["sla_clock"], case["sla_clock_seq"]) == ("next_response", 1)
    assert case["sla_started_at"] == T0 + timedelta(hours=2)
    assert case["sla_due_at"] == T0 + timedelta(hours=8)  # 12:00 + 6 business hours
    assert await db.fetchval("SELECT count(*) FROM sla_timers WHERE clock_seq = 1") == 3
    # A second mention while that clock runs does not restart it.
    await route(
        db, config, classified("more", thread_id="root", created_at=T0 + timedelta(hours=3))
    )
    assert await db.fetchval("SELECT sla_clock_seq FROM cases") == 1
    events = await outbox_events(db)
    assert [e.kind for e in events] == ["case.opened", "case.mention_added", "case.mention_added"]
    assert events[1].details == {"sla_clock": "next_response"}


async def add_responders(pool: asyncpg.Pool, *people: dict[str, Any]) -> None:
    document = RoutingFile.model_validate({"responders": list(people)})
    await load_routing_file(pool=pool, document=document)


async def test_assignment_waits_for_someone_eligible_then_balances(
    db: asyncpg.Pool, route: Route
) -> None:
    config = await load_router_config(pool=db)
    await add_responders(
        db,
        {"id": "ana", "teams": ["support"], "capacity": 2, "status": "away"},
        {"id": "bo", "teams": ["support"], "capacity": 2, "status": "online", "languages": ["de"]},
    )
    await route(db, config, *[classified(f"c{i}", text=f"problem number {i}") for i in range(5)])
    assert await assign_team_queue(pool=db, team="support") == 0  # nobody eligible: queue
    await db.execute("UPDATE responders SET status = 'online' WHERE id = 'ana'")
    assert await assign_team_queue(pool=db, team="support") == 2  # capacity 2
    await db.execute("UPDATE responders SET languages = '{}' WHERE id = 'bo'")
    assert await assign_team_queue(pool=db, team="support") == 2
    loads = dict(await db.fetch("SELECT assignee, count(*) FROM cases GROUP BY assignee"))
    assert loads == {"ana": 2, "bo": 2, None: 1}
    # Freeing capacity assigns the waiting case.
    await db.execute("UPDATE cases SET status = 'resolved' WHERE assignee = 'bo' AND id IN "
                     "(SELECT id FROM cases WHERE assignee = 'bo' LIMIT 1)")  # fmt: skip
    assert await assign_all(pool=db, config=config, teams=["support"]) == 1
    kinds = [e.kind for e in await outbox_events(db)]
    assert kinds.count("case.assigned") == 5


async def test_offline_assignee_returns_unanswered_cases_to_the_queue(
    db: asyncpg.Pool, route: Route
) -> None:
    config = await load_router_config(pool=db)
    await add_responders(db, {"id": "ana", "teams": ["support"], "status": "online"})
    await route(db, config, classified("a1", text="first problem here"),
                classified("a2", text="second problem here"))  # fmt: skip
    assert await assign_team_queue(pool=db, team="support") == 2
    await db.execute("UPDATE cases SET first_response_at = now() WHERE id IN "
                     "(SELECT id FROM cases ORDER BY id LIMIT 1)")  # fmt: skip
    await db.execute("UPDATE responders SET status = 'offline'")
    assert await release_unavailable_assignees(pool=db, config=config) == 1
    rows = await db.fetch("SELECT assignee, first_response_at FROM cases ORDER BY id")
    assert [r["assignee"] for r in rows] == ["ana", None]
    [released] = [e for e in await outbox_events(db) if e.kind == "case.reassigned"]
    assert released.details == {"from": "ana", "reason": "assignee_offline"}


async def test_dry_run_reports_changes_without_applying_them(
    db: asyncpg.Pool, route: Route
) -> None:
    config = await load_router_config(pool=db)
    now = datetime.now(UTC)
    await route(
        db,
        config,
        classified("d1", created_at=now, followers=50_000),
        classified("d2", created_at=now, text="all good here thanks", sentiment="neutral"),
    )
    proposed = RoutingFile.model_validate(
        {"rules": [{"name": "vip", "when": {"author_followers": {"min": 10000}},
                    "then": {"priority": "p1"}}]}
    )  # fmt: skip
    report = (
        await dry_run(pool=db, document=proposed, since=now - timedelta(days=1), limit=100)
    ).as_json()
    assert (report["mentions"], report["changed"]) == (2, 1)
    assert report["priority_changes"] == [{"from": "p3", "to": "p1", "mentions": 1}]
    assert await db.fetchval("SELECT count(*) FROM routing_rules") == 0
    assert await db.fetchval("SELECT priority FROM cases") == "p3"


async def test_a_cluster_case_opened_meanwhile_elsewhere_sends_the_batch_one_by_one(
    db: asyncpg.Pool,
) -> None:
    config = await load_router_config(pool=db)
    text = "Northwind lost my luggage AGAIN and nobody answers the phone"
    first, second = classified("x1", text=text), classified("x2", text=f"RT @x: {text}")
    other = await db.acquire()
    transaction = other.transaction()
    await transaction.start()
    await route_batch(other, [first], config)  # another replica, not committed yet

    async def this_replica() -> None:
        async with db.acquire() as connection, connection.transaction():
            await route_batch(connection, [second], config)

    racing = asyncio.create_task(this_replica())
    await asyncio.sleep(0.5)  # it waits on the other replica's uncommitted case
    await transaction.commit()
    await db.release(other)
    with pytest.raises(BatchConflict):
        await racing
    await route_one_by_one(db, config, second)
    cases = await db.fetch("SELECT mention_count FROM cases")
    assert [c["mention_count"] for c in cases] == [2]
    assert await db.fetchval("SELECT count(*) FROM mentions WHERE case_id IS NOT NULL") == 2


async def test_two_replicas_assigning_at_once_never_assign_a_case_twice_or_overfill(
    db: asyncpg.Pool, postgres_dsn: str
) -> None:
    config = await load_router_config(pool=db)
    people = [
        {"id": f"r{i}", "teams": ["support", "moderation"], "capacity": 30, "status": "online"}
        for i in range(5)
    ]
    await add_responders(db, *people)
    await route_in_batch(
        db, config, *[classified(f"q{i}", text=f"queue item {i} is broken") for i in range(200)]
    )
    pools = [await create_pool(postgres_dsn, max_size=2) for _ in range(2)]

    async def replica(pool: asyncpg.Pool) -> int:
        total = 0
        for _ in range(10):
            total += await assign_all(pool=pool, config=config)
        return total

    try:
        done = await asyncio.gather(*(replica(p) for p in pools))
    finally:
        for p in pools:
            await p.close()
    assert sum(done) == 150  # 5 people x capacity 30; the other 50 wait in the queue
    loads = dict(await db.fetch("SELECT assignee, count(*) FROM cases GROUP BY assignee"))
    assert loads == {**{f"r{i}": 30 for i in range(5)}, None: 50}
    assigned = [e.case_id for e in await outbox_events(db) if e.kind == "case.assigned"]
    assert len(assigned) == len(set(assigned)) == 150

"""Volume and sentiment, share of voice, SLA compliance."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from tests.integration import test_api_support as support
from tests.integration.test_api_support import Tenant, make_case

# The shared fixtures, bound here so pytest finds them for this module.
api_app = support.api_app
client = support.client
tenant = support.tenant
other_tenant = support.other_tenant

pytestmark = [pytest.mark.postgres]


async def test_volume_splits_sentiment_per_bucket(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await make_case(pool, tenant.brand, sentiment="negative")
    await make_case(pool, tenant.brand, sentiment="positive")
    body = (
        await client.get(
            "/v1/analytics/volume",
            params={"brand": tenant.brand, "bucket": "hour"},
            headers=tenant.auth("responder"),
        )
    ).json()
    assert sum(b["total"] for b in body["items"]) == 2
    assert sum(b["positive"] for b in body["items"]) == 1
    assert sum(b["negative"] for b in body["items"]) == 1


async def test_share_of_voice_against_competitors(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for _ in range(3):
        await make_case(pool, tenant.brand)
    await make_case(pool, tenant.competitor)
    body = (
        await client.get(
            "/v1/analytics/share-of-voice",
            params={"brand": tenant.brand},
            headers=tenant.auth("lead"),
        )
    ).json()
    shares = {i["brand"]: i["share"] for i in body["items"]}
    assert shares == {tenant.brand: 0.75, tenant.competitor: 0.25}


async def test_sla_compliance_counts_within_breached_and_percentiles(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    answered, _ = await make_case(pool, tenant.brand, priority="p1")
    await make_case(
        pool,
        tenant.brand,
        priority="p1",
        due_in=timedelta(minutes=1),
        started_ago=timedelta(hours=1),
    )
    await make_case(pool, tenant.brand, priority="p3")  # still running: not yet counted
    await client.post(
        f"/v1/cases/{answered}/respond", json={"text": "on it"}, headers=tenant.auth("responder")
    )
    body = (
        await client.get(
            "/v1/analytics/sla", params={"group_by": "priority"}, headers=tenant.auth("lead")
        )
    ).json()
    assert body["clock"] == "wall+business"
    p1 = next(i for i in body["items"] if i["key"] == "p1")
    assert (p1["cases"], p1["responded"], p1["within_sla"], p1["breached"]) == (2, 1, 1, 1)
    assert p1["pct_within_sla"] == 50.0
    assert 290 < p1["median_first_response_s"] < 400  # started 5 minutes ago
    assert p1["median_first_response_business_s"] is None  # the router fills it in later
    await pool.execute("UPDATE cases SET first_response_business_s = 120 WHERE id = $1", answered)
    again = await client.get(
        "/v1/analytics/sla", params={"group_by": "priority"}, headers=tenant.auth("lead")
    )
    p1 = next(i for i in again.json()["items"] if i["key"] == "p1")
    assert p1["median_first_response_business_s"] == 120
    p3 = next(i for i in body["items"] if i["key"] == "p3")
    assert p3["pct_within_sla"] is None and p3["open"] == 1


async def test_sla_compliance_per_channel(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    case_id, _ = await make_case(pool, tenant.brand)
    await pool.execute("UPDATE cases SET source = 'x' WHERE id = $1", case_id)
    body = (
        await client.get(
            "/v1/analytics/sla", params={"group_by": "channel"}, headers=tenant.auth("lead")
        )
    ).json()
    assert [(i["key"], i["cases"], i["open"]) for i in body["items"]] == [("x", 1, 1)]


async def add_alert(pool: asyncpg.Pool, brand: str) -> uuid.UUID:
    alert_id, now = uuid.uuid4(), datetime.now(UTC)
    await pool.execute(
        """INSERT INTO alerts (id, brand, kind, window_start, window_end, observed, expected,
               score, summary) VALUES ($1, $2, 'volume', $3, $4, 40, 3, 9.5, 'a spike')""",
        alert_id,
        brand,
        now - timedelta(hours=1),
        now,
    )
    return alert_id


async def test_alerts_are_listed_for_the_callers_organisation_only(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = await add_alert(pool, tenant.brand)
    await add_alert(pool, other_tenant.brand)
    body = (await client.get("/v1/analytics/alerts", headers=tenant.auth("responder"))).json()
    assert [(i["id"], i["summary"], i["notified_at"]) for i in body["items"]] == [
        (str(mine), "a spike", None)
    ]
    guessed = await client.get(
        "/v1/analytics/alerts", params={"brand": other_tenant.brand}, headers=tenant.auth("lead")
    )
    assert guessed.json()["items"] == []


async def test_topics_of_a_brand_count_terms_hashtags_and_authors(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    for text in ("Refund still missing #refund", "refund refused again #Refund", "lost bag"):
        await make_case(pool, tenant.brand, text=text)
    await make_case(pool, other_tenant.brand, text="secret refund plans #refund")
    body = (
        await client.get(
            "/v1/analytics/topics", params={"brand": tenant.brand}, headers=tenant.auth("lead")
        )
    ).json()
    assert body["posts"] == 3
    assert body["terms"][0] == {"value": "refund", "posts": 2}
    assert body["hashtags"] == [{"value": "#refund", "posts": 2}]
    assert body["authors"] == [
        {"handle": "@someone", "followers": 10, "mentions": 3, "negative": 3}
    ]
    other = await client.get(
        "/v1/analytics/topics", params={"brand": other_tenant.brand}, headers=tenant.auth("lead")
    )
    assert other.json()["posts"] == 0  # another organisation's brand reads as empty

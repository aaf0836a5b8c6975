"""The live stream: case events from the outbox, only the caller's organisation, resumable."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import httpx
import pytest

from services.api import live
from tests.integration import test_api_support as support
from tests.integration.test_api_support import Tenant, make_case

# The shared fixtures, bound here so pytest finds them for this module.
api_app = support.api_app
client = support.client
other_tenant = support.other_tenant
tenant = support.tenant

pytestmark = [pytest.mark.postgres]


async def collect(stream, count: int, timeout: float = 10) -> list[dict]:
    events: list[dict] = []

    async def read() -> None:
        async for chunk in stream:
            for line in chunk.splitlines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
            if len(events) >= count:
                return

    await asyncio.wait_for(read(), timeout)
    return events


def stream_for(pool: asyncpg.Pool, org: str, last_event_id: int | None = None):
    async def connected() -> bool:
        return False

    return live.case_event_stream(
        pool=pool,
        organisation_id=org,
        topic="cases.events",
        last_event_id=last_event_id,
        disconnected=connected,
        poll_s=0.05,
    )


async def test_stream_carries_only_the_callers_case_events(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    ours, _ = await make_case(pool, tenant.brand)
    theirs, _ = await make_case(pool, other_tenant.brand)
    stream = stream_for(pool, tenant.org)
    assert (await anext(stream)).startswith("retry:")
    await client.post(f"/v1/cases/{theirs}/claim", headers=other_tenant.auth("responder"))
    await client.post(f"/v1/cases/{ours}/claim", headers=tenant.auth("responder"))
    await client.post(
        f"/v1/cases/{ours}/respond", json={"text": "hi"}, headers=tenant.auth("responder")
    )
    events = await collect(stream, 2)
    assert [e["type"] for e in events] == ["earshot.case.assigned.v1", "earshot.case.responded.v1"]
    assert {e["data"]["case_id"] for e in events} == {str(ours)}
    await stream.aclose()


async def test_stream_resumes_after_last_event_id(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    case_id, _ = await make_case(pool, tenant.brand)
    before = await pool.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
    await client.post(f"/v1/cases/{case_id}/claim", headers=tenant.auth("responder"))
    await client.post(f"/v1/cases/{case_id}/resolve", headers=tenant.auth("responder"))
    stream = stream_for(pool, tenant.org, last_event_id=before)
    events = await collect(stream, 2)
    assert [e["data"]["kind"] for e in events] == ["case.assigned", "case.resolved"]
    await stream.aclose()


async def test_stream_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/events")
    assert response.status_code == 401

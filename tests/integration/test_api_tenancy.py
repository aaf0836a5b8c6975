"""One organisation can never read or change another's brands, mentions or cases — not even
by guessing ids: another organisation's id answers exactly like an id that does not exist."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest

from tests.integration import test_api_support as support
from tests.integration.test_api_support import Tenant, make_case

# The shared fixtures, bound here so pytest finds them for this module.
api_app = support.api_app
client = support.client
other_tenant = support.other_tenant
tenant = support.tenant

pytestmark = [pytest.mark.postgres]


async def test_lists_show_only_the_callers_organisation(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    ours, _ = await make_case(pool, tenant.brand)
    await make_case(pool, other_tenant.brand)
    auth = tenant.auth("admin")
    brands = (await client.get("/v1/brands", headers=auth)).json()["items"]
    assert {b["id"] for b in brands} == {tenant.brand, tenant.competitor}
    cases = (await client.get("/v1/cases", headers=auth)).json()["items"]
    assert [c["id"] for c in cases] == [str(ours)]
    leaked = await client.get("/v1/cases", params={"brand": other_tenant.brand}, headers=auth)
    assert leaked.json()["items"] == []
    users = (await client.get("/v1/users", headers=auth)).json()["items"]
    assert {u["email"] for u in users} == set(tenant.emails.values())
    moderation = (await client.get("/v1/moderation", headers=auth)).json()["items"]
    assert all(m["brand"] in (tenant.brand, tenant.competitor) for m in moderation)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/cases/{case}", None),
        ("POST", "/v1/cases/{case}/claim", None),
        ("POST", "/v1/cases/{case}/assign", {"assignee": None}),
        ("POST", "/v1/cases/{case}/respond", {"text": "hello"}),
        ("POST", "/v1/cases/{case}/resolve", None),
        ("POST", "/v1/cases/{case}/reopen", None),
        ("POST", "/v1/cases/{case}/mark", {"label": "spam"}),
        ("GET", "/v1/mentions/{mention}", None),
        ("POST", "/v1/mentions/{mention}/corrections", {"field": "sentiment", "value": "positive"}),
        ("POST", "/v1/mentions/{mention}/moderation", {"decision": "keep"}),
    ],
)
async def test_another_organisations_ids_behave_like_missing_ones(
    pool: asyncpg.Pool,
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    method: str,
    path: str,
    body: dict | None,
) -> None:
    case_id, mention_id = await make_case(pool, other_tenant.brand)
    before = await pool.fetchrow("SELECT * FROM cases WHERE id = $1", case_id)
    theirs = path.format(case=case_id, mention=mention_id)
    missing = path.format(case=uuid.uuid4(), mention=uuid.uuid4())
    for role in ("responder", "admin"):
        attempt = await client.request(method, theirs, json=body, headers=tenant.auth(role))
        absent = await client.request(method, missing, json=body, headers=tenant.auth(role))
        assert attempt.status_code == absent.status_code == 404, attempt.text
        assert attempt.json()["error"]["code"] == absent.json()["error"]["code"]
    assert await pool.fetchrow("SELECT * FROM cases WHERE id = $1", case_id) == before
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM label_corrections WHERE mention_id = $1", mention_id
        )
        == 0
    )
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM audit_log WHERE case_id = $1 OR mention_id = $2",
            case_id,
            mention_id,
        )
        == 0
    )


async def test_a_user_cannot_be_assigned_across_organisations(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    case_id, _ = await make_case(pool, tenant.brand)
    response = await client.post(
        f"/v1/cases/{case_id}/assign",
        json={"assignee": other_tenant.emails["responder"]},
        headers=tenant.auth("lead"),
    )
    assert response.status_code == 422


async def test_admin_cannot_change_another_organisations_users_or_keys(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = (await client.get("/v1/users", headers=other_tenant.auth("admin"))).json()["items"]
    response = await client.patch(
        f"/v1/users/{theirs[0]['id']}", json={"active": False}, headers=tenant.auth("admin")
    )
    assert response.status_code == 404
    key = (
        await client.post("/v1/api-keys", json={"name": "k"}, headers=other_tenant.auth("admin"))
    ).json()
    revoke = await client.delete(f"/v1/api-keys/{key['id']}", headers=tenant.auth("admin"))
    assert revoke.status_code == 404
    assert (await client.get("/v1/brands", headers={"X-API-Key": key["key"]})).status_code == 200


async def test_analytics_never_count_another_organisations_data(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    await make_case(pool, other_tenant.brand)
    auth = tenant.auth("lead")
    volume = (
        await client.get("/v1/analytics/volume", params={"brand": other_tenant.brand}, headers=auth)
    ).json()
    assert volume["items"] == []
    sov = await client.get(
        "/v1/analytics/share-of-voice", params={"brand": other_tenant.brand}, headers=auth
    )
    assert sov.status_code == 404
    sla = (await client.get("/v1/analytics/sla", headers=auth)).json()
    assert sla["items"] == []


async def test_mention_stream_is_the_organisations_newest_first_in_pages(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    ids = [(await make_case(pool, tenant.brand))[1] for _ in range(3)]
    await make_case(pool, other_tenant.brand)
    auth = tenant.auth("responder")
    first = (await client.get("/v1/mentions", params={"limit": 2}, headers=auth)).json()
    second = (
        await client.get(
            "/v1/mentions", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth
        )
    ).json()
    seen = [m["id"] for m in first["items"] + second["items"]]
    assert sorted(seen) == sorted(str(i) for i in ids) and second["next_cursor"] is None
    theirs = await client.get("/v1/mentions", params={"brand": other_tenant.brand}, headers=auth)
    assert theirs.json()["items"] == []

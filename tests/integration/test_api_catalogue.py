"""Brand catalogue and team admin: validated, scoped to the organisation, audited."""

from __future__ import annotations

import json

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

CALENDAR = {
    "timezone": "Europe/Lisbon",
    "weekly": {"mon": [["09:00", "18:00"]], "fri": [["22:00", "06:00"]]},
    "holidays": ["2026-12-25"],
    "exceptions": [{"date": "2026-12-24", "closed": True}],
}


async def test_admin_creates_and_updates_a_brand_with_competitor(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    new_id = f"nb-{tenant.org[4:]}"
    body = {
        "id": new_id,
        "name": "Nimbus",
        "keywords": ["Nimbus"],
        "hashtags": ["#Nimbus"],
        "handles": ["@nimbus_help"],
        "competitor_of": tenant.brand,
    }
    created = await client.post("/v1/brands", json=body, headers=tenant.auth("admin"))
    assert created.status_code == 201, created.text
    assert created.json()["keywords"] == ["nimbus"] and created.json()["hashtags"] == ["#nimbus"]
    assert (
        await client.post("/v1/brands", json=body, headers=tenant.auth("admin"))
    ).status_code == 409
    update = {k: v for k, v in body.items() if k != "id"} | {"name": "Nimbus Air"}
    updated = await client.put(f"/v1/brands/{new_id}", json=update, headers=tenant.auth("admin"))
    assert updated.json()["name"] == "Nimbus Air"
    sov = (
        await client.get(
            "/v1/analytics/share-of-voice",
            params={"brand": tenant.brand},
            headers=tenant.auth("lead"),
        )
    ).json()
    assert new_id in {i["brand"] for i in sov["items"]}
    audit = (await client.get("/v1/audit", headers=tenant.auth("admin"))).json()["items"]
    assert [a["action"] for a in audit[:2]] == ["brand.updated", "brand.created"]


@pytest.mark.parametrize("name", ["Nim\x00bus", "Nim\ud82dbus"])
async def test_text_the_database_cannot_store_is_a_422_not_a_500(
    client: httpx.AsyncClient, tenant: Tenant, name: str
) -> None:
    body = {"id": f"nul-{tenant.org[4:]}", "name": name, "keywords": ["nimbus"]}
    # A lone surrogate cannot go through httpx's UTF-8 encoder: send the JSON escape itself.
    content = json.dumps(body)
    response = await client.post(
        "/v1/brands",
        content=content,
        headers={**tenant.auth("admin"), "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    # NUL reaches the database and is refused there; a lone surrogate fails validation first.
    assert response.json()["error"]["code"] in ("invalid_text", "invalid_request")


async def test_brand_input_errors_are_clear_422s(client: httpx.AsyncClient, tenant: Tenant) -> None:
    auth = tenant.auth("admin")
    bad_id = await client.post("/v1/brands", json={"id": "Bad Id", "name": "x"}, headers=auth)
    assert bad_id.status_code == 422
    assert bad_id.json()["error"]["details"][0]["loc"] == ["body", "id"]
    bad_tag = await client.post(
        "/v1/brands", json={"id": "ok-id", "name": "x", "hashtags": ["nohash"]}, headers=auth
    )
    assert bad_tag.status_code == 422
    foreign = await client.post(
        "/v1/brands",
        json={"id": f"c-{tenant.org[4:]}", "name": "x", "competitor_of": "no-such-brand"},
        headers=auth,
    )
    assert foreign.status_code == 422 and foreign.json()["error"]["code"] == "invalid_competitor"


async def test_brands_and_teams_of_another_organisation_cannot_be_changed(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    response = await client.put(
        f"/v1/brands/{other_tenant.brand}", json={"name": "Pwned"}, headers=tenant.auth("admin")
    )
    assert response.status_code == 404
    as_competitor = await client.post(
        "/v1/brands",
        json={"id": f"x-{tenant.org[4:]}", "name": "x", "competitor_of": other_tenant.brand},
        headers=tenant.auth("admin"),
    )
    assert as_competitor.status_code == 422
    team = {"name": "Support", "calendar": CALENDAR}
    assert (
        await client.put("/v1/teams/support", json=team, headers=tenant.auth("admin"))
    ).status_code == 404


async def test_admin_creates_a_team_with_a_validated_calendar(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    team_id = f"t-{tenant.org[4:]}"
    body = {
        "id": team_id,
        "name": "Night shift",
        "calendar": CALENDAR,
        "first_response_seconds": 3600,
    }
    assert (
        await client.post("/v1/teams", json=body, headers=tenant.auth("lead"))
    ).status_code == 403
    created = await client.post("/v1/teams", json=body, headers=tenant.auth("admin"))
    assert created.status_code == 201, created.text
    assert created.json()["first_response_seconds"] == 3600 and created.json()["open"] == 0
    board = (await client.get("/v1/teams", headers=tenant.auth("responder"))).json()
    assert [t["id"] for t in board["teams"]] == [team_id]
    for broken in (
        {"timezone": "Mars/Olympus", "weekly": {}},
        {"timezone": "UTC", "weekly": {"mon": [["09:00", "25:00"]]}},
        {"timezone": "UTC", "weekly": {"someday": []}},
        {"timezone": "UTC", "weekly": {}, "exceptions": [{"date": "2026-01-01"}]},
    ):
        response = await client.put(
            f"/v1/teams/{team_id}",
            json={"name": "x", "calendar": broken},
            headers=tenant.auth("admin"),
        )
        assert response.status_code == 422, broken


async def test_admin_sets_up_responders_who_then_set_their_own_status(
    pool, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    team_id = f"r-{tenant.org[4:]}"
    await client.post(
        "/v1/teams",
        json={"id": team_id, "name": "Care", "calendar": CALENDAR},
        headers=tenant.auth("admin"),
    )
    email = tenant.emails["responder"]
    body = {"teams": [team_id], "languages": ["pt"], "capacity": 5}
    saved = await client.put(f"/v1/responders/{email}", json=body, headers=tenant.auth("admin"))
    assert saved.status_code == 204, saved.text
    foreign_team = await client.put(
        f"/v1/responders/{email}", json=body | {"teams": ["support"]}, headers=tenant.auth("admin")
    )
    assert foreign_team.status_code == 422
    foreign_user = await client.put(
        f"/v1/responders/{other_tenant.emails['responder']}",
        json=body,
        headers=tenant.auth("admin"),
    )
    assert foreign_user.status_code == 404
    online = await client.put(
        "/v1/responders/me/status", json={"status": "online"}, headers=tenant.auth("responder")
    )
    assert online.status_code == 204
    assert await pool.fetchval("SELECT status FROM responders WHERE id = $1", email) == "online"
    listed = (await client.get("/v1/responders", headers=tenant.auth("lead"))).json()["items"]
    assert [(r["id"], r["status"], r["capacity"], r["open"]) for r in listed] == [
        (email, "online", 5, 0)
    ]
    assert (await client.get("/v1/responders", headers=other_tenant.auth("lead"))).json()[
        "items"
    ] == []
    not_one = await client.put(
        "/v1/responders/me/status", json={"status": "online"}, headers=tenant.auth("lead")
    )
    assert not_one.status_code == 404 and not_one.json()["error"]["code"] == "not_a_responder"


async def test_an_offline_responder_who_claims_becomes_away_so_the_claim_sticks(
    pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    email = tenant.emails["responder"]
    await client.put(
        f"/v1/responders/{email}", json={"status": "offline"}, headers=tenant.auth("admin")
    )
    case_id, _ = await make_case(pool, tenant.brand)
    claimed = await client.post(f"/v1/cases/{case_id}/claim", headers=tenant.auth("responder"))
    assert claimed.json()["assignee"] == email
    assert await pool.fetchval("SELECT status FROM responders WHERE id = $1", email) == "away"
    assert [a["action"] for a in claimed.json()["audit"]] == ["case.claimed"]

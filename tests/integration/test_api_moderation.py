"""Label corrections, the moderation queue, and "never hide criticism"."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.integration import test_api_support as support
from tests.integration.test_api_support import Tenant, make_case

# The shared fixtures, bound here so pytest finds them for this module.
api_app = support.api_app
client = support.client
tenant = support.tenant

pytestmark = [pytest.mark.postgres]


async def test_corrections_are_stored_with_who_when_and_the_models_value(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, mention_id = await make_case(pool, tenant.brand, sentiment="negative")
    response = await client.post(
        f"/v1/mentions/{mention_id}/corrections",
        json={"field": "sentiment", "value": "neutral"},
        headers=tenant.auth("responder"),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["model_value"] == "negative" and body["value"] == "neutral"
    assert body["corrected_by"] == tenant.emails["responder"] and body["corrected_at"]
    mention = (
        await client.get(f"/v1/mentions/{mention_id}", headers=tenant.auth("responder"))
    ).json()
    assert mention["corrections"][0]["value"] == "neutral"
    bad = await client.post(
        f"/v1/mentions/{mention_id}/corrections",
        json={"field": "urgency", "value": "whenever"},
        headers=tenant.auth("responder"),
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_label"
    errors = (await client.get("/v1/analytics/label-errors", headers=tenant.auth("lead"))).json()[
        "items"
    ]
    row = next(e for e in errors if e["brand"] == tenant.brand and e["field"] == "sentiment")
    assert row == {
        "brand": tenant.brand,
        "field": "sentiment",
        "mentions": 1,
        "corrected": 1,
        "error_rate": 1.0,
    }


async def test_model_flagged_spam_is_queued_and_a_lead_may_hide_it(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, spam = await make_case(
        pool, tenant.brand, spam=0.97, team="moderation", text="cheap followers at spam.example"
    )
    queue = (await client.get("/v1/moderation", headers=tenant.auth("responder"))).json()
    assert [m["id"] for m in queue["items"]] == [str(spam)] and queue["items"][0]["flagged"]
    by_responder = await client.post(
        f"/v1/mentions/{spam}/moderation",
        json={"decision": "hide"},
        headers=tenant.auth("responder"),
    )
    assert by_responder.status_code == 403
    hidden = await client.post(
        f"/v1/mentions/{spam}/moderation",
        json={"decision": "hide", "reason": "spam link"},
        headers=tenant.auth("lead"),
    )
    assert hidden.status_code == 201 and hidden.json()["decision"] == "hide"
    assert (await client.get("/v1/moderation", headers=tenant.auth("lead"))).json()["items"] == []


async def test_a_person_clearing_the_abuse_label_takes_it_out_of_the_queue(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, mention = await make_case(pool, tenant.brand, offensive=0.9)
    queue = (await client.get("/v1/moderation", headers=tenant.auth("lead"))).json()["items"]
    assert [m["id"] for m in queue] == [str(mention)]
    await client.post(
        f"/v1/mentions/{mention}/corrections",
        json={"field": "abuse", "value": "none"},
        headers=tenant.auth("responder"),
    )
    assert (await client.get("/v1/moderation", headers=tenant.auth("lead"))).json()["items"] == []
    hide = await client.post(
        f"/v1/mentions/{mention}/moderation", json={"decision": "hide"}, headers=tenant.auth("lead")
    )
    assert hide.status_code == 409


async def test_criticism_cannot_be_hidden_even_when_someone_marks_it_spam(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    case_id, complaint = await make_case(pool, tenant.brand, sentiment="negative")
    refused = await client.post(
        f"/v1/mentions/{complaint}/moderation",
        json={"decision": "hide"},
        headers=tenant.auth("admin"),
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "hide_not_allowed"
    marked = await client.post(
        f"/v1/cases/{case_id}/mark", json={"label": "spam"}, headers=tenant.auth("responder")
    )
    assert marked.status_code == 200
    queue = (await client.get("/v1/moderation", headers=tenant.auth("lead"))).json()["items"]
    assert [m["id"] for m in queue] == [str(complaint)]
    still = await client.post(
        f"/v1/mentions/{complaint}/moderation",
        json={"decision": "hide"},
        headers=tenant.auth("admin"),
    )
    assert still.status_code == 409
    escalated = await client.post(
        f"/v1/mentions/{complaint}/moderation",
        json={"decision": "escalate", "reason": "legal threat"},
        headers=tenant.auth("responder"),
    )
    assert escalated.status_code == 201
    event = await pool.fetchval(
        "SELECT convert_from(payload, 'UTF8')::jsonb FROM outbox WHERE key = "
        "(SELECT conversation_key FROM cases WHERE id = $1) ORDER BY id DESC LIMIT 1",
        case_id,
    )
    assert event["type"] == "earshot.case.escalated.v1"
    assert event["data"]["details"]["reason"] == "legal threat"
    kept = await client.post(
        f"/v1/mentions/{complaint}/moderation",
        json={"decision": "keep"},
        headers=tenant.auth("responder"),
    )
    assert kept.status_code == 201


async def test_only_an_admin_lifts_the_lock_and_it_is_audited(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    case_id, mention = await make_case(pool, tenant.brand, sentiment="negative")
    lift = {"never_hide_criticism": False, "reason": "spam wave using complaint templates"}
    denied = await client.put("/v1/organisation/policy", json=lift, headers=tenant.auth("lead"))
    assert denied.status_code == 403
    lifted = await client.put("/v1/organisation/policy", json=lift, headers=tenant.auth("admin"))
    assert lifted.status_code == 200 and lifted.json()["never_hide_criticism"] is False
    unmarked = await client.post(
        f"/v1/mentions/{mention}/moderation", json={"decision": "hide"}, headers=tenant.auth("lead")
    )
    assert unmarked.status_code == 409  # still needs an abuse/spam label
    await client.post(
        f"/v1/cases/{case_id}/mark", json={"label": "spam"}, headers=tenant.auth("lead")
    )
    hidden = await client.post(
        f"/v1/mentions/{mention}/moderation", json={"decision": "hide"}, headers=tenant.auth("lead")
    )
    assert hidden.status_code == 201
    audit = (await client.get("/v1/audit", headers=tenant.auth("admin"))).json()["items"]
    actions = [a["action"] for a in audit]
    assert "policy.never_hide_criticism" in actions and actions[0] == "moderation.hide"
    policy = next(a for a in audit if a["action"] == "policy.never_hide_criticism")
    assert policy["actor"] == tenant.emails["admin"]
    assert policy["details"] == {"locked": False, "reason": lift["reason"]}
    org = (await client.get("/v1/organisation", headers=tenant.auth("responder"))).json()
    assert org["never_hide_criticism"] is False

"""Queues (filters, order, keyset pages, SLA state) and case actions with their audit trail
and case events."""

from __future__ import annotations

import json
from datetime import timedelta

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


async def test_queue_orders_by_priority_then_due_time_and_pages_by_keyset(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    later_p1, _ = await make_case(pool, tenant.brand, priority="p1", due_in=timedelta(hours=5))
    sooner_p1, _ = await make_case(pool, tenant.brand, priority="p1", due_in=timedelta(hours=1))
    p3, _ = await make_case(pool, tenant.brand, priority="p3", due_in=timedelta(minutes=10))
    first = await client.get("/v1/cases", params={"limit": 2}, headers=tenant.auth("responder"))
    assert first.status_code == 200
    assert [c["id"] for c in first.json()["items"]] == [str(sooner_p1), str(later_p1)]
    second = await client.get(
        "/v1/cases",
        params={"limit": 2, "cursor": first.json()["next_cursor"]},
        headers=tenant.auth("responder"),
    )
    assert [c["id"] for c in second.json()["items"]] == [str(p3)]
    assert second.json()["next_cursor"] is None


async def test_bad_cursor_is_a_422_with_the_error_shape(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.get(
        "/v1/cases", params={"cursor": "!!nope"}, headers=tenant.auth("responder")
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


async def test_sla_state_filter_tells_ok_warning_and_breached_apart(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    ok, _ = await make_case(
        pool, tenant.brand, due_in=timedelta(hours=6), started_ago=timedelta(minutes=1)
    )
    warning, _ = await make_case(
        pool, tenant.brand, due_in=timedelta(hours=1), started_ago=timedelta(minutes=50)
    )
    breached, _ = await make_case(
        pool, tenant.brand, due_in=timedelta(minutes=30), started_ago=timedelta(hours=1)
    )
    for state, expected in (("ok", ok), ("warning", warning), ("breached", breached)):
        page = (
            await client.get("/v1/cases", params={"sla": state}, headers=tenant.auth("lead"))
        ).json()
        assert [c["id"] for c in page["items"]] == [str(expected)], state
        assert page["items"][0]["sla"]["state"] == state
    overdue = (await client.get(f"/v1/cases/{breached}", headers=tenant.auth("lead"))).json()
    assert overdue["sla"]["remaining_seconds"] < 0


async def test_filters_by_sentiment_team_priority_brand_and_assignee(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    negative, _ = await make_case(pool, tenant.brand, sentiment="negative")
    positive, _ = await make_case(
        pool, tenant.brand, sentiment="positive", team="engagement", priority="p4"
    )
    auth = tenant.auth("responder")

    async def ids(**params: str) -> list[str]:
        page = (await client.get("/v1/cases", params=params, headers=auth)).json()
        return [c["id"] for c in page["items"]]

    assert await ids(sentiment="positive") == [str(positive)]
    assert await ids(team="engagement") == [str(positive)]
    assert await ids(priority="p2") == [str(negative)]
    assert await ids(brand=tenant.brand, language="en") == [str(negative), str(positive)]
    assert await ids(assignee="none") == [str(negative), str(positive)]
    await client.post(f"/v1/cases/{negative}/claim", headers=auth)
    assert await ids(assignee="me") == [str(negative)]
    assert await ids(assignee="me", status="active") == [str(negative)]
    assert await ids(assignee=tenant.emails["responder"]) == [str(negative)]
    bad = await client.get("/v1/cases", params={"sla": "late"}, headers=auth)
    assert bad.status_code == 422


async def test_case_detail_has_conversation_classification_reasons_and_clock(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    case_id, mention_id = await make_case(pool, tenant.brand)
    detail = (await client.get(f"/v1/cases/{case_id}", headers=tenant.auth("responder"))).json()
    assert detail["mentions"][0]["id"] == str(mention_id)
    assert detail["mentions"][0]["urgency_reasons"][0]["code"] == "negative_sentiment"
    assert detail["mentions"][0]["classification"]["sentiment"]["label"] == "negative"
    assert detail["sla"]["state"] == "ok" and detail["sla"]["stopped_at"] is None
    assert 0 < detail["sla"]["remaining_seconds"] <= 6 * 3600
    assert detail["responses"] == [] and detail["audit"] == []


async def test_a_responder_claims_responds_and_the_first_response_stops_the_clock(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    case_id, _ = await make_case(pool, tenant.brand)
    auth = tenant.auth("responder")
    claimed = await client.post(f"/v1/cases/{case_id}/claim", headers=auth)
    assert claimed.status_code == 200 and claimed.json()["assignee"] == tenant.emails["responder"]
    replied = await client.post(
        f"/v1/cases/{case_id}/respond",
        headers=auth,
        json={"text": "So sorry! DM us your order number."},
    )
    body = replied.json()
    assert replied.status_code == 200
    assert body["first_response_at"] is not None and body["status"] == "pending"
    assert body["sla"]["state"] == "met" and body["sla"]["remaining_seconds"] is None
    assert body["responses"][0]["author"] == tenant.emails["responder"]
    assert [a["action"] for a in body["audit"]] == ["case.claimed", "case.responded"]
    assert [a["action"] for a in body["assignment_history"]] == ["case.claimed"]
    again = await client.post(
        f"/v1/cases/{case_id}/respond", headers=auth, json={"text": "Following up."}
    )
    assert again.json()["first_response_at"] == body["first_response_at"]
    events = [
        json.loads(bytes(r["payload"]))
        for r in await pool.fetch(
            "SELECT payload FROM outbox WHERE key = $1 ORDER BY id", body["conversation_key"]
        )
    ]
    assert [e["type"] for e in events] == [
        "earshot.case.assigned.v1",
        "earshot.case.responded.v1",
        "earshot.case.responded.v1",
    ]
    assert events[1]["data"]["details"]["first_response"] is True
    assert events[0]["data"]["assignee"] == tenant.emails["responder"]


async def test_claiming_someone_elses_case_needs_a_lead(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    case_id, _ = await make_case(pool, tenant.brand)
    await client.post(f"/v1/cases/{case_id}/claim", headers=tenant.auth("lead"))
    taken = await client.post(f"/v1/cases/{case_id}/claim", headers=tenant.auth("responder"))
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "case_taken"


async def test_lead_assigns_anyone_a_responder_hands_over_only_their_own_case(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    case_id, _ = await make_case(pool, tenant.brand)
    to_lead = {"assignee": tenant.emails["lead"]}
    denied = await client.post(
        f"/v1/cases/{case_id}/assign", json=to_lead, headers=tenant.auth("responder")
    )
    assert denied.status_code == 403
    ok = await client.post(
        f"/v1/cases/{case_id}/assign",
        json={"assignee": tenant.emails["responder"]},
        headers=tenant.auth("lead"),
    )
    assert ok.json()["assignee"] == tenant.emails["responder"]
    handed_over = await client.post(
        f"/v1/cases/{case_id}/assign", json=to_lead, headers=tenant.auth("responder")
    )
    assert handed_over.json()["assignee"] == tenant.emails["lead"]
    not_theirs = await client.post(
        f"/v1/cases/{case_id}/assign", json={"assignee": None}, headers=tenant.auth("responder")
    )
    assert not_theirs.status_code == 403
    await client.post(
        f"/v1/cases/{case_id}/assign",
        json={"assignee": tenant.emails["responder"]},
        headers=tenant.auth("lead"),
    )
    handed_back = await client.post(
        f"/v1/cases/{case_id}/assign", json={"assignee": None}, headers=tenant.auth("responder")
    )
    assert handed_back.json()["assignee"] is None
    assert [a["action"] for a in handed_back.json()["assignment_history"]] == [
        "case.assigned",
        "case.assigned",
        "case.assigned",
        "case.unassigned",
    ]
    stranger = await client.post(
        f"/v1/cases/{case_id}/assign",
        json={"assignee": "nobody@else.test"},
        headers=tenant.auth("lead"),
    )
    assert stranger.status_code == 422 and stranger.json()["error"]["code"] == "unknown_assignee"


async def test_resolve_then_reopen_and_actions_on_resolved_cases_are_409(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    case_id, _ = await make_case(pool, tenant.brand)
    auth = tenant.auth("responder")
    resolved = await client.post(
        f"/v1/cases/{case_id}/resolve", headers=auth, json={"reason": "answered by DM"}
    )
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]
    assert (await client.post(f"/v1/cases/{case_id}/claim", headers=auth)).status_code == 409
    assert (await client.post(f"/v1/cases/{case_id}/resolve", headers=auth)).status_code == 409
    reopened = await client.post(f"/v1/cases/{case_id}/reopen", headers=auth)
    assert reopened.json()["status"] == "open" and reopened.json()["resolved_at"] is None
    assert (await client.post(f"/v1/cases/{case_id}/reopen", headers=auth)).status_code == 409


async def test_reopening_when_the_conversation_has_a_newer_open_case_is_409(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    case_id, _ = await make_case(pool, tenant.brand)
    auth = tenant.auth("responder")
    await client.post(f"/v1/cases/{case_id}/resolve", headers=auth)
    key = await pool.fetchval("SELECT conversation_key FROM cases WHERE id = $1", case_id)
    newer, _ = await make_case(pool, tenant.brand)
    await pool.execute("UPDATE cases SET conversation_key = $2 WHERE id = $1", newer, key)
    response = await client.post(f"/v1/cases/{case_id}/reopen", headers=auth)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conversation_has_active_case"


async def test_team_board_shows_load_unassigned_and_breaches(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await pool.execute(
        """INSERT INTO teams (id, name, calendar, organisation_id)
           VALUES ($1, 'Care', '{"timezone": "UTC"}', $2)""",
        f"care-{tenant.org}",
        tenant.org,
    )
    team = f"care-{tenant.org}"
    breached, _ = await make_case(
        pool, tenant.brand, team=team, due_in=timedelta(minutes=1), started_ago=timedelta(hours=1)
    )
    await make_case(pool, tenant.brand, team=team)
    await client.post(f"/v1/cases/{breached}/claim", headers=tenant.auth("responder"))
    board = (await client.get("/v1/teams", headers=tenant.auth("lead"))).json()
    assert board["teams"] == [
        {
            "id": team,
            "name": "Care",
            "first_response_seconds": 21600,
            "warning_fraction": pytest.approx(0.75),
            "open": 2,
            "unassigned": 1,
            "breached": 1,
        }
    ]
    assert board["load"] == [
        {"assignee": tenant.emails["responder"], "team": team, "open": 1, "breached": 1}
    ]


async def test_every_reply_stops_a_next_response_clock_the_router_restarted(
    pool: asyncpg.Pool, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    case_id, _ = await make_case(pool, tenant.brand)
    auth = tenant.auth("responder")
    await client.post(f"/v1/cases/{case_id}/respond", json={"text": "first"}, headers=auth)
    # The customer writes again: the router starts the next-response clock (docs/routing.md).
    await pool.execute(
        """UPDATE cases SET sla_clock = 'next_response', sla_clock_seq = sla_clock_seq + 1,
               sla_started_at = now(), sla_due_at = now() + interval '1 hour', status = 'open'
           WHERE id = $1""",
        case_id,
    )
    running = (await client.get(f"/v1/cases/{case_id}", headers=auth)).json()
    assert running["sla"]["state"] == "ok" and running["sla"]["stopped_at"] is None
    answered = (
        await client.post(f"/v1/cases/{case_id}/respond", json={"text": "again"}, headers=auth)
    ).json()
    assert answered["last_response_at"] > answered["first_response_at"]
    assert answered["sla"]["state"] == "met"
    assert answered["sla"]["stopped_at"] == answered["last_response_at"]

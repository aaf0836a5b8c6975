"""Login, tokens, API keys, roles and the signing-secret rules."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import httpx
import pytest

from services.api.auth import SecretRefused, resolve_secret
from services.api.settings import ApiSettings
from tests.integration import test_api_support as support
from tests.integration.test_api_support import PASSWORD, Tenant, build_api_app

# The shared fixtures, bound here so pytest finds them for this module.
api_app = support.api_app
client = support.client
other_tenant = support.other_tenant
tenant = support.tenant

pytestmark = [pytest.mark.postgres]


async def test_login_returns_a_bearer_token_that_identifies_the_user(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    me = await client.get("/v1/auth/me", headers=tenant.auth("lead"))
    assert me.status_code == 200
    assert me.json()["handle"] == tenant.emails["lead"]
    assert me.json()["role"] == "lead" and me.json()["organisation_id"] == tenant.org


async def test_wrong_password_and_unknown_email_get_the_same_401(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    wrong = await client.post(
        "/v1/auth/token", data={"username": tenant.emails["admin"], "password": "nope"}
    )
    unknown = await client.post(
        "/v1/auth/token", data={"username": "ghost@nowhere.test", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"
    audit = (await client.get("/v1/audit", headers=tenant.auth("admin"))).json()["items"]
    assert (audit[0]["action"], audit[0]["actor"]) == ("auth.login_failed", tenant.emails["admin"])


async def test_requests_without_or_with_a_forged_token_are_refused(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/v1/cases")).status_code == 401
    forged = await client.get("/v1/cases", headers={"Authorization": "Bearer abc.def.ghi"})
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "unauthenticated"


async def test_login_sets_the_console_session_cookie(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.post(
        "/v1/auth/token", data={"username": tenant.emails["responder"], "password": PASSWORD}
    )
    cookie = response.headers["set-cookie"]
    assert "earshot_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    me = await client.get("/v1/auth/me")  # the client keeps the cookie
    assert me.status_code == 200 and me.json()["role"] == "responder"
    await client.post("/v1/auth/logout")
    client.cookies.clear()
    assert (await client.get("/v1/auth/me")).status_code == 401


async def test_login_is_rate_limited_per_client(
    pool: asyncpg.Pool, postgres_dsn: str, tmp_path: Path, tenant: Tenant
) -> None:
    app = build_api_app(pool, postgres_dsn, tmp_path, api_login_attempts_per_minute=3)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        codes = [
            (
                await http.post(
                    "/v1/auth/token", data={"username": f"u{i}@x.test", "password": "x"}
                )
            ).status_code
            for i in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        blocked = await http.post(
            "/v1/auth/token", data={"username": tenant.emails["admin"], "password": PASSWORD}
        )
        assert blocked.status_code == 429
        assert blocked.json()["error"]["code"] == "rate_limited"


async def test_deactivated_user_loses_access_at_the_next_request(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    users = (await client.get("/v1/users", headers=tenant.auth("admin"))).json()["items"]
    responder = next(u for u in users if u["role"] == "responder")
    patched = await client.patch(
        f"/v1/users/{responder['id']}", json={"active": False}, headers=tenant.auth("admin")
    )
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert (await client.get("/v1/cases", headers=tenant.auth("responder"))).status_code == 401


async def test_admin_manages_users_and_roles_are_enforced(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = {
        "email": "new.person@example.test",
        "name": "New",
        "role": "responder",
        "password": "a long enough password",
    }
    forbidden = await client.post("/v1/users", json=body, headers=tenant.auth("lead"))
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    body["email"] = f"new@{tenant.org}.test"
    created = await client.post("/v1/users", json=body, headers=tenant.auth("admin"))
    assert created.status_code == 201, created.text
    again = await client.post("/v1/users", json=body, headers=tenant.auth("admin"))
    assert again.status_code == 409
    short = await client.post(
        "/v1/users", json=body | {"password": "short"}, headers=tenant.auth("admin")
    )
    assert short.status_code == 422 and short.json()["error"]["code"] == "invalid_request"
    login = await client.post(
        "/v1/auth/token", data={"username": body["email"], "password": body["password"]}
    )
    assert login.status_code == 200


async def test_admin_cannot_demote_themselves(client: httpx.AsyncClient, tenant: Tenant) -> None:
    me = (await client.get("/v1/auth/me", headers=tenant.auth("admin"))).json()
    response = await client.patch(
        f"/v1/users/{me['user_id']}", json={"role": "lead"}, headers=tenant.auth("admin")
    )
    assert response.status_code == 409


async def test_api_key_authenticates_with_its_role_until_revoked(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await client.post(
        "/v1/api-keys", json={"name": "crm", "role": "responder"}, headers=tenant.auth("admin")
    )
    assert created.status_code == 201
    key = created.json()["key"]
    headers = {"X-API-Key": key}
    assert (await client.get("/v1/brands", headers=headers)).status_code == 200
    assert (await client.get("/v1/api-keys", headers=headers)).status_code == 403
    listed = (await client.get("/v1/api-keys", headers=tenant.auth("admin"))).json()["items"]
    assert [k["name"] for k in listed] == ["crm"] and "key" not in listed[0]
    revoked = await client.delete(
        f"/v1/api-keys/{created.json()['id']}", headers=tenant.auth("admin")
    )
    assert revoked.status_code == 204
    assert (await client.get("/v1/brands", headers=headers)).status_code == 401
    tampered = key[:-2] + ("aa" if not key.endswith("aa") else "bb")
    assert (await client.get("/v1/brands", headers={"X-API-Key": tampered})).status_code == 401


async def test_admin_changes_are_in_the_audit_log_which_responders_cannot_read(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await client.post("/v1/api-keys", json={"name": "bi"}, headers=tenant.auth("admin"))
    audit = await client.get("/v1/audit", headers=tenant.auth("lead"))
    assert audit.status_code == 200
    created = next(a for a in audit.json()["items"] if a["action"] == "api_key.created")
    assert created["actor"] == tenant.emails["admin"]
    assert (await client.get("/v1/audit", headers=tenant.auth("responder"))).status_code == 403


def test_production_refuses_to_start_without_a_strong_secret(tmp_path: Path) -> None:
    for secret in ("", "changeme", "short-secret"):
        with pytest.raises(SecretRefused):
            resolve_secret(ApiSettings(api_secret=secret), dev_mode=False, data_dir=tmp_path)
    strong = "s" * 40
    assert (
        resolve_secret(ApiSettings(api_secret=strong), dev_mode=False, data_dir=tmp_path) == strong
    )


def test_dev_mode_generates_one_secret_per_data_folder(tmp_path: Path) -> None:
    first = resolve_secret(ApiSettings(), dev_mode=True, data_dir=tmp_path)
    assert len(first) >= 32
    assert resolve_secret(ApiSettings(), dev_mode=True, data_dir=tmp_path) == first
    assert (tmp_path / "api-secret").stat().st_mode & 0o077 == 0

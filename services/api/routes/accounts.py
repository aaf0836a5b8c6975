"""Your organisation: users and roles, API keys, the moderation policy, the audit log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.api import admin
from services.api.deps import AdminDep, LeadDep, PoolDep, PrincipalDep
from services.api.models import AuditEntry
from services.api.models_accounts import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyList,
    ApiKeyOut,
    AuditPage,
    OrganisationOut,
    PolicyIn,
    UserIn,
    UserList,
    UserOut,
    UserPatch,
)
from services.api.repo import accounts
from services.shared.http import ApiError

router = APIRouter(prefix="/v1", tags=["organisation and accounts"])


@router.get("/organisation", response_model=OrganisationOut)
async def get_organisation(pool: PoolDep, principal: PrincipalDep) -> OrganisationOut:
    row = await accounts.get_organisation(pool=pool, organisation_id=principal.organisation_id)
    if row is None:
        raise ApiError(404, "organisation_not_found", "your organisation no longer exists")
    return OrganisationOut(**dict(row))


@router.put("/organisation/policy", response_model=OrganisationOut)
async def set_policy(pool: PoolDep, principal: AdminDep, body: PolicyIn) -> OrganisationOut:
    """Lift or restore the "never hide criticism" lock (admin only, audited with a reason)."""
    return await admin.set_policy(pool, principal, body)


@router.get("/users", response_model=UserList)
async def list_users(pool: PoolDep, principal: PrincipalDep) -> UserList:
    rows = await accounts.list_users(pool=pool, organisation_id=principal.organisation_id)
    return UserList(items=[UserOut(**dict(r)) for r in rows])


@router.post("/users", response_model=UserOut, status_code=201)
async def create_user(pool: PoolDep, principal: AdminDep, body: UserIn) -> UserOut:
    return await admin.create_user(pool, principal, body)


@router.patch("/users/{user_id}", response_model=UserOut)
async def update_user(
    pool: PoolDep, principal: AdminDep, user_id: uuid.UUID, body: UserPatch
) -> UserOut:
    """Change name, role, password, or deactivate (takes effect at the user's next request)."""
    return await admin.update_user(pool, principal, user_id, body)


@router.get("/api-keys", response_model=ApiKeyList)
async def list_api_keys(pool: PoolDep, principal: AdminDep) -> ApiKeyList:
    rows = await accounts.list_api_keys(pool=pool, organisation_id=principal.organisation_id)
    return ApiKeyList(items=[ApiKeyOut(**dict(r)) for r in rows])


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201)
async def create_api_key(pool: PoolDep, principal: AdminDep, body: ApiKeyIn) -> ApiKeyCreated:
    """The key is in this answer only; send it as `X-API-Key`."""
    return await admin.create_api_key(pool, principal, body)


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(pool: PoolDep, principal: AdminDep, key_id: uuid.UUID) -> Response:
    await admin.revoke_api_key(pool, principal, key_id)
    return Response(status_code=204)


@router.get("/audit", response_model=AuditPage)
async def audit_log(
    pool: PoolDep,
    principal: LeadDep,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Newest first; pass `next_before` to go further back."""
    rows = await accounts.list_audit(
        pool=pool, organisation_id=principal.organisation_id, before=before, limit=limit
    )
    items = [AuditEntry(**dict(r)) for r in rows]
    return AuditPage(items=items, next_before=items[-1].id if len(items) == limit else None)

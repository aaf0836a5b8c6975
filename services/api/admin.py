"""Organisation administration: users, API keys and the "never hide criticism" lock; every
change is audited in its own transaction."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg

from services.api import security
from services.api.auth import Principal
from services.api.models_accounts import (
    ApiKeyCreated,
    ApiKeyIn,
    OrganisationOut,
    PolicyIn,
    UserIn,
    UserOut,
    UserPatch,
)
from services.api.repo import accounts
from services.shared.http import ApiError


async def create_user(pool: asyncpg.Pool[Any], p: Principal, body: UserIn) -> UserOut:
    password_hash = await asyncio.to_thread(security.hash_password, body.password)
    row = await accounts.upsert_user(
        pool=pool,
        organisation_id=p.organisation_id,
        email=body.email,
        name=body.name,
        role=body.role,
        password_hash=password_hash,
    )
    if row is None:
        raise ApiError(409, "email_taken", f"{body.email} already has an account")
    async with pool.acquire() as connection:
        await accounts.add_audit(
            connection=connection,
            organisation_id=p.organisation_id,
            actor=p.handle,
            action="user.created",
            details={"email": row["email"], "role": row["role"]},
        )
    return UserOut(**dict(row))


async def update_user(
    pool: asyncpg.Pool[Any], p: Principal, user_id: uuid.UUID, body: UserPatch
) -> UserOut:
    changes: dict[str, Any] = body.model_dump(exclude_none=True, exclude={"password"})
    if body.password is not None:
        changes["password_hash"] = await asyncio.to_thread(security.hash_password, body.password)
    if user_id == p.user_id and (
        changes.get("role", "admin") != "admin" or changes.get("active") is False
    ):
        raise ApiError(
            409,
            "cannot_demote_self",
            "an admin cannot demote or deactivate themselves (ask another admin)",
        )
    async with pool.acquire() as connection, connection.transaction():
        row = await accounts.update_user(
            connection=connection,
            organisation_id=p.organisation_id,
            user_id=user_id,
            changes=changes,
        )
        if row is None:
            raise ApiError(404, "user_not_found", f"no user {user_id}")
        audited = {k: v for k, v in changes.items() if k != "password_hash"}
        await accounts.add_audit(
            connection=connection,
            organisation_id=p.organisation_id,
            actor=p.handle,
            action="user.updated",
            details={
                "user": row["email"],
                **audited,
                "password_changed": "password_hash" in changes,
            },
        )
    return UserOut(**dict(row))


async def create_api_key(pool: asyncpg.Pool[Any], p: Principal, body: ApiKeyIn) -> ApiKeyCreated:
    key_id, key, digest = security.new_api_key()
    async with pool.acquire() as connection, connection.transaction():
        row = await accounts.create_api_key(
            connection=connection,
            key_id=key_id,
            organisation_id=p.organisation_id,
            name=body.name,
            role=body.role,
            secret_sha256=digest,
            created_by=p.user_id,
        )
        await accounts.add_audit(
            connection=connection,
            organisation_id=p.organisation_id,
            actor=p.handle,
            action="api_key.created",
            details={"key_id": str(key_id), "name": body.name, "role": body.role},
        )
    return ApiKeyCreated(**dict(row), key=key)


async def revoke_api_key(pool: asyncpg.Pool[Any], p: Principal, key_id: uuid.UUID) -> None:
    async with pool.acquire() as connection, connection.transaction():
        if not await accounts.revoke_api_key(
            connection=connection, organisation_id=p.organisation_id, key_id=key_id
        ):
            raise ApiError(404, "api_key_not_found", f"no API key {key_id}")
        await accounts.add_audit(
            connection=connection,
            organisation_id=p.organisation_id,
            actor=p.handle,
            action="api_key.revoked",
            details={"key_id": str(key_id)},
        )


async def set_policy(pool: asyncpg.Pool[Any], p: Principal, body: PolicyIn) -> OrganisationOut:
    async with pool.acquire() as connection, connection.transaction():
        row = await accounts.set_never_hide_criticism(
            connection=connection,
            organisation_id=p.organisation_id,
            locked=body.never_hide_criticism,
        )
        await accounts.add_audit(
            connection=connection,
            organisation_id=p.organisation_id,
            actor=p.handle,
            action="policy.never_hide_criticism",
            details={"locked": body.never_hide_criticism, "reason": body.reason},
        )
    return OrganisationOut(**dict(row))

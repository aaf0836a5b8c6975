"""Admin of the brand catalogue and teams; each change audited in its transaction.

Ingest reloads its brand catalogue on its own schedule, and the router its teams: a change
applies to mentions that arrive after they did.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from services.api.auth import Principal
from services.api.models import BrandOut
from services.api.models_catalogue import BrandFields, ResponderIn, TeamFields
from services.api.repo import accounts, catalogue, responders
from services.shared.http import ApiError


async def _check_competitor(connection: Any, p: Principal, brand: BrandFields, own_id: str) -> None:
    of = brand.competitor_of
    if of is None:
        return
    if of == own_id or not await catalogue.brand_in_organisation(
        connection=connection, organisation_id=p.organisation_id, brand_id=of
    ):
        raise ApiError(
            422,
            "invalid_competitor",
            f"competitor_of must name another of your brands; {of!r} is not one",
            {"competitor_of": of},
        )


async def save_brand(
    pool: asyncpg.Pool[Any], p: Principal, brand: BrandFields, brand_id: str, *, create: bool
) -> BrandOut:
    values = brand.model_dump() | {"id": brand_id}
    async with pool.acquire() as connection, connection.transaction():
        await _check_competitor(connection, p, brand, brand_id)
        if create:
            row = await catalogue.insert_brand(
                connection=connection, organisation_id=p.organisation_id, brand=values
            )
            if row is None:
                raise ApiError(409, "brand_id_taken", f"brand id {brand_id!r} is taken")
        else:
            row = await catalogue.update_brand(
                connection=connection,
                organisation_id=p.organisation_id,
                brand_id=brand_id,
                brand=values,
            )
            if row is None:
                raise ApiError(404, "brand_not_found", f"no brand {brand_id}")
        await accounts.add_audit(
            connection=connection,
            organisation_id=p.organisation_id,
            actor=p.handle,
            action="brand.created" if create else "brand.updated",
            details={"brand": brand_id},
        )
    return BrandOut(**dict(row))


async def save_team(
    pool: asyncpg.Pool[Any], p: Principal, team: TeamFields, team_id: str, *, create: bool
) -> None:
    values = team.model_dump(mode="json", exclude_none=True)
    async with pool.acquire() as connection, connection.transaction():
        row = await catalogue.upsert_team(
            connection=connection,
            organisation_id=p.organisation_id,
            team_id=team_id,
            team=values,
            create=create,
        )
        if row is None and create:
            raise ApiError(409, "team_id_taken", f"team id {team_id!r} is taken")
        if row is None:
            raise ApiError(404, "team_not_found", f"no team {team_id}")
        await accounts.add_audit(
            connection=connection,
            organisation_id=p.organisation_id,
            actor=p.handle,
            action="team.created" if create else "team.updated",
            details={"team": team_id},
        )


async def save_responder(
    pool: asyncpg.Pool[Any], p: Principal, email: str, body: ResponderIn
) -> None:
    async with pool.acquire() as connection, connection.transaction():
        user = await accounts.user_by_email(
            pool=connection, organisation_id=p.organisation_id, email=email
        )
        if user is None:
            raise ApiError(
                404,
                "user_not_found",
                f"no active user {email} here; a responder is a user of your organisation",
            )
        foreign = await responders.teams_outside(
            connection=connection, organisation_id=p.organisation_id, teams=body.teams
        )
        if foreign:
            raise ApiError(
                422, "unknown_team", f"not your teams: {', '.join(foreign)}", {"teams": foreign}
            )
        await responders.upsert_responder(
            connection=connection,
            responder=body.model_dump() | {"id": user["email"], "name": body.name or user["name"]},
        )
        await accounts.add_audit(
            connection=connection,
            organisation_id=p.organisation_id,
            actor=p.handle,
            action="responder.saved",
            details={"responder": user["email"], "status": body.status, "capacity": body.capacity},
        )


async def set_my_status(pool: asyncpg.Pool[Any], p: Principal, status: str) -> None:
    async with pool.acquire() as connection, connection.transaction():
        if not await responders.set_status(
            connection=connection, responder_id=p.handle, status=status
        ):
            raise ApiError(
                404, "not_a_responder", "you are not set up as a responder; ask an admin"
            )
        await accounts.add_audit(
            connection=connection,
            organisation_id=p.organisation_id,
            actor=p.handle,
            action="responder.status",
            details={"status": status},
        )

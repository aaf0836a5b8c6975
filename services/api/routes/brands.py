"""Brands (tracking rules, competitors) and teams (calendars, SLA targets, the board)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.api import catalogue
from services.api.deps import AdminDep, PoolDep, PrincipalDep
from services.api.models import BrandList, BrandOut, TeamBoard, TeamOut
from services.api.models_catalogue import BRAND_ID, BrandFields, BrandIn, TeamFields, TeamIn
from services.api.repo import cases

router = APIRouter(prefix="/v1", tags=["brands and teams"])


@router.get("/brands", response_model=BrandList)
async def list_brands(pool: PoolDep, principal: PrincipalDep) -> BrandList:
    rows = await cases.list_brands(pool=pool, organisation_id=principal.organisation_id)
    return BrandList(items=[BrandOut(**dict(row)) for row in rows])


@router.get("/teams", response_model=TeamBoard)
async def team_board(pool: PoolDep, principal: PrincipalDep) -> TeamBoard:
    """Teams with open, unassigned and breached counts, and each assignee's load."""
    org = principal.organisation_id
    teams = await cases.list_teams(pool=pool, organisation_id=org)
    load = await cases.assignee_load(pool=pool, organisation_id=org)
    return TeamBoard(teams=[dict(t) for t in teams], load=[dict(x) for x in load])


BrandPath = Annotated[str, Path(pattern=BRAND_ID)]


@router.post("/brands", response_model=BrandOut, status_code=201)
async def create_brand(pool: PoolDep, principal: AdminDep, body: BrandIn) -> BrandOut:
    """A tracked brand (or, with `competitor_of`, a competitor) with its tracking rules."""
    return await catalogue.save_brand(pool, principal, body, body.id, create=True)


@router.put("/brands/{brand_id}", response_model=BrandOut)
async def update_brand(
    pool: PoolDep, principal: AdminDep, brand_id: BrandPath, body: BrandFields
) -> BrandOut:
    return await catalogue.save_brand(pool, principal, body, brand_id, create=False)


@router.post("/teams", response_model=TeamOut, status_code=201)
async def create_team(pool: PoolDep, principal: AdminDep, body: TeamIn) -> TeamOut:
    """A team with its business calendar and first-response target."""
    await catalogue.save_team(pool, principal, body, body.id, create=True)
    return await _team(pool, principal.organisation_id, body.id)


@router.put("/teams/{team_id}", response_model=TeamOut)
async def update_team(
    pool: PoolDep, principal: AdminDep, team_id: BrandPath, body: TeamFields
) -> TeamOut:
    await catalogue.save_team(pool, principal, body, team_id, create=False)
    return await _team(pool, principal.organisation_id, team_id)


async def _team(pool: PoolDep, organisation_id: str, team_id: str) -> TeamOut:
    teams = await cases.list_teams(pool=pool, organisation_id=organisation_id)
    return next(TeamOut(**dict(t)) for t in teams if t["id"] == team_id)

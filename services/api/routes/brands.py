from __future__ import annotations

from fastapi import APIRouter

from services.api.deps import PoolDep, PrincipalDep
from services.api.models import BrandList, BrandOut, TeamBoard
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

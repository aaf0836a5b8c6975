"""Responders: who works which team, with what skills and capacity, and who is online."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.api import catalogue
from services.api.deps import AdminDep, PoolDep, PrincipalDep
from services.api.models_accounts import EMAIL_PATTERN
from services.api.models_catalogue import ResponderIn, ResponderList, ResponderOut, StatusIn
from services.api.repo import responders

router = APIRouter(prefix="/v1/responders", tags=["responders"])


@router.get("", response_model=ResponderList)
async def list_responders(pool: PoolDep, principal: PrincipalDep) -> ResponderList:
    rows = await responders.list_responders(pool=pool, organisation_id=principal.organisation_id)
    return ResponderList(items=[ResponderOut(**dict(r)) for r in rows])


@router.put("/me/status", status_code=204)
async def set_my_status(pool: PoolDep, principal: PrincipalDep, body: StatusIn) -> Response:
    """Go online (the router starts assigning you cases), away, or offline (your unanswered
    cases go back to the team queue)."""
    await catalogue.set_my_status(pool, principal, body.status)
    return Response(status_code=204)


@router.put("/{email}", status_code=204)
async def save_responder(
    pool: PoolDep,
    principal: AdminDep,
    email: Annotated[str, Path(pattern=EMAIL_PATTERN, max_length=320)],
    body: ResponderIn,
) -> Response:
    """Make a user of your organisation a responder, or change their skills and capacity."""
    await catalogue.save_responder(pool, principal, email, body)
    return Response(status_code=204)

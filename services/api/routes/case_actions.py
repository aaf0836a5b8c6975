"""Case actions: claim, assign, respond, resolve, reopen, mark spam/abuse. Each answers with
the case as it is afterwards."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from services.api import casework, moderation, views
from services.api.deps import PoolDep, PrincipalDep
from services.api.models import AssignIn, CaseDetail, MarkIn, ReasonIn, RespondIn

router = APIRouter(prefix="/v1/cases/{case_id}", tags=["case actions"])


def topic(request: Request) -> str:
    return casework.events_topic(request.app.state.resources.settings)


async def _detail(pool: PoolDep, principal: PrincipalDep, case_id: uuid.UUID) -> CaseDetail:
    return await views.case_detail(
        pool=pool, organisation_id=principal.organisation_id, case_id=case_id
    )


@router.post("/claim", response_model=CaseDetail)
async def claim(
    request: Request, pool: PoolDep, principal: PrincipalDep, case_id: uuid.UUID
) -> CaseDetail:
    """Take the case. Taking one assigned to someone else needs the lead role."""
    await casework.claim(pool, principal, case_id, topic(request))
    return await _detail(pool, principal, case_id)


@router.post("/assign", response_model=CaseDetail)
async def assign(
    request: Request, pool: PoolDep, principal: PrincipalDep, case_id: uuid.UUID, body: AssignIn
) -> CaseDetail:
    """Assign, reassign or (assignee null) hand back to the team queue."""
    await casework.assign(pool, principal, case_id, body.assignee, topic(request))
    return await _detail(pool, principal, case_id)


@router.post("/respond", response_model=CaseDetail)
async def respond(
    request: Request, pool: PoolDep, principal: PrincipalDep, case_id: uuid.UUID, body: RespondIn
) -> CaseDetail:
    """Record the reply as posted; the first one stops the first-response SLA clock."""
    await casework.respond(pool, principal, case_id, body.text, topic(request))
    return await _detail(pool, principal, case_id)


@router.post("/resolve", response_model=CaseDetail)
async def resolve(
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    case_id: uuid.UUID,
    body: ReasonIn | None = None,
) -> CaseDetail:
    reason = body.reason if body else None
    await casework.set_status(pool, principal, case_id, "resolved", reason, topic(request))
    return await _detail(pool, principal, case_id)


@router.post("/reopen", response_model=CaseDetail)
async def reopen(
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    case_id: uuid.UUID,
    body: ReasonIn | None = None,
) -> CaseDetail:
    reason = body.reason if body else None
    await casework.set_status(pool, principal, case_id, "open", reason, topic(request))
    return await _detail(pool, principal, case_id)


@router.post("/mark", response_model=CaseDetail)
async def mark(
    pool: PoolDep, principal: PrincipalDep, case_id: uuid.UUID, body: MarkIn
) -> CaseDetail:
    """Label every mention of the case spam or abuse (sends it to the moderation queue)."""
    await moderation.mark_case(pool, principal, case_id, body.label)
    return await _detail(pool, principal, case_id)

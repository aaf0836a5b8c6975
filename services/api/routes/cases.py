"""Queues and case detail."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.api import views
from services.api.deps import PoolDep, PrincipalDep
from services.api.models import CaseDetail, CaseOut, CasePage, SlaState
from services.api.repo import cases
from services.shared.http import ApiError

router = APIRouter(prefix="/v1/cases", tags=["cases"])

Short = Annotated[str | None, Query(max_length=100)]


def encode_cursor(case: CaseOut) -> str:
    raw = f"{case.priority}|{case.sla_due_at.isoformat()}|{case.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, datetime, uuid.UUID]:
    try:
        priority, due, case_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return priority, datetime.fromisoformat(due), uuid.UUID(case_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(422, "invalid_cursor", "cursor is not one this API returned") from exc


@router.get("", response_model=CasePage)
async def list_cases(
    pool: PoolDep,
    principal: PrincipalDep,
    status: Annotated[
        Literal["open", "pending", "resolved", "active"] | None,
        Query(description="`active`: open or pending"),
    ] = None,
    team: Short = None,
    assignee: Annotated[
        str | None, Query(max_length=320, description="an email, `me` or `none` (unassigned)")
    ] = None,
    priority: Literal["p1", "p2", "p3", "p4"] | None = None,
    brand: Short = None,
    sentiment: Literal["negative", "neutral", "positive"] | None = None,
    language: Annotated[str | None, Query(max_length=8)] = None,
    sla: SlaState | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> CasePage:
    """Most urgent priority first, then least SLA time left; `next_cursor` gets the next page."""
    who = principal.handle if assignee == "me" else None if assignee == "none" else assignee
    where = cases.CaseFilter(
        status, team, who, assignee == "none", priority, brand, sentiment, language, sla
    )
    rows = await cases.list_cases(
        pool=pool,
        organisation_id=principal.organisation_id,
        where=where,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit,
    )
    items = [CaseOut.from_row(row) for row in rows]
    return CasePage(
        items=items, next_cursor=encode_cursor(items[-1]) if len(items) == limit else None
    )


@router.get("/{case_id}", response_model=CaseDetail)
async def get_case(pool: PoolDep, principal: PrincipalDep, case_id: uuid.UUID) -> CaseDetail:
    """The case with its conversation, classification and reasons, replies, SLA clock,
    assignment history and audit trail."""
    return await views.case_detail(
        pool=pool, organisation_id=principal.organisation_id, case_id=case_id
    )

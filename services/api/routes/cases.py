from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.api import repo
from services.api.deps import PoolDep
from services.api.models import CaseDetail, CaseOut, CasePage, MentionOut
from services.shared.http import ApiError

router = APIRouter(prefix="/v1/cases", tags=["cases"])


def encode_cursor(due: datetime, case_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{due.isoformat()}|{case_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        due, case_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(due), uuid.UUID(case_id)
    except ValueError as exc:
        raise ApiError(422, "invalid_cursor", "cursor is not one this API returned") from exc


@router.get("", response_model=CasePage)
async def list_cases(
    pool: PoolDep,
    status: Literal["open", "pending", "resolved"] | None = None,
    team: Annotated[str | None, Query(max_length=100)] = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    priority: Literal["p1", "p2", "p3", "p4"] | None = None,
    brand: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CasePage:
    """Cases ordered by SLA due time, soonest first; pass `next_cursor` to get the next page."""
    rows = await repo.list_cases(
        pool=pool,
        where=repo.CaseFilter(status, team, assignee, priority, brand),
        after=decode_cursor(cursor) if cursor else None,
        limit=limit,
    )
    items = [CaseOut(**dict(row)) for row in rows]
    next_cursor = encode_cursor(items[-1].sla_due_at, items[-1].id) if len(items) == limit else None
    return CasePage(items=items, next_cursor=next_cursor)


@router.get("/{case_id}", response_model=CaseDetail)
async def get_case(pool: PoolDep, case_id: uuid.UUID) -> CaseDetail:
    row = await repo.get_case(pool=pool, case_id=case_id)
    if row is None:
        raise ApiError(404, "case_not_found", f"no case {case_id}")
    mentions = await repo.case_mentions(pool=pool, case_id=case_id)
    return CaseDetail(**dict(row), mentions=[MentionOut(**dict(m)) for m in mentions])

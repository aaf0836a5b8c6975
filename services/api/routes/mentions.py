"""Mentions: detail, label corrections, the moderation queue and moderation decisions."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from services.api import casework, moderation, views
from services.api.deps import PoolDep, PrincipalDep
from services.api.models import (
    CorrectionIn,
    CorrectionOut,
    DecisionOut,
    MentionList,
    MentionOut,
    MentionPage,
    ModerationIn,
)
from services.api.repo import actions
from services.shared.http import ApiError

router = APIRouter(prefix="/v1", tags=["mentions and moderation"])


def encode_cursor(mention: MentionOut) -> str:
    raw = f"{mention.created_at.isoformat()}|{mention.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, mention_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), uuid.UUID(mention_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(422, "invalid_cursor", "cursor is not one this API returned") from exc


@router.get("/mentions", response_model=MentionPage)
async def list_mentions(
    pool: PoolDep,
    principal: PrincipalDep,
    brand: Annotated[str | None, Query(max_length=100)] = None,
    sentiment: Literal["negative", "neutral", "positive"] | None = None,
    language: Annotated[str | None, Query(max_length=8)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> MentionPage:
    """The mention stream of your brands, newest first (monitoring-only mentions included)."""
    rows = await actions.list_mentions(
        pool=pool, organisation_id=principal.organisation_id, brand=brand, sentiment=sentiment,
        language=language, before=decode_cursor(cursor) if cursor else None, limit=limit,
    )  # fmt: skip
    items = await views.mentions_with_labels(pool=pool, rows=rows)
    next_cursor = encode_cursor(items[-1]) if len(items) == limit else None
    return MentionPage(items=items, next_cursor=next_cursor)


@router.get("/mentions/{mention_id}", response_model=MentionOut)
async def get_mention(pool: PoolDep, principal: PrincipalDep, mention_id: uuid.UUID) -> MentionOut:
    row = await actions.get_mention(
        pool=pool, organisation_id=principal.organisation_id, mention_id=mention_id
    )
    if row is None:
        raise ApiError(404, "mention_not_found", f"no mention {mention_id}")
    return (await views.mentions_with_labels(pool=pool, rows=[row]))[0]


@router.post("/mentions/{mention_id}/corrections", response_model=CorrectionOut, status_code=201)
async def correct_label(
    pool: PoolDep, principal: PrincipalDep, mention_id: uuid.UUID, body: CorrectionIn
) -> CorrectionOut:
    """Correct the model's sentiment, abuse or urgency label (kept with who and when)."""
    return await moderation.correct_label(pool, principal, mention_id, body.field, body.value)


@router.get("/moderation", response_model=MentionList)
async def moderation_queue(
    pool: PoolDep, principal: PrincipalDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> MentionList:
    """Mentions flagged abuse or spam (by the model or a person) awaiting a decision."""
    rows = await actions.moderation_queue(
        pool=pool, organisation_id=principal.organisation_id, limit=limit
    )
    return MentionList(items=await views.mentions_with_labels(pool=pool, rows=rows))


@router.post("/mentions/{mention_id}/moderation", response_model=DecisionOut, status_code=201)
async def decide(
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    mention_id: uuid.UUID,
    body: ModerationIn,
) -> DecisionOut:
    """keep, escalate, or request hiding on the platform (abuse/spam only; lead or admin)."""
    topic = casework.events_topic(request.app.state.resources.settings)
    return await moderation.decide(pool, principal, mention_id, body.decision, body.reason, topic)

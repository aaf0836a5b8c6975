"""Mentions: detail, label corrections, the moderation queue and moderation decisions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.api import moderation, views
from services.api.deps import PoolDep, PrincipalDep
from services.api.models import (
    CorrectionIn,
    CorrectionOut,
    DecisionOut,
    MentionList,
    MentionOut,
    ModerationIn,
)
from services.api.repo import actions
from services.shared.http import ApiError

router = APIRouter(prefix="/v1", tags=["mentions and moderation"])


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
    pool: PoolDep, principal: PrincipalDep, mention_id: uuid.UUID, body: ModerationIn
) -> DecisionOut:
    """keep, escalate, or request hiding on the platform (abuse/spam only; lead or admin)."""
    return await moderation.decide(pool, principal, mention_id, body.decision, body.reason)

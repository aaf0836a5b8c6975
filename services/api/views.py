"""Rows → response models where a response combines several queries."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

import asyncpg

from services.api.models import (
    AuditEntry,
    CaseDetail,
    CaseOut,
    CorrectionOut,
    DecisionOut,
    MentionOut,
    ResponseOut,
)
from services.api.repo import actions, cases
from services.shared.http import ApiError
from services.shared.settings import abuse_settings

ASSIGNMENT_ACTIONS = frozenset({"case.claimed", "case.assigned", "case.unassigned"})


def flagged_by_model(classification: dict[str, Any]) -> bool:
    """The model's scores flag it for moderation (`EARSHOT_ABUSE_*_THRESHOLD`)."""
    return abuse_settings().flagged(classification.get("abuse") or {})


def mention_out(
    row: asyncpg.Record,
    corrections: list[CorrectionOut] | None = None,
    decisions: list[DecisionOut] | None = None,
) -> MentionOut:
    data = dict(row)
    classification = data["classification"] or {}
    reasons = (classification.get("urgency") or {}).get("reasons") or []
    return MentionOut(
        **data,
        urgency_reasons=reasons,
        flagged=flagged_by_model(classification),
        corrections=corrections or [],
        moderation=decisions or [],
    )


async def mentions_with_labels(
    *, pool: asyncpg.Pool[Any], rows: list[asyncpg.Record]
) -> list[MentionOut]:
    ids: list[uuid.UUID] = [row["id"] for row in rows]
    by_mention: dict[uuid.UUID, list[CorrectionOut]] = defaultdict(list)
    for c in await actions.corrections_for(pool=pool, mention_ids=ids):
        by_mention[c["mention_id"]].append(CorrectionOut(**dict(c)))
    decided: dict[uuid.UUID, list[DecisionOut]] = defaultdict(list)
    for d in await actions.decisions_for(pool=pool, mention_ids=ids):
        decided[d["mention_id"]].append(DecisionOut(**dict(d)))
    return [mention_out(row, by_mention[row["id"]], decided[row["id"]]) for row in rows]


async def case_detail(
    *, pool: asyncpg.Pool[Any], organisation_id: str, case_id: uuid.UUID
) -> CaseDetail:
    row = await cases.get_case(pool=pool, organisation_id=organisation_id, case_id=case_id)
    if row is None:
        raise ApiError(404, "case_not_found", f"no case {case_id}")
    mention_rows = await cases.case_mentions(pool=pool, case_id=case_id)
    responses = await cases.case_responses(pool=pool, case_id=case_id)
    audit = [
        AuditEntry(**dict(a))
        for a in await cases.case_audit(pool=pool, organisation_id=organisation_id, case_id=case_id)
    ]
    base = CaseOut.from_row(row)
    return CaseDetail(
        **base.model_dump(),
        mentions=await mentions_with_labels(pool=pool, rows=mention_rows),
        responses=[ResponseOut(**dict(r)) for r in responses],
        assignment_history=[a for a in audit if a.action in ASSIGNMENT_ACTIONS],
        audit=audit,
    )

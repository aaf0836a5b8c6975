"""Label corrections and moderation decisions on mentions.

Negative feedback is answered, never hidden: a hide request is accepted only for a mention the
model classified as abuse or spam. A person's own "spam"/"abuse" label counts as grounds for
hiding only once an admin lifted the organisation's "never hide criticism" lock (audited), so
nobody can relabel a complaint as spam to make it disappear.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.api import casework
from services.api.auth import Principal
from services.api.models import CORRECTION_VALUES, CorrectionOut, DecisionOut
from services.api.repo import accounts, actions, cases
from services.api.views import flagged_by_model
from services.shared.http import ApiError
from services.shared.settings import abuse_settings


def model_label(mention: asyncpg.Record, field: str) -> str:
    if field == "abuse":
        abuse = (mention["classification"] or {}).get("abuse") or {}
        if float(abuse.get("spam", 0)) >= abuse_settings().abuse_spam_threshold:
            return "spam"
        return "abuse" if flagged_by_model(mention["classification"] or {}) else "none"
    return str(mention[field])


async def _mention(connection: Any, p: Principal, mention_id: uuid.UUID) -> asyncpg.Record:
    mention = await actions.get_mention(
        pool=connection, organisation_id=p.organisation_id, mention_id=mention_id
    )
    if mention is None:
        raise ApiError(404, "mention_not_found", f"no mention {mention_id}")
    return mention


async def correct_label(
    pool: asyncpg.Pool[Any], p: Principal, mention_id: uuid.UUID, field: str, value: str
) -> CorrectionOut:
    if value not in CORRECTION_VALUES[field]:
        raise ApiError(
            422,
            "invalid_label",
            f"{field} must be one of {sorted(CORRECTION_VALUES[field])}",
            {"field": field, "value": value},
        )
    async with pool.acquire() as connection, connection.transaction():
        mention = await _mention(connection, p, mention_id)
        row = await actions.add_correction(
            connection=connection,
            mention_id=mention_id,
            field=field,
            model_value=model_label(mention, field),
            value=value,
            corrected_by=p.handle,
        )
        await accounts.add_audit(
            connection=connection,
            organisation_id=p.organisation_id,
            actor=p.handle,
            action="label.corrected",
            case_id=mention["case_id"],
            mention_id=mention_id,
            details={"field": field, "value": value, "model_value": row["model_value"]},
        )
    return CorrectionOut(**dict(row))


async def mark_case(
    pool: asyncpg.Pool[Any], p: Principal, case_id: uuid.UUID, label: str
) -> list[CorrectionOut]:
    """Mark every mention of a case as spam or abuse (an `abuse` label correction each)."""
    case = await cases.get_case(pool=pool, organisation_id=p.organisation_id, case_id=case_id)
    if case is None:
        raise ApiError(404, "case_not_found", f"no case {case_id}")
    mentions = await cases.case_mentions(pool=pool, case_id=case_id)
    return [await correct_label(pool, p, m["id"], "abuse", label) for m in mentions]


async def decide(
    pool: asyncpg.Pool[Any],
    p: Principal,
    mention_id: uuid.UUID,
    decision: str,
    reason: str | None,
    topic: str,
) -> DecisionOut:
    if decision == "hide" and not p.at_least("lead"):
        raise ApiError(403, "forbidden", "hiding a mention needs the lead role or higher")
    async with pool.acquire() as connection, connection.transaction():
        mention = await _mention(connection, p, mention_id)
        if decision == "hide":
            await _check_hide_allowed(connection, p, mention)
        row = await actions.add_moderation_decision(
            connection=connection,
            mention_id=mention_id,
            decision=decision,
            reason=reason,
            by=p.handle,
        )
        await accounts.add_audit(
            connection=connection,
            organisation_id=p.organisation_id,
            actor=p.handle,
            action=f"moderation.{decision}",
            case_id=mention["case_id"],
            mention_id=mention_id,
            details={"reason": reason or ""},
        )
        if decision == "escalate" and mention["case_id"] is not None:
            # The case's team and its lead see the escalation live (`case.escalated`).
            case = await actions.lock_case(
                connection=connection, organisation_id=p.organisation_id,
                case_id=mention["case_id"],
            )  # fmt: skip
            if case is not None:
                await casework.publish(
                    connection, p, action="moderation.escalate", kind="case.escalated",
                    case=case, topic=topic,
                    details={"mention_id": str(mention_id), "reason": reason or ""},
                )  # fmt: skip
    return DecisionOut(**dict(row))


async def _check_hide_allowed(connection: Any, p: Principal, mention: asyncpg.Record) -> None:
    marked = await actions.latest_label(
        connection=connection, mention_id=mention["id"], field="abuse"
    )
    # A person who looked and said "not abuse" overrides the model's flag.
    if flagged_by_model(mention["classification"] or {}) and marked != "none":
        return
    org = await accounts.get_organisation(pool=connection, organisation_id=p.organisation_id)
    locked = org is None or bool(org["never_hide_criticism"])
    if not locked and marked in ("abuse", "spam"):
        return
    raise ApiError(
        409,
        "hide_not_allowed",
        "only mentions classified as abuse or spam can be hidden; criticism is "
        "answered, not hidden",
        {"never_hide_criticism": locked, "sentiment": mention["sentiment"]},
    )

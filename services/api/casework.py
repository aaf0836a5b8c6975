"""Case actions: each one locks the case, checks it may happen, changes the case, and writes
its audit entry and its case event (outbox) in the same transaction, so the router's timers
and the live stream see exactly what the database says."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg

from schemas import TOPIC_CASES_EVENTS, CaseEvent, CaseEventKind, case_event_type, make_event
from services.api.auth import Principal
from services.api.repo import Connection, accounts, actions, responders
from services.shared.db.outbox import add_to_outbox
from services.shared.http import ApiError

ACTIVE = ("open", "pending")


@asynccontextmanager
async def locked_case(
    pool: asyncpg.Pool[Any], principal: Principal, case_id: uuid.UUID
) -> AsyncIterator[tuple[Connection, asyncpg.Record]]:
    async with pool.acquire() as connection, connection.transaction():
        case = await actions.lock_case(
            connection=connection, organisation_id=principal.organisation_id, case_id=case_id
        )
        if case is None:  # another organisation's case answers exactly like a missing one
            raise ApiError(404, "case_not_found", f"no case {case_id}")
        yield connection, case


async def announce(
    connection: Connection,
    principal: Principal,
    *,
    action: str,
    kind: CaseEventKind | None,
    case: asyncpg.Record,
    topic: str,
    details: dict[str, Any] | None = None,
) -> None:
    """The audit entry, and (when the action is a case event) the event through the outbox."""
    details = details or {}
    await accounts.add_audit(
        connection=connection,
        organisation_id=principal.organisation_id,
        actor=principal.handle,
        action=action,
        case_id=case["id"],
        details=details,
    )
    if kind is not None:
        await publish(
            connection, principal, action=action, kind=kind, case=case, topic=topic, details=details
        )


async def publish(
    connection: Connection,
    principal: Principal,
    *,
    action: str,
    kind: CaseEventKind,
    case: asyncpg.Record,
    topic: str,
    details: dict[str, Any],
) -> None:
    """The case event, through the outbox of the caller's transaction."""
    data = CaseEvent(
        kind=kind,
        case_id=case["id"],
        brand=case["brand"],
        conversation_key=case["conversation_key"],
        status=case["status"],
        team=case["team"],
        queue=case["queue"],
        priority=case["priority"],
        assignee=case["assignee"],
        sla_due_at=case["sla_due_at"],
        mention_count=case["mention_count"],
        occurred_at=datetime.now(UTC),
        details={
            "actor": principal.handle,
            "action": action,
            **{k: v for k, v in details.items() if isinstance(v, str | int | float | bool)},
        },
    )
    event = make_event(
        data,
        type=case_event_type(kind),
        source="/api",
        subject=str(case["id"]),
        partitionkey=case["conversation_key"],
    )
    await add_to_outbox(connection, topic=topic, event=event)


def require_active(case: asyncpg.Record) -> None:
    if case["status"] not in ACTIVE:
        raise ApiError(409, "case_not_active", "the case is resolved; reopen it first")


async def claim(pool: asyncpg.Pool[Any], p: Principal, case_id: uuid.UUID, topic: str) -> None:
    if p.user_id is None:
        raise ApiError(403, "forbidden", "only a person can claim a case")
    async with locked_case(pool, p, case_id) as (connection, case):
        require_active(case)
        if case["assignee"] == p.handle:
            return  # claiming twice is a no-op, not an error
        if case["assignee"] is not None and not p.at_least("lead"):
            raise ApiError(
                409,
                "case_taken",
                f"the case is assigned to {case['assignee']}",
                {"assignee": case["assignee"]},
            )
        kind: CaseEventKind = "case.reassigned" if case["assignee"] else "case.assigned"
        updated = await actions.set_assignee(
            connection=connection, case_id=case_id, assignee=p.handle
        )
        if await responders.mark_working(connection=connection, responder_id=p.handle):
            await accounts.add_audit(
                connection=connection, organisation_id=p.organisation_id, actor=p.handle,
                action="responder.status", details={"status": "away", "why": "claimed a case"},
            )  # fmt: skip
        await announce(
            connection,
            p,
            action="case.claimed",
            kind=kind,
            case=updated,
            topic=topic,
            details={"previous": case["assignee"] or ""},
        )


async def assign(
    pool: asyncpg.Pool[Any], p: Principal, case_id: uuid.UUID, assignee: str | None, topic: str
) -> None:
    """Leads assign anyone in the organisation. A responder hands over their own case (to a
    colleague, or back to the team queue with null) or takes an unassigned one."""
    if assignee is not None:
        user = await accounts.user_by_email(
            pool=pool, organisation_id=p.organisation_id, email=assignee
        )
        if user is None:
            raise ApiError(422, "unknown_assignee", f"no active user {assignee} here")
        assignee = user["email"]
    async with locked_case(pool, p, case_id) as (connection, case):
        require_active(case)
        mine = case["assignee"] == p.handle
        taking = assignee == p.handle and case["assignee"] is None
        if not (p.at_least("lead") or mine or taking):
            raise ApiError(
                403, "forbidden", "a responder hands over only their own cases; a lead assigns"
            )
        updated = await actions.set_assignee(
            connection=connection, case_id=case_id, assignee=assignee
        )
        kind: CaseEventKind = "case.reassigned" if case["assignee"] else "case.assigned"
        await announce(
            connection,
            p,
            action="case.assigned" if assignee else "case.unassigned",
            kind=kind,
            case=updated,
            topic=topic,
            details={"previous": case["assignee"] or "", "assignee": assignee or ""},
        )


async def respond(
    pool: asyncpg.Pool[Any], p: Principal, case_id: uuid.UUID, text: str, topic: str
) -> None:
    async with locked_case(pool, p, case_id) as (connection, case):
        require_active(case)
        updated = await actions.record_response(
            connection=connection, case_id=case_id, author=p.handle, text=text
        )
        first = case["first_response_at"] is None
        await announce(
            connection,
            p,
            action="case.responded",
            kind="case.responded",
            case=updated,
            topic=topic,
            details={"first_response": first, "length": len(text)},
        )


async def set_status(
    pool: asyncpg.Pool[Any],
    p: Principal,
    case_id: uuid.UUID,
    status: str,
    reason: str | None,
    topic: str,
) -> None:
    async with locked_case(pool, p, case_id) as (connection, case):
        if status == "resolved":
            require_active(case)
        elif case["status"] in ACTIVE:
            raise ApiError(409, "case_active", "the case is not resolved")
        try:
            async with connection.transaction():  # a savepoint: the 409 below keeps the tx
                updated = await actions.set_status(
                    connection=connection, case_id=case_id, status=status
                )
        except asyncpg.UniqueViolationError as exc:
            raise ApiError(
                409,
                "conversation_has_active_case",
                "a newer case of this conversation is open; work on that one",
            ) from exc
        kind: CaseEventKind = "case.resolved" if status == "resolved" else "case.reopened"
        await announce(
            connection,
            p,
            action=kind,
            kind=kind,
            case=updated,
            topic=topic,
            details={"reason": reason or ""},
        )


def events_topic(settings: Any) -> str:
    topic: str = settings.topic(TOPIC_CASES_EVENTS)
    return topic

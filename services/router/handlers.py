"""Route one classified mention: store it, open or join its conversation's case, start the SLA
clock, and announce the change through the outbox, all in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg

from schemas import (
    TOPIC_CASES_EVENTS,
    CaseEvent,
    CaseEventKind,
    CloudEvent,
    MentionClassified,
    case_event_type,
    make_event,
)
from schemas.envelope import utcnow
from services.router import repo
from services.router.routing import RouteDecision, decide_route
from services.router.sla import due_at
from services.shared.bus import PoisonMessageError
from services.shared.db.outbox import add_to_outbox

_CASE_NAMESPACE = uuid.UUID("9c3e4a8b-1f2d-4e6a-b7c8-0d9e8f7a6b5c")


def case_id_for(mention_id: uuid.UUID) -> uuid.UUID:
    """A case is named after the mention that opened it: re-routing it opens the same case."""
    return uuid.uuid5(_CASE_NAMESPACE, f"case|{mention_id}")


def case_event(
    kind: CaseEventKind, case: asyncpg.Record, *, mention_id: uuid.UUID
) -> CloudEvent[Any]:
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
        mention_id=mention_id,
        mention_count=case["mention_count"],
        occurred_at=utcnow(),
    )
    # One event per (case, kind, mention): re-processing the mention cannot announce twice.
    event_id = uuid.uuid5(_CASE_NAMESPACE, f"{case['id']}|{kind}|{mention_id}")
    return make_event(
        data,
        type=case_event_type(kind),
        source="/router",
        id=str(event_id),
        subject=str(case["id"]),
        partitionkey=case["conversation_key"],
    )


async def route_mention(
    connection: repo.Connection,
    event: MentionClassified,
    teams: Mapping[str, repo.Team],
    *,
    events_topic: str = TOPIC_CASES_EVENTS,
) -> RouteDecision | None:
    """Returns the decision, or None if the mention was already routed (a redelivery)."""
    mention = event.mention
    decision = decide_route(mention, event.classification)
    if decision.action == "case" and decision.team not in teams:
        raise PoisonMessageError(f"route names unknown team {decision.team!r}")
    if not await repo.insert_mention(connection=connection, event=event, route=decision):
        return None
    case = await repo.lock_active_case(
        connection=connection, conversation_key=mention.conversation_key
    )
    kind: CaseEventKind
    if case is None and decision.action == "case":
        assert decision.team is not None
        team = teams[decision.team]
        due = due_at(mention.created_at, team.first_response_seconds, team.calendar)
        case = await repo.insert_case(
            connection=connection,
            case_id=case_id_for(mention.mention_id),
            event=event,
            route=decision,
            sla_due_at=due,
        )
        kind = "case.opened"
        if case is None:  # another replica opened it a moment ago: join it
            case = await repo.lock_active_case(
                connection=connection, conversation_key=mention.conversation_key
            )
    if case is not None and case["id"] != case_id_for(mention.mention_id):
        case = await repo.add_mention_to_case(
            connection=connection,
            case_id=case["id"],
            mention_at=mention.created_at,
            priority=decision.priority,
        )
        kind = "case.mention_added"
    if case is None:
        return decision  # monitoring only
    await repo.link_mention(
        connection=connection, mention_id=mention.mention_id, case_id=case["id"]
    )
    await add_to_outbox(
        connection,
        topic=events_topic,
        event=case_event(kind, case, mention_id=mention.mention_id),
    )
    return decision

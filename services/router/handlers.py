"""Route one classified mention: store it, open or join its conversation's (or its viral
cluster's) case, start the SLA clock and plan its timers, and announce the change through the
outbox, all in the caller's transaction. Assignment happens afterwards (`assigner.py`), so a
routing batch never waits on a team's responder locks."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
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
from services.router.config import RouterConfig
from services.router.outbox import add_many_to_outbox
from services.router.routing import RouteDecision
from services.router.routing.clusters import cluster_key, within_window
from services.router.routing.policies import TimerPlan, plan_clock_timers, resolve_policy
from services.router.routing.rules import apply_rules
from services.shared.bus import PoisonMessageError

_CASE_NAMESPACE = uuid.UUID("9c3e4a8b-1f2d-4e6a-b7c8-0d9e8f7a6b5c")
Details = dict[str, str | int | float | bool | None]


def case_id_for(mention_id: uuid.UUID) -> uuid.UUID:
    """A case is named after the mention that opened it: re-routing it opens the same case."""
    return uuid.uuid5(_CASE_NAMESPACE, f"case|{mention_id}")


def case_event(
    kind: CaseEventKind,
    case: Mapping[str, Any],
    *,
    mention_id: uuid.UUID | None = None,
    event_key: str | None = None,
    details: Details | None = None,
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
        details=details or {},
    )
    # One event per (case, kind, cause): re-processing the mention or re-running a timer
    # cannot announce twice (the outbox is idempotent on the event id).
    event_id = uuid.uuid5(_CASE_NAMESPACE, f"{case['id']}|{kind}|{event_key or mention_id}")
    return make_event(
        data,
        type=case_event_type(kind),
        source="/router",
        id=str(event_id),
        subject=str(case["id"]),
        partitionkey=case["conversation_key"],
    )


async def route_mentions(
    connection: repo.Connection,
    events: Sequence[MentionClassified],
    config: RouterConfig,
    *,
    events_topic: str = TOPIC_CASES_EVENTS,
) -> list[RouteDecision | None]:
    """The one-by-one path: each mention's insert is its claim, each case is looked up and
    written on its own (two or three round trips a mention). The router uses it when the
    batch fast path (`batch.route_batch`) met a conflict with another replica; the decisions
    are the same. None marks a redelivered mention."""
    decisions = [decide(event, config) for event in events]
    new = await repo.insert_mentions(connection=connection, events=events, routes=decisions)
    announced: list[CloudEvent[Any]] = []
    outcomes: list[RouteDecision | None] = []
    for event, decision in zip(events, decisions, strict=True):
        if event.mention.mention_id not in new:
            outcomes.append(None)
            continue
        new.discard(event.mention.mention_id)  # the same mention twice in one batch: once
        announced += await route_stored_mention(connection, event, decision, config)
        outcomes.append(decision)
    await add_many_to_outbox(connection, topic=events_topic, events=announced)
    return outcomes


async def route_mention(
    connection: repo.Connection,
    event: MentionClassified,
    config: RouterConfig,
    *,
    events_topic: str = TOPIC_CASES_EVENTS,
) -> RouteDecision | None:
    """Route one mention; None if it was already routed (a redelivery)."""
    [outcome] = await route_mentions(connection, [event], config, events_topic=events_topic)
    return outcome


def decide(event: MentionClassified, config: RouterConfig) -> RouteDecision:
    decision = apply_rules(config.rules, event.mention, event.classification, config.thresholds)
    if decision.action == "case" and decision.team not in config.teams:
        raise PoisonMessageError(f"route names unknown team {decision.team!r}")
    return decision


async def route_stored_mention(
    connection: repo.Connection,
    event: MentionClassified,
    decision: RouteDecision,
    config: RouterConfig,
) -> list[CloudEvent[Any]]:
    """Open or join the case of a freshly stored mention; returns the events to announce."""
    mention = event.mention
    key = cluster_key(mention.text) if decision.action == "case" else None
    case, cluster = await repo.lock_candidate_cases(
        connection=connection,
        conversation_key=mention.conversation_key,
        brand=mention.brand,
        cluster_key=key,
    )
    via_cluster = False
    if case is None and cluster is not None:
        case = await _cluster_case_in_window(connection, cluster, event)
        via_cluster = case is not None
    kind: CaseEventKind = "case.mention_added"
    details: Details = {}
    if case is None and decision.action == "case":
        case = await _open_case(connection, event, decision, config, key)
        kind = "case.opened"
        if case is None:  # another replica opened it a moment ago: join it
            case, cluster = await repo.lock_candidate_cases(
                connection=connection,
                conversation_key=mention.conversation_key,
                brand=mention.brand,
                cluster_key=key,
            )
            if case is None:
                case, via_cluster = cluster, cluster is not None
    if case is not None and case["id"] != case_id_for(mention.mention_id):
        kind = "case.mention_added"
        if via_cluster:
            details["cluster"] = True
        case = await repo.add_mention_to_case(
            connection=connection,
            case_id=case["id"],
            mention_id=mention.mention_id,
            mention_at=mention.created_at,
            priority=decision.priority,
        )
        # A monitoring-only follow-up ("thanks!") does not restart the clock.
        if decision.action == "case":
            case, restarted = await _maybe_restart_clock(connection, case, event, config)
            if restarted:
                details["sla_clock"] = "next_response"
    if case is None:
        return []  # monitoring only
    return [case_event(kind, case, mention_id=mention.mention_id, details=details)]


async def _cluster_case_in_window(
    connection: repo.Connection, cluster: asyncpg.Record, event: MentionClassified
) -> asyncpg.Record | None:
    if within_window(
        last_mention_at=cluster["last_mention_at"], mention_at=event.mention.created_at
    ):
        return cluster
    await repo.detach_cluster(connection=connection, case_id=cluster["id"])
    return None


def plan_first_clock(
    event: MentionClassified, decision: RouteDecision, config: RouterConfig
) -> tuple[list[TimerPlan], list[TimerPlan]]:
    """The first-response and resolution timers of a case this mention opens."""
    assert decision.team is not None
    # The clock starts at platform time: a mention that sat in a backlog has used budget.
    return plan_case_clocks(
        config, team_id=decision.team, priority=decision.priority, started=event.mention.created_at
    )


def plan_case_clocks(
    config: RouterConfig, *, team_id: str, priority: str | None, started: datetime
) -> tuple[list[TimerPlan], list[TimerPlan]]:
    """First-response and resolution timers of a new case of `team_id` started at `started`."""
    team = config.teams[team_id]
    policy = resolve_policy(
        config.policies,
        team=team.id,
        priority=priority,
        team_first_response_seconds=team.first_response_seconds,
    )
    first = plan_clock_timers(
        clock="first_response", started_at=started, policy=policy, calendar=team.calendar
    )
    resolution = plan_clock_timers(
        clock="resolution", started_at=started, policy=policy, calendar=team.calendar
    )
    return first, resolution


def plan_next_response_clock(
    case: Mapping[str, Any], event: MentionClassified, config: RouterConfig
) -> list[TimerPlan] | None:
    """A new mention after a response reopens the next-response clock (once per answer);
    None when it does not (no answer yet, a clock already running, an older mention)."""
    responses = [t for t in (case["first_response_at"], case["last_response_at"]) if t]
    if not responses:
        return None  # the first-response clock is still running
    answered = max(responses)
    clock_running = case["sla_clock"] == "next_response" and answered < case["sla_started_at"]
    if clock_running or event.mention.created_at <= answered or case["team"] not in config.teams:
        return None
    team = config.teams[case["team"]]
    policy = resolve_policy(
        config.policies,
        team=team.id,
        priority=case["priority"],
        team_first_response_seconds=team.first_response_seconds,
    )
    return plan_clock_timers(
        clock="next_response",
        started_at=event.mention.created_at,
        policy=policy,
        calendar=team.calendar,
    )


async def _open_case(
    connection: repo.Connection,
    event: MentionClassified,
    decision: RouteDecision,
    config: RouterConfig,
    key: str | None,
) -> asyncpg.Record | None:
    first, resolution = plan_first_clock(event, decision, config)
    return await repo.insert_case(
        connection=connection,
        case_id=case_id_for(event.mention.mention_id),
        event=event,
        route=decision,
        sla_due_at=first[-1].fire_at,
        resolution_due_at=resolution[-1].fire_at if resolution else None,
        cluster_key=key,
        timers=first + resolution,
    )


async def _maybe_restart_clock(
    connection: repo.Connection,
    case: asyncpg.Record,
    event: MentionClassified,
    config: RouterConfig,
) -> tuple[asyncpg.Record, bool]:
    plans = plan_next_response_clock(case, event, config)
    if plans is None:
        return case, False
    case = await repo.start_next_response_clock(
        connection=connection,
        case_id=case["id"],
        started_at=event.mention.created_at,
        due=plans[-1].fire_at,
    )
    await repo.insert_timers(
        connection=connection, case_id=case["id"], clock_seq=case["sla_clock_seq"], plans=plans
    )
    return case, True

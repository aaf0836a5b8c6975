"""Routing configuration in PostgreSQL: teams, SLA policies, routing rules, responders.

The router keeps a snapshot (`RouterConfig`) and refreshes it every few seconds, so a rule
set loaded with `earshot rules load` takes effect on every replica without a restart.
`load_routing_file` is what that command runs: one YAML file, one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from schemas import Priority
from services.router.routing import RoutingThresholds
from services.router.routing.assignment import ResponderStatus
from services.router.routing.policies import DEFAULT_WARNING_FRACTIONS, SlaPolicy
from services.router.routing.rules import CompiledRule, RoutingRule, RuleSet, compile_rules
from services.router.sla import BusinessCalendar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Team:
    id: str
    calendar: BusinessCalendar
    first_response_seconds: int
    warning_fraction: float
    lead: str | None = None
    requeue_on_offline: bool = True
    reassign_on_breach: bool = False


@dataclass(frozen=True)
class RouterConfig:
    teams: Mapping[str, Team]
    policies: Mapping[tuple[str, str], SlaPolicy] = field(default_factory=dict)
    rules: tuple[CompiledRule, ...] = ()
    thresholds: RoutingThresholds = field(default_factory=RoutingThresholds)


async def load_teams(*, connection: Any) -> dict[str, Team]:
    """Every team whose calendar parses. A broken row (written around the API's validation)
    is left out and logged rather than stopping the router: mentions routed to that team go
    to the DLQ with the reason, and replay once the calendar is fixed."""
    rows = await connection.fetch(
        """SELECT id, calendar, first_response_seconds, warning_fraction, lead,
               requeue_on_offline, reassign_on_breach FROM teams"""
    )
    teams: dict[str, Team] = {}
    for row in rows:
        try:
            calendar = BusinessCalendar.from_dict(row["calendar"])
        except ValueError as exc:
            log.error("team %r left out: its calendar is invalid: %s", row["id"], exc)
            continue
        teams[row["id"]] = Team(
            id=row["id"],
            calendar=calendar,
            first_response_seconds=row["first_response_seconds"],
            warning_fraction=row["warning_fraction"],
            lead=row["lead"],
            requeue_on_offline=row["requeue_on_offline"],
            reassign_on_breach=row["reassign_on_breach"],
        )
    return teams


async def load_policies(*, connection: Any) -> dict[tuple[str, str], SlaPolicy]:
    rows = await connection.fetch(
        """SELECT team, priority, first_response_seconds, next_response_seconds,
               resolution_seconds, warning_fractions FROM sla_policies"""
    )
    return {
        (row["team"], row["priority"]): SlaPolicy(
            first_response_seconds=row["first_response_seconds"],
            next_response_seconds=row["next_response_seconds"],
            resolution_seconds=row["resolution_seconds"],
            warning_fractions=tuple(float(f) for f in row["warning_fractions"]),
        )
        for row in rows
    }


async def load_rules(*, connection: Any) -> list[RoutingRule]:
    rows = await connection.fetch("SELECT spec FROM routing_rules ORDER BY position")
    return [RoutingRule.model_validate(row["spec"]) for row in rows]


async def load_router_config(
    *, pool: asyncpg.Pool[Any], thresholds: RoutingThresholds = RoutingThresholds()
) -> RouterConfig:
    async with pool.acquire() as connection:
        return RouterConfig(
            teams=await load_teams(connection=connection),
            policies=await load_policies(connection=connection),
            rules=compile_rules(await load_rules(connection=connection)),
            thresholds=thresholds,
        )


class PolicySpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    team: str
    priority: Priority | None = Field(default=None, description="absent: the team's fallback")
    first_response_seconds: int = Field(default=21600, gt=0)
    next_response_seconds: int | None = Field(default=None, gt=0)
    resolution_seconds: int | None = Field(default=None, gt=0)
    warning_fractions: list[float] = Field(default_factory=lambda: list(DEFAULT_WARNING_FRACTIONS))


class ResponderSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    name: str | None = None
    teams: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    brands: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    capacity: int = Field(default=10, ge=0)
    status: ResponderStatus = "offline"


class TeamSettingsSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    lead: str | None = None
    requeue_on_offline: bool = True
    reassign_on_breach: bool = False


class RoutingFile(RuleSet):
    """`earshot rules load FILE`: rules (replaced as a whole), and optionally SLA policies,
    responders and team settings (upserted)."""

    sla_policies: list[PolicySpec] = Field(default_factory=list)
    responders: list[ResponderSpec] = Field(default_factory=list)
    team_settings: list[TeamSettingsSpec] = Field(default_factory=list)


async def replace_rules(*, connection: Any, rules: list[RoutingRule]) -> None:
    # Positions are rewritten wholesale: the file's order is the rule set's order.
    await connection.execute("DELETE FROM routing_rules")
    await connection.executemany(
        "INSERT INTO routing_rules (name, position, spec) VALUES ($1, $2, $3)",
        [(r.name, i, r.model_dump(mode="json")) for i, r in enumerate(rules)],
    )


async def upsert_policies(*, connection: Any, policies: list[PolicySpec]) -> None:
    await connection.executemany(
        """INSERT INTO sla_policies (team, priority, first_response_seconds,
               next_response_seconds, resolution_seconds, warning_fractions)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (team, priority) DO UPDATE SET first_response_seconds = $3,
               next_response_seconds = $4, resolution_seconds = $5, warning_fractions = $6,
               updated_at = now()""",
        [
            (
                p.team,
                p.priority or "*",
                p.first_response_seconds,
                p.next_response_seconds,
                p.resolution_seconds,
                p.warning_fractions,
            )
            for p in policies
        ],
    )


async def upsert_responders(*, connection: Any, responders: list[ResponderSpec]) -> None:
    await connection.executemany(
        """INSERT INTO responders (id, name, teams, languages, brands, channels, capacity, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (id) DO UPDATE SET name = $2, teams = $3, languages = $4, brands = $5,
               channels = $6, capacity = $7, status = $8, updated_at = now()""",
        [
            (
                r.id,
                r.name or r.id,
                r.teams,
                [x.casefold() for x in r.languages],
                [x.casefold() for x in r.brands],
                [x.casefold() for x in r.channels],
                r.capacity,
                r.status,
            )
            for r in responders
        ],
    )


async def update_team_settings(*, connection: Any, teams: list[TeamSettingsSpec]) -> None:
    for t in teams:
        updated = await connection.execute(
            """UPDATE teams SET lead = $2, requeue_on_offline = $3, reassign_on_breach = $4
               WHERE id = $1""",
            t.id,
            t.lead,
            t.requeue_on_offline,
            t.reassign_on_breach,
        )
        if updated == "UPDATE 0":
            raise ValueError(f"unknown team {t.id!r} in team_settings")


async def load_routing_file(*, pool: asyncpg.Pool[Any], document: RoutingFile) -> dict[str, int]:
    known = {r["id"] for r in await pool.fetch("SELECT id FROM teams")}
    named = {r.then.team for r in document.rules if r.then.team} | {
        p.team for p in document.sla_policies
    }
    if named - known:
        raise ValueError(f"unknown teams: {', '.join(sorted(named - known))}")
    async with pool.acquire() as connection, connection.transaction():
        # A file of responders only must not wipe the rule set: replace rules only if given.
        if "rules" in document.model_fields_set:
            await replace_rules(connection=connection, rules=document.rules)
        await upsert_policies(connection=connection, policies=document.sla_policies)
        await upsert_responders(connection=connection, responders=document.responders)
        await update_team_settings(connection=connection, teams=document.team_settings)
    return {
        "rules": len(document.rules),
        "sla_policies": len(document.sla_policies),
        "responders": len(document.responders),
        "team_settings": len(document.team_settings),
    }

"""Case events announced on `cases.events` (`earshot.case.<kind>.v1`)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

CaseStatus = Literal["open", "pending", "resolved", "monitoring"]
Priority = Literal["p1", "p2", "p3", "p4"]

CASE_EVENT_KINDS = (
    "case.opened",
    "case.mention_added",
    "case.assigned",
    "case.reassigned",
    "case.responded",
    "case.resolved",
    "case.reopened",
    "case.escalated",
    "sla.warning",
    "sla.breached",
)

CaseEventKind = Literal[
    "case.opened",
    "case.mention_added",
    "case.assigned",
    "case.reassigned",
    "case.responded",
    "case.resolved",
    "case.reopened",
    "case.escalated",
    "sla.warning",
    "sla.breached",
]


class CaseEvent(BaseModel):
    """The state of a case right after the change the event announces."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: CaseEventKind
    case_id: uuid.UUID
    brand: str
    conversation_key: str
    status: CaseStatus
    team: str | None = None
    queue: str | None = None
    priority: Priority | None = None
    assignee: str | None = None
    sla_due_at: AwareDatetime | None = None
    mention_id: uuid.UUID | None = Field(default=None, description="The mention that caused it")
    mention_count: int = Field(default=1, ge=1)
    occurred_at: AwareDatetime
    details: dict[str, str | int | float | bool | None] = Field(default_factory=dict)

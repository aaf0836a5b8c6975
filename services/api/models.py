"""API request and response models for brands, cases and mentions (the OpenAPI contract)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

SlaState = Literal["ok", "warning", "breached", "met"]


class BrandOut(BaseModel):
    id: str
    name: str
    competitor_of: str | None
    keywords: list[str]
    hashtags: list[str]
    handles: list[str]
    urgent_keywords: list[str]
    languages: list[str]


class BrandList(BaseModel):
    items: list[BrandOut]


class SlaClock(BaseModel):
    state: SlaState = Field(
        description="ok / warning / breached while running; met or breached "
        "once stopped by the first response"
    )
    started_at: datetime
    due_at: datetime
    stopped_at: datetime | None = Field(
        description="The response that stopped the running clock (first response, or the "
        "latest one for a next-response clock); null while it runs"
    )
    remaining_seconds: float | None = Field(
        description="Wall-clock seconds until due (negative: overdue); null once stopped. "
        "Business-time remaining needs the calendar code in a shared place"
    )


class CaseOut(BaseModel):
    id: uuid.UUID
    brand: str
    conversation_key: str
    status: str
    team: str
    queue: str
    priority: str
    assignee: str | None
    opened_at: datetime
    sla_started_at: datetime
    sla_due_at: datetime
    first_response_at: datetime | None
    last_response_at: datetime | None = None
    resolved_at: datetime | None
    mention_count: int
    last_mention_at: datetime
    updated_at: datetime
    preview: str | None = Field(default=None, description="The opening mention's first words")
    sla: SlaClock

    @classmethod
    def from_row(cls, row: Any) -> CaseOut:
        data = dict(row)
        return cls(**data, sla=sla_clock(data))


def sla_clock(row: dict[str, Any]) -> SlaClock:
    stopped = row["sla_stopped_at"]
    remaining = None if stopped else (row["sla_due_at"] - row["as_of"]).total_seconds()
    return SlaClock(
        state=row["sla_state"],
        started_at=row["sla_started_at"],
        due_at=row["sla_due_at"],
        stopped_at=stopped,
        remaining_seconds=remaining,
    )


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None


class CorrectionOut(BaseModel):
    id: int
    mention_id: uuid.UUID
    field: str
    model_value: str | None
    value: str
    corrected_by: str
    corrected_at: datetime


class DecisionOut(BaseModel):
    id: int
    mention_id: uuid.UUID
    decision: str
    reason: str | None
    decided_by: str
    decided_at: datetime


class UrgencyReasonOut(BaseModel):
    code: str
    message: str


class MentionOut(BaseModel):
    id: uuid.UUID
    source: str
    source_id: str
    brand: str
    text: str
    author: dict[str, Any]
    url: str | None
    created_at: datetime
    received_at: datetime
    thread_id: str | None
    parent_id: str | None
    sentiment: str
    urgency: str
    language: str
    urgency_reasons: list[UrgencyReasonOut]
    flagged: bool = Field(description="The model classified it abuse or spam")
    classification: dict[str, Any]
    route: dict[str, Any]
    case_id: uuid.UUID | None = None
    corrections: list[CorrectionOut] = []
    moderation: list[DecisionOut] = []


class ResponseOut(BaseModel):
    id: uuid.UUID
    author: str
    text: str
    created_at: datetime


class AuditEntry(BaseModel):
    id: int
    actor: str
    action: str
    case_id: uuid.UUID | None
    mention_id: uuid.UUID | None
    details: dict[str, Any]
    at: datetime


class CaseDetail(CaseOut):
    mentions: list[MentionOut]
    responses: list[ResponseOut]
    assignment_history: list[AuditEntry]
    audit: list[AuditEntry]


class AssignIn(BaseModel):
    assignee: str | None = Field(
        max_length=320, description="Email of a user of your organisation; null to unassign"
    )


class RespondIn(BaseModel):
    text: str = Field(min_length=1, max_length=10_000, description="The reply as posted")


class ReasonIn(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


class MarkIn(BaseModel):
    label: Literal["spam", "abuse"]


class CorrectionIn(BaseModel):
    field: Literal["sentiment", "abuse", "urgency"]
    value: str = Field(
        description="sentiment: negative/neutral/positive; abuse: abuse/spam/none; "
        "urgency: critical/high/normal/low"
    )


CORRECTION_VALUES: dict[str, frozenset[str]] = {
    "sentiment": frozenset({"negative", "neutral", "positive"}),
    "abuse": frozenset({"abuse", "spam", "none"}),
    "urgency": frozenset({"critical", "high", "normal", "low"}),
}


class ModerationIn(BaseModel):
    decision: Literal["hide", "keep", "escalate"]
    reason: str | None = Field(default=None, max_length=2000)


class MentionList(BaseModel):
    items: list[MentionOut]


class MentionPage(BaseModel):
    items: list[MentionOut]
    next_cursor: str | None


class TeamOut(BaseModel):
    id: str
    name: str
    first_response_seconds: int
    warning_fraction: float
    open: int
    unassigned: int
    breached: int


class LoadOut(BaseModel):
    assignee: str
    team: str
    open: int
    breached: int


class TeamBoard(BaseModel):
    teams: list[TeamOut]
    load: list[LoadOut]

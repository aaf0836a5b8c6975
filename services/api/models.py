"""API response models (the published OpenAPI contract)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


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
    resolved_at: datetime | None
    mention_count: int
    last_mention_at: datetime
    updated_at: datetime


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None


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
    classification: dict[str, Any]
    route: dict[str, Any]


class CaseDetail(CaseOut):
    mentions: list[MentionOut]

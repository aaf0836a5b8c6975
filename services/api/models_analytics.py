"""Analytics response models."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class VolumeBucket(BaseModel):
    bucket: datetime
    total: int
    positive: int
    neutral: int
    negative: int
    net_sentiment: float = Field(description="Mean P(positive) − P(negative), −1..1")


class Volume(BaseModel):
    brand: str | None
    bucket: str
    items: list[VolumeBucket]


class VoiceShare(BaseModel):
    brand: str
    name: str
    competitor_of: str | None
    mentions: int
    positive: int
    negative: int
    share: float = Field(description="Share of all mentions of the brand and its competitors")


class ShareOfVoice(BaseModel):
    brand: str
    items: list[VoiceShare]


class SlaGroup(BaseModel):
    key: str
    cases: int
    responded: int
    within_sla: int
    breached: int
    pct_within_sla: float | None = Field(description="Of cases whose outcome is known")
    median_first_response_s: float | None = Field(description="Wall clock")
    p90_first_response_s: float | None = Field(description="Wall clock")
    median_first_response_business_s: float | None = Field(
        default=None, description="In the team's business hours (filled in by the router)"
    )
    p90_first_response_business_s: float | None = Field(
        default=None, description="In the team's business hours (filled in by the router)"
    )
    open: int
    oldest_open_s: float | None


class SlaCompliance(BaseModel):
    group_by: str
    clock: str = Field(
        default="wall+business",
        description="`*_first_response_s` are wall clock; `*_business_s` count open hours only",
    )
    items: list[SlaGroup]


class LabelErrors(BaseModel):
    brand: str
    field: str
    mentions: int
    corrected: int
    error_rate: float | None


class LabelErrorReport(BaseModel):
    items: list[LabelErrors]


class AlertOut(BaseModel):
    id: uuid.UUID
    brand: str
    kind: str = Field(description="`volume` or `negative_share`")
    window_start: datetime
    window_end: datetime
    observed: float
    expected: float
    score: float
    summary: str
    raised_at: datetime
    notified_at: datetime | None
    notify_error: str | None


class Alerts(BaseModel):
    items: list[AlertOut]


class Count(BaseModel):
    value: str
    posts: int


class AuthorReach(BaseModel):
    handle: str
    followers: int
    mentions: int
    negative: int


class Topics(BaseModel):
    brand: str
    posts: int = Field(description="Mentions summarised (the newest, at most 5,000)")
    terms: list[Count]
    hashtags: list[Count]
    phrases: list[Count]
    authors: list[AuthorReach]

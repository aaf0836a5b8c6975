"""Mention events: `earshot.mention.raw.v1` and `earshot.mention.classified.v1`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.ids import conversation_key

SentimentLabel = Literal["negative", "neutral", "positive"]
UrgencyLevel = Literal["critical", "high", "normal", "low"]

MAX_TEXT_CHARS = 20_000


class Author(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    handle: str = Field(min_length=1, max_length=200)
    display_name: str | None = Field(default=None, max_length=300)
    followers: int | None = Field(default=None, ge=0)
    verified: bool | None = None
    account_created_at: AwareDatetime | None = None


class MentionReceived(BaseModel):
    """A validated, normalised mention matched to a brand (`earshot.mention.raw.v1`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mention_id: uuid.UUID
    source: str = Field(min_length=1, max_length=50)
    source_id: str = Field(min_length=1, max_length=200)
    brand: str = Field(min_length=1, max_length=100)
    text: str = Field(max_length=MAX_TEXT_CHARS)
    author: Author
    url: str | None = Field(default=None, max_length=2000)
    lang: str | None = Field(default=None, max_length=16, description="Platform language hint")
    created_at: AwareDatetime = Field(description="Platform time: when the author posted it")
    received_at: AwareDatetime = Field(description="When ingest accepted it")
    thread_id: str | None = Field(default=None, max_length=200)
    parent_id: str | None = Field(default=None, max_length=200)
    matched_by: list[str] = Field(
        default_factory=list, description="Tracking rules that matched; empty if brand was given"
    )
    # Added in v1 as optional fields (additive): older producers simply leave them out.
    repost_of: uuid.UUID | None = Field(
        default=None, description="Mention id of the original when this is a repost/retweet"
    )
    copy_of: uuid.UUID | None = Field(
        default=None,
        description="Mention id of the first mention of this brand with the same text",
    )

    @property
    def conversation_key(self) -> str:
        root = self.thread_id or self.parent_id or self.source_id
        return conversation_key(self.brand, self.source, root)


class Sentiment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: SentimentLabel
    scores: dict[SentimentLabel, float] = Field(description="Probabilities summing to 1")


class Language(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(description="ISO 639-1 code, or 'und' when undetermined")
    confidence: float = Field(ge=0, le=1)
    method: Literal["hint", "detected", "undetermined"]


class Abuse(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    offensive: float = Field(ge=0, le=1)
    hate: float = Field(ge=0, le=1)
    spam: float = Field(ge=0, le=1)


class UrgencyReason(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(description="Stable machine code, e.g. 'legal_threat'")
    message: str = Field(description="Human-readable reason shown to responders")


class Urgency(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    level: UrgencyLevel
    reasons: list[UrgencyReason] = Field(default_factory=list)


class Classification(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sentiment: Sentiment
    language: Language
    abuse: Abuse
    urgency: Urgency
    model_version: str


class MentionClassified(BaseModel):
    """A mention with its classification (`earshot.mention.classified.v1`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mention: MentionReceived
    classification: Classification
    classified_at: datetime

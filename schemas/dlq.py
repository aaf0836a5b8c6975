"""Dead-letter record (`earshot.mention.dlq.v1`): what a consumer could not process, and why."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class DeadLetterOrigin(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    partition: int
    offset: int
    key: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class DeadLetterError(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Literal["invalid_json", "invalid_event", "unknown_type", "too_large", "processing_failed"]
    message: str


class MessageDeadLettered(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    consumer_group: str
    error: DeadLetterError
    origin: DeadLetterOrigin
    payload: str = Field(description="Original message value: UTF-8 text, or base64 if binary")
    payload_encoding: Literal["utf-8", "base64"]
    payload_truncated: bool = False
    failed_at: AwareDatetime

"""Listening alerts announced on `alerts` (`earshot.alert.raised.v1`): a brand's conversation
spiked against its usual level for that time of the week."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

AlertKind = Literal["volume", "negative_share"]


class AlertRaised(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: uuid.UUID = Field(description="Deterministic: brand, kind and window start")
    brand: str
    kind: AlertKind
    window_start: AwareDatetime
    window_end: AwareDatetime
    observed: float = Field(description="Mentions in the window, or the negative share (0..1)")
    expected: float = Field(description="The seasonal baseline for the same window")
    score: float = Field(description="z-score of the observation against the baseline")
    summary: str = Field(description="One sentence a person can read")

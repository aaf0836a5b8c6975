"""Request models for the brand catalogue and teams (admin); invalid input is a clear 422."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

BRAND_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"
Term = Annotated[str, Field(min_length=1, max_length=200)]
Clock = Annotated[str, Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")]
Interval = tuple[Clock, Clock]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class BrandFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    competitor_of: str | None = Field(
        default=None, pattern=BRAND_ID, description="The brand of yours it competes with"
    )
    keywords: list[Term] = Field(default_factory=list, max_length=500)
    hashtags: list[Annotated[str, Field(pattern=r"^#\S{1,139}$")]] = Field(
        default_factory=list, max_length=500
    )
    handles: list[Annotated[str, Field(pattern=r"^@\S{1,139}$")]] = Field(
        default_factory=list, max_length=500
    )
    urgent_keywords: list[Term] = Field(default_factory=list, max_length=500)
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2}$")]] = Field(
        default_factory=list, max_length=50
    )

    @field_validator("keywords", "hashtags", "handles", "urgent_keywords")
    @classmethod
    def lowercase(cls, terms: list[str]) -> list[str]:
        # Tracking rules match case-insensitively; the catalogue stores lowercase terms.
        return [t.lower() for t in terms]


class BrandIn(BrandFields):
    id: str = Field(pattern=BRAND_ID)


class CalendarException(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    open: list[Interval] | None = None
    closed: bool | list[Interval] | None = None

    @model_validator(mode="after")
    def open_or_closed(self) -> CalendarException:
        if self.open is None and self.closed is None:
            raise ValueError("an exception needs 'open' intervals or 'closed'")
        if self.open is not None and self.closed is True:
            raise ValueError("'closed': true contradicts 'open' on the same date")
        return self


class CalendarIn(BaseModel):
    """The business calendar: IANA time zone, weekly opening intervals (overnight shifts as
    e.g. ["22:00", "06:00"]), holidays, dated exceptions. 24/7 is ["00:00", "24:00"] daily."""

    model_config = ConfigDict(extra="forbid")

    timezone: str
    weekly: dict[Weekday, list[Interval]]
    holidays: list[date] = Field(default_factory=list)
    exceptions: list[CalendarException] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("weekly")
    @classmethod
    def no_empty_intervals(cls, weekly: dict[str, list[Interval]]) -> dict[str, list[Interval]]:
        for day, intervals in weekly.items():
            if any(start == end for start, end in intervals):
                raise ValueError(f"{day}: an interval must not start and end at the same time")
        return weekly


class TeamFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    calendar: CalendarIn
    first_response_seconds: int = Field(
        default=21600, gt=0, le=30 * 86400, description="First-response target, business seconds"
    )
    warning_fraction: float = Field(default=0.75, gt=0, lt=1)


class TeamIn(TeamFields):
    id: str = Field(pattern=BRAND_ID)


ResponderStatus = Literal["online", "away", "offline"]


class ResponderIn(BaseModel):
    """Skills, capacity and status; the router assigns within them (docs/routing.md)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    teams: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list)
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2}$")]] = Field(default_factory=list)
    brands: list[Annotated[str, Field(pattern=BRAND_ID)]] = Field(default_factory=list)
    channels: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(default_factory=list)
    capacity: int = Field(default=10, ge=0, le=1000, description="Open cases at most")
    status: ResponderStatus = "offline"


class StatusIn(BaseModel):
    status: ResponderStatus


class ResponderOut(BaseModel):
    id: str
    name: str | None
    teams: list[str]
    languages: list[str]
    brands: list[str]
    channels: list[str]
    capacity: int
    status: ResponderStatus
    open: int


class ResponderList(BaseModel):
    items: list[ResponderOut]

"""Report periods: ISO weeks (`2026-W47`) and calendar months (`2026-11`). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime  # inclusive, UTC midnight
    end: datetime  # exclusive

    @property
    def days(self) -> list[date]:
        return [
            (self.start + timedelta(days=i)).date() for i in range((self.end - self.start).days)
        ]

    def previous(self) -> Period:
        """The period just before, of the same kind (for "compared with last week")."""
        return parse_period(previous_label(self.label))


def parse_period(label: str) -> Period:
    """`YYYY-Www` (ISO week, Monday to Monday) or `YYYY-MM`; ValueError says what is wrong."""
    label = label.strip()
    if match := _WEEK.match(label):
        year, week = int(match[1]), int(match[2])
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError as exc:
            raise ValueError(f"period {label!r}: {year} has no ISO week {week}") from exc
        start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
        return Period(label, start, start + timedelta(weeks=1))
    if match := _MONTH.match(label):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"period {label!r}: month must be 01-12")
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        return Period(label, start, end)
    raise ValueError(
        f"period {label!r}: expected an ISO week like 2026-W47 or a month like 2026-11"
    )


def previous_label(label: str) -> str:
    period = parse_period(label)
    if _WEEK.match(label.strip()):
        year, week, _ = (period.start - timedelta(days=7)).date().isocalendar()
        return f"{year}-W{week:02d}"
    before = period.start - timedelta(days=1)
    return f"{before.year}-{before.month:02d}"


def last_complete(kind: str, now: datetime) -> str:
    """The label of the last finished week or month at `now`: what a Monday report covers."""
    if kind == "week":
        year, week, _ = (now.astimezone(UTC) - timedelta(days=7)).date().isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "month":
        first = now.astimezone(UTC).date().replace(day=1) - timedelta(days=1)
        return f"{first.year}-{first.month:02d}"
    raise ValueError(f"kind {kind!r}: expected week or month")

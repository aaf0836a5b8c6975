"""Business calendars and the two functions that carry the SLA model.

Business time is *real elapsed time while the calendar is open*. Opening hours are written in
local wall-clock time, so every local boundary (say "Sunday 00:00") has to become a real
instant before any arithmetic happens. One rule does that everywhere, and it settles both DST
cases:

    A local wall time b becomes the first instant at which the local clock shows b or later.

- Spring forward (wall times in the gap don't exist): b maps to the instant right after the
  gap. A shift written 03:30-05:00 on the Bucharest spring-forward night opens at 04:00 EEST,
  and one lying wholly inside the gap is empty. A night written 00:00-06:00 is 5 real hours.
- Fall back (wall times repeat): b maps to its first occurrence (PEP 495 fold=0), for starts
  and ends alike, so every interval stays one contiguous stretch of real time. A night
  written 00:00-06:00 is 7 real hours; a 03:30-05:00 shift that night is 2.5 hours.

Each local date therefore covers [instant(D 00:00), instant(D+1 00:00)), and the dates tile
the timeline, so the arithmetic walks open periods date by date, never minute by minute.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["BusinessCalendar", "business_seconds_between", "due_at"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_ALWAYS = ((0, 1440),)
# A walk that meets this many consecutive days without a single open period gives up: the
# calendar is effectively never open (or only inside DST gaps) and would otherwise loop forever.
_HORIZON_DAYS = 5 * 366
_DAY_CACHE_LIMIT = 8192

Interval = tuple[int, int]  # (start, end) minutes after local midnight of the starting date
DayIntervals = tuple[Interval, ...]
DatedIntervals = tuple[tuple[date, DayIntervals], ...]
Period = tuple[int, int]  # [start, end) in epoch microseconds


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When a team is open. Build it with `from_dict` or `always_open`.

    Intervals are (start, end) minutes after local midnight of the date they START on, with
    0 <= start < 1440 and start < end <= start + 1440: an end past 1440 runs into the next day.
    """

    timezone: str
    weekly: tuple[DayIntervals, ...]  # seven entries, Monday first
    holidays: frozenset[date] = frozenset()
    # Replaces the weekly hours of that date (and wins over a holiday on it).
    open_exceptions: DatedIntervals = ()
    # Closes the whole date: nothing runs on it and no shift starts on it.
    closed_dates: frozenset[date] = frozenset()
    # Local stretches (overnight allowed) closed on top of whatever would be open.
    closed_exceptions: DatedIntervals = ()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _open_on: dict[date, DayIntervals] = field(init=False, repr=False, compare=False, hash=False)
    _closed_on: dict[date, DayIntervals] = field(init=False, repr=False, compare=False, hash=False)
    # Memo of open periods per local date; it never changes an answer, only saves work.
    _days: dict[date, tuple[Period, ...]] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("weekly must have seven entries, Monday first")
        for day in (*self.weekly, *(i for _, i in self.open_exceptions)):
            _check_intervals(day)
        for _, closed in self.closed_exceptions:
            _check_intervals(closed)
        object.__setattr__(self, "_zone", ZoneInfo(_parse_timezone(self.timezone)))
        object.__setattr__(self, "_open_on", _group(self.open_exceptions))
        object.__setattr__(self, "_closed_on", _group(self.closed_exceptions))
        object.__setattr__(self, "_days", {})

    @classmethod
    def from_dict(cls, data: object) -> BusinessCalendar:
        """Parse the JSON calendar format; raises ValueError naming the offending field."""
        data = _as_mapping(data, "calendar", _CALENDAR_KEYS)
        weekly = _as_mapping(data.get("weekly", {}), "weekly", _WEEKDAYS)
        opens, closed_dates, closes = _parse_exceptions(data.get("exceptions", []))
        return cls(
            timezone=_parse_timezone(data.get("timezone")),
            weekly=tuple(_parse_intervals(weekly.get(d, []), f"weekly.{d}") for d in _WEEKDAYS),
            holidays=frozenset(
                _parse_date(d, f"holidays[{i}]")
                for i, d in enumerate(_as_list(data.get("holidays", []), "holidays"))
            ),
            open_exceptions=opens,
            closed_dates=closed_dates,
            closed_exceptions=closes,
        )

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> BusinessCalendar:
        """24/7: identical to a weekly calendar with 00:00-24:00 on every day."""
        return cls(timezone=timezone, weekly=(_ALWAYS,) * 7)

    def is_ever_open(self) -> bool:
        return any(self.weekly) or any(intervals for _, intervals in self.open_exceptions)

    def open_periods_on(self, day: date) -> tuple[Period, ...]:
        """Disjoint, sorted open periods (epoch µs) within the local date `day`."""
        cached = self._days.get(day)
        if cached is None:
            if len(self._days) >= _DAY_CACHE_LIMIT:
                self._days.clear()
            cached = self._days[day] = self._compute_day(day)
        return cached

    def _compute_day(self, day: date) -> tuple[Period, ...]:
        if day in self.closed_dates:
            return ()
        lo, hi = self._instant(day, 0), self._instant(day, 1440)
        # Shifts that started yesterday may still run past midnight into today.
        yesterday = day - _ONE_DAY
        opens = self._clip(yesterday, self._starting_on(yesterday), lo, hi)
        opens += self._clip(day, self._starting_on(day), lo, hi)
        closes = self._clip(yesterday, self._closed_on.get(yesterday, ()), lo, hi)
        closes += self._clip(day, self._closed_on.get(day, ()), lo, hi)
        return tuple(_subtract(_merge(opens), _merge(closes)))

    def _starting_on(self, day: date) -> DayIntervals:
        exception = self._open_on.get(day)
        if exception is not None:
            return exception
        # A holiday only cancels shifts that START on it: last night's shift still runs into it.
        if day in self.holidays or day in self.closed_dates:
            return ()
        return self.weekly[day.weekday()]

    def _clip(self, day: date, intervals: DayIntervals, lo: int, hi: int) -> list[Period]:
        periods = []
        for start, end in intervals:
            a = max(self._instant(day, start), lo)
            b = min(self._instant(day, end), hi)
            if a < b:
                periods.append((a, b))
        return periods

    def _instant(self, day: date, minute: int) -> int:
        """Epoch µs of the first instant the local clock shows `minute` after `day` midnight."""
        wall = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
        first = wall.replace(tzinfo=self._zone)  # fold=0: the first occurrence of a repeat
        if first.astimezone(UTC).astimezone(self._zone).replace(tzinfo=None) == wall:
            return _to_us(first)
        return _to_us(self._end_of_gap(wall))

    def _end_of_gap(self, wall: datetime) -> datetime:
        """The instant right after the DST gap that swallowed `wall`.

        In a gap, fold=1 reads `wall` with the offset after the change (a real instant before
        the gap, clock < wall) and fold=0 with the offset before it (after the gap, clock >
        wall); bisect between them to the first second whose clock reads `wall` or later.
        """
        lo = int(wall.replace(tzinfo=self._zone, fold=1).timestamp())
        hi = int(wall.replace(tzinfo=self._zone, fold=0).timestamp())
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, self._zone).replace(tzinfo=None) >= wall:
                hi = mid
            else:
                lo = mid
        return datetime.fromtimestamp(hi, UTC)

    def local_date(self, instant: datetime) -> date:
        """The local date whose periods contain `instant`."""
        day = instant.astimezone(self._zone).date()
        # A fall-back from just after midnight to the evening before makes the clock show
        # yesterday's date again, though the date already began at its first midnight.
        if self._instant(day + _ONE_DAY, 0) <= _to_us(instant):
            day += _ONE_DAY
        return day


def due_at(start: datetime, business_seconds: float, calendar: BusinessCalendar) -> datetime:
    """The earliest instant by which `business_seconds` of open time have passed since `start`.

    Raises ValueError for a naive `start`, a negative or non-finite target, or a calendar that
    is not open anywhere within the search horizon. Returns a UTC-aware datetime.
    """
    _require_aware(start, "start")
    if not math.isfinite(business_seconds) or business_seconds < 0:
        raise ValueError(f"business_seconds must be a finite number >= 0, got {business_seconds}")
    at = _to_us(start)
    remaining = round(business_seconds * 1_000_000)
    if remaining == 0:
        return _from_us(at)
    if remaining > _to_us(datetime.max.replace(tzinfo=UTC)) - at:
        raise ValueError("business_seconds reaches past the last supported date")
    if not calendar.is_ever_open():
        raise ValueError("calendar is never open: it has no weekly hours and no open exceptions")
    day, idle_days = calendar.local_date(start), 0
    while idle_days <= _HORIZON_DAYS:
        periods = calendar.open_periods_on(day)
        idle_days = idle_days + 1 if not periods else 0
        for period_start, period_end in periods:
            begin = max(period_start, at)
            if period_end - begin >= remaining:
                return _from_us(begin + remaining)
            remaining -= max(period_end - begin, 0)
        day = _next_day(day)
    raise ValueError(f"calendar is not open at all in {_HORIZON_DAYS} consecutive days")


def business_seconds_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> float:
    """Open time in seconds between two instants; 0.0 when `end` is not after `start`."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    lo, hi = _to_us(start), _to_us(end)
    if hi <= lo:
        return 0.0
    total, day, last = 0, calendar.local_date(start), calendar.local_date(end)
    while day <= last:
        for period_start, period_end in calendar.open_periods_on(day):
            total += max(min(period_end, hi) - max(period_start, lo), 0)
        day = _next_day(day)
    return total / 1_000_000


def _next_day(day: date) -> date:
    if day >= date.max - 3 * _ONE_DAY:  # a date's shifts may end two dates later
        raise ValueError("business time runs past the last supported date")
    return day + _ONE_DAY


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _to_us(instant: datetime) -> int:
    # Integer microseconds keep the arithmetic exact: due and elapsed round-trip bit for bit.
    return (instant - _EPOCH) // _MICROSECOND


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _merge(periods: list[Period]) -> list[Period]:
    merged: list[Period] = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(opens: list[Period], closes: list[Period]) -> list[Period]:
    result: list[Period] = []
    for start, end in opens:
        for close_start, close_end in closes:
            if close_end <= start or close_start >= end:
                continue
            if close_start > start:
                result.append((start, close_start))
            start = max(start, close_end)
        if start < end:
            result.append((start, end))
    return result


def _group(pairs: DatedIntervals) -> dict[date, DayIntervals]:
    grouped: dict[date, DayIntervals] = {}
    for day, intervals in pairs:
        grouped[day] = grouped.get(day, ()) + intervals
    return grouped


def _check_intervals(intervals: DayIntervals) -> None:
    for start, end in intervals:
        if not (0 <= start < 1440 and start < end <= start + 1440):
            raise ValueError(
                f"invalid interval ({start}, {end}): need 0 <= start < 1440 "
                "and start < end <= start + 1440 (minutes)"
            )


# --- the JSON calendar format ---------------------------------------------------------------

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CALENDAR_KEYS = ("timezone", "weekly", "holidays", "exceptions")
_EXCEPTION_KEYS = ("date", "open", "closed")
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_exceptions(value: object) -> tuple[DatedIntervals, frozenset[date], DatedIntervals]:
    opens: list[tuple[date, DayIntervals]] = []
    closed_dates: set[date] = set()
    closes: list[tuple[date, DayIntervals]] = []
    for i, item in enumerate(_as_list(value, "exceptions")):
        where = f"exceptions[{i}]"
        entry = _as_mapping(item, where, _EXCEPTION_KEYS)
        day = _parse_date(entry.get("date"), f"{where}.date")
        if "open" not in entry and "closed" not in entry:
            raise ValueError(f"{where}: needs 'open' (intervals) or 'closed' (true or intervals)")
        if "open" in entry:
            opens.append((day, _parse_intervals(entry["open"], f"{where}.open")))
        closed = entry.get("closed")
        if closed is True:
            if "open" in entry:
                raise ValueError(f"{where}: 'closed': true contradicts 'open' on the same date")
            closed_dates.add(day)
        elif closed is not None:
            closes.append((day, _parse_intervals(closed, f"{where}.closed")))
    return tuple(opens), frozenset(closed_dates), tuple(closes)


def _parse_timezone(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"timezone: expected an IANA time zone name, got {value!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone: unknown time zone {value!r}") from None
    return value


def _parse_intervals(value: object, where: str) -> DayIntervals:
    return tuple(
        _parse_interval(item, f"{where}[{i}]") for i, item in enumerate(_as_list(value, where))
    )


def _parse_interval(value: object, where: str) -> Interval:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f'{where}: expected a pair ["HH:MM", "HH:MM"], got {value!r}')
    if value[0] == "24:00":
        raise ValueError(f"{where}: '24:00' can only end an interval, not start one")
    start = _parse_minute(value[0], where)
    end = 1440 if value[1] == "24:00" else _parse_minute(value[1], where)
    # An end that is not after the start runs past midnight: ["22:00", "06:00"] is 8 hours.
    return (start, end if end > start else end + 1440)


def _parse_minute(value: object, where: str) -> int:
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{where}: bad time {value!r}, expected HH:MM from 00:00 to 23:59")
    return int(match[1]) * 60 + int(match[2])


def _parse_date(value: object, where: str) -> date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{where}: bad date {value!r}, expected YYYY-MM-DD")


def _as_list(value: object, where: str) -> list[object]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{where}: expected a list, got {type(value).__name__}")
    return list(value)


def _as_mapping(value: object, where: str, allowed: tuple[str, ...]) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected an object, got {type(value).__name__}")
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )
    return value

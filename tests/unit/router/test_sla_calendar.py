"""Business-hours SLA arithmetic: a decision table of worked examples, then properties checked
against a brute-force minute-by-minute oracle that knows nothing of the implementation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.router.sla import BusinessCalendar, business_seconds_between, due_at

BUCHAREST = ZoneInfo("Europe/Bucharest")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY_TO_FRIDAY = ("mon", "tue", "wed", "thu", "fri")


def at(zone: ZoneInfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=zone)


def calendar(
    weekly: dict[str, list[list[str]]] | None = None, zone: str = "Europe/Bucharest", **rest: Any
) -> BusinessCalendar:
    office = {day: [["09:00", "18:00"]] for day in MONDAY_TO_FRIDAY}
    return BusinessCalendar.from_dict(
        {"timezone": zone, "weekly": office if weekly is None else weekly, **rest}
    )


OFFICE = calendar(holidays=["2026-01-01", "2026-12-25"])
NIGHTS_WEEKLY = {day: [["22:00", "06:00"]] for day in WEEKDAYS}
NIGHTS = calendar(NIGHTS_WEEKLY, holidays=["2026-12-25"])


# --- decision table -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        pytest.param(
            at(BUCHAREST, 2026, 3, 26, 12), 6, at(BUCHAREST, 2026, 3, 26, 18), id="same-day"
        ),
        pytest.param(
            at(BUCHAREST, 2026, 3, 26, 16), 6, at(BUCHAREST, 2026, 3, 27, 13), id="next-day"
        ),
        pytest.param(
            at(BUCHAREST, 2026, 3, 20, 15), 6, at(BUCHAREST, 2026, 3, 23, 12), id="weekend"
        ),
        pytest.param(
            at(BUCHAREST, 2026, 12, 24, 15), 6, at(BUCHAREST, 2026, 12, 28, 12), id="holiday"
        ),
        pytest.param(
            at(BUCHAREST, 2025, 12, 31, 16), 6, at(BUCHAREST, 2026, 1, 2, 13), id="year-end"
        ),
        pytest.param(
            at(BUCHAREST, 2026, 3, 21, 10), 1, at(BUCHAREST, 2026, 3, 23, 10), id="closed"
        ),
        pytest.param(
            at(BUCHAREST, 2026, 3, 26, 18), 1, at(BUCHAREST, 2026, 3, 27, 10), id="at-end"
        ),
        pytest.param(
            at(BUCHAREST, 2026, 3, 26, 9), 9, at(BUCHAREST, 2026, 3, 26, 18), id="full-day"
        ),
    ],
)
def test_due_time_in_office_hours(start: datetime, hours: float, expected: datetime) -> None:
    assert due_at(start, hours * HOUR, OFFICE) == expected


def test_due_time_is_utc_aware() -> None:
    due = due_at(at(BUCHAREST, 2026, 3, 26, 12), 6 * HOUR, OFFICE)
    assert due.tzinfo is UTC and due == datetime(2026, 3, 26, 16, tzinfo=UTC)


def test_zero_seconds_is_due_at_start_even_when_closed() -> None:
    saturday = at(BUCHAREST, 2026, 3, 21, 10)
    assert due_at(saturday, 0, OFFICE) == saturday


def test_due_time_counts_only_inside_each_of_several_intervals_a_day() -> None:
    split = calendar({"thu": [["09:00", "12:00"], ["13:00", "17:00"]]})
    assert due_at(at(BUCHAREST, 2026, 3, 26, 11), 2 * HOUR, split) == at(BUCHAREST, 2026, 3, 26, 14)


def test_overnight_shift_runs_past_midnight() -> None:
    assert due_at(at(BUCHAREST, 2026, 3, 10, 23), 4 * HOUR, NIGHTS) == at(BUCHAREST, 2026, 3, 11, 3)


def test_overnight_shift_starting_the_evening_before_a_holiday_runs_into_it() -> None:
    due = due_at(at(BUCHAREST, 2026, 12, 24, 23), 7 * HOUR, NIGHTS)
    assert due == at(BUCHAREST, 2026, 12, 25, 6)


def test_due_time_skips_holiday_on_overnight_shift() -> None:
    due = due_at(at(BUCHAREST, 2026, 12, 24, 23), 10 * HOUR, NIGHTS)
    assert due == at(BUCHAREST, 2026, 12, 27, 1)


def test_interval_ending_at_24_00_joins_the_next_day_opening_at_00_00() -> None:
    evening = calendar({"mon": [["18:00", "24:00"]], "tue": [["00:00", "06:00"]]})
    assert due_at(at(BUCHAREST, 2026, 3, 9, 23), 2 * HOUR, evening) == at(BUCHAREST, 2026, 3, 10, 1)
    monday, wednesday = at(BUCHAREST, 2026, 3, 9), at(BUCHAREST, 2026, 3, 11)
    assert business_seconds_between(monday, wednesday, evening) == 12 * HOUR


def test_open_exception_opens_a_normally_closed_date() -> None:
    saturday = calendar(exceptions=[{"date": "2026-03-21", "open": [["10:00", "14:00"]]}])
    due = due_at(at(BUCHAREST, 2026, 3, 20, 17), 3 * HOUR, saturday)
    assert due == at(BUCHAREST, 2026, 3, 21, 12)


def test_open_exception_replaces_the_weekly_hours_of_its_date() -> None:
    short_eve = calendar(
        holidays=["2026-12-25"], exceptions=[{"date": "2026-12-24", "open": [["09:00", "13:00"]]}]
    )
    due = due_at(at(BUCHAREST, 2026, 12, 24, 12), 3 * HOUR, short_eve)
    assert due == at(BUCHAREST, 2026, 12, 28, 11)


def test_open_exception_wins_over_a_holiday_on_the_same_date() -> None:
    skeleton = calendar(
        holidays=["2026-12-25"], exceptions=[{"date": "2026-12-25", "open": [["10:00", "12:00"]]}]
    )
    due = due_at(at(BUCHAREST, 2026, 12, 24, 17), 2 * HOUR, skeleton)
    assert due == at(BUCHAREST, 2026, 12, 25, 11)


def test_closed_exception_closes_the_whole_date() -> None:
    may_day = calendar(exceptions=[{"date": "2026-05-01", "closed": True}])
    assert due_at(at(BUCHAREST, 2026, 4, 30, 17), 2 * HOUR, may_day) == at(
        BUCHAREST, 2026, 5, 4, 10
    )


def test_closed_date_also_stops_the_overnight_shift_running_into_it() -> None:
    nights = calendar(NIGHTS_WEEKLY, exceptions=[{"date": "2026-03-11", "closed": True}])
    due = due_at(at(BUCHAREST, 2026, 3, 10, 23), 4 * HOUR, nights)
    assert due == at(BUCHAREST, 2026, 3, 13, 1)


def test_closed_exception_intervals_close_only_those_hours() -> None:
    lunch = calendar(exceptions=[{"date": "2026-03-26", "closed": [["12:00", "14:00"]]}])
    due = due_at(at(BUCHAREST, 2026, 3, 26, 11), 3 * HOUR, lunch)
    assert due == at(BUCHAREST, 2026, 3, 26, 16)


def test_elapsed_business_time_over_a_working_week() -> None:
    monday, next_monday = at(BUCHAREST, 2026, 3, 9), at(BUCHAREST, 2026, 3, 16)
    assert business_seconds_between(monday, next_monday, OFFICE) == 45 * HOUR


def test_elapsed_business_time_is_zero_when_end_is_not_after_start() -> None:
    later, earlier = at(BUCHAREST, 2026, 3, 26, 15), at(BUCHAREST, 2026, 3, 26, 10)
    assert business_seconds_between(later, earlier, OFFICE) == 0.0
    assert business_seconds_between(later, later, OFFICE) == 0.0


# --- DST ------------------------------------------------------------------------------------

EARLY_SUNDAY = calendar({"sun": [["00:00", "06:00"]]})


@pytest.mark.parametrize(
    ("sunday", "hours"),
    [(date(2026, 3, 29), 5), (date(2026, 3, 22), 6), (date(2026, 10, 25), 7)],
    ids=["spring-forward", "ordinary", "fall-back"],
)
def test_early_sunday_shift_lasts_real_hours(sunday: date, hours: int) -> None:
    start = datetime.combine(sunday, time(), BUCHAREST)
    assert business_seconds_between(start, start + timedelta(days=1), EARLY_SUNDAY) == hours * HOUR


def test_due_time_across_spring_forward_counts_real_hours() -> None:
    saturday = at(BUCHAREST, 2026, 3, 28, 12)
    assert due_at(saturday, 5 * HOUR, EARLY_SUNDAY) == at(BUCHAREST, 2026, 3, 29, 6)
    assert due_at(saturday, 5.5 * HOUR, EARLY_SUNDAY) == at(BUCHAREST, 2026, 4, 5, 0, 30)


def test_boundary_inside_the_spring_forward_gap_maps_to_the_instant_after_the_gap() -> None:
    gap_start = calendar({"sun": [["03:30", "05:00"]]})  # 03:00-04:00 does not exist on 29 March
    saturday = at(BUCHAREST, 2026, 3, 28)
    assert due_at(saturday, 60, gap_start) == datetime(2026, 3, 29, 1, 1, tzinfo=UTC)
    assert business_seconds_between(saturday, at(BUCHAREST, 2026, 3, 30), gap_start) == HOUR


def test_interval_wholly_inside_the_spring_forward_gap_is_empty() -> None:
    ghost = calendar({"sun": [["03:10", "03:50"]], "mon": [["09:00", "10:00"]]})
    assert due_at(at(BUCHAREST, 2026, 3, 28), 60, ghost) == at(BUCHAREST, 2026, 3, 30, 9, 1)


def test_ambiguous_fall_back_boundary_uses_its_first_occurrence() -> None:
    # 03:00-04:00 happens twice on 25 October: first at UTC+3, then again at UTC+2.
    starts_in_fold = calendar({"sun": [["03:30", "05:00"]]})
    ends_in_fold = calendar({"sun": [["00:00", "03:30"]]})
    saturday, monday = at(BUCHAREST, 2026, 10, 24), at(BUCHAREST, 2026, 10, 26)
    assert due_at(saturday, 60, starts_in_fold) == datetime(2026, 10, 25, 0, 31, tzinfo=UTC)
    assert business_seconds_between(saturday, monday, starts_in_fold) == 2.5 * HOUR
    assert business_seconds_between(saturday, monday, ends_in_fold) == 3.5 * HOUR


@pytest.mark.parametrize(
    ("evening", "hours"), [(date(2026, 3, 7), 7), (date(2026, 10, 31), 9)], ids=["spring", "fall"]
)
def test_new_york_night_shift_lasts_real_hours(evening: date, hours: int) -> None:
    nights = calendar(NIGHTS_WEEKLY, zone="America/New_York")
    start = datetime.combine(evening, time(22), NEW_YORK)
    end = datetime.combine(evening + timedelta(days=1), time(6), NEW_YORK)
    assert business_seconds_between(start, end, nights) == hours * HOUR


def test_new_york_office_due_time_across_spring_forward_weekend() -> None:
    office = calendar({d: [["09:00", "17:00"]] for d in MONDAY_TO_FRIDAY}, zone="America/New_York")
    due = due_at(at(NEW_YORK, 2026, 3, 6, 15), 4 * HOUR, office)
    assert due == datetime(2026, 3, 9, 15, tzinfo=UTC)  # 11:00 EDT


def test_always_open_calendar_counts_real_time_across_dst() -> None:
    start = at(BUCHAREST, 2026, 3, 28, 22)
    due = due_at(start, 24 * HOUR, BusinessCalendar.always_open("Europe/Bucharest"))
    # Aware-datetime arithmetic in one zone is wall-clock arithmetic; add real hours in UTC.
    assert due == start.astimezone(UTC) + timedelta(hours=24) == at(BUCHAREST, 2026, 3, 29, 23)


# --- bad input ------------------------------------------------------------------------------


def test_naive_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(datetime(2026, 3, 26, 12), HOUR, OFFICE)


def test_negative_target_is_rejected() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        due_at(at(BUCHAREST, 2026, 3, 26, 12), -1, OFFICE)


def test_never_open_calendar_is_rejected_instead_of_looping() -> None:
    with pytest.raises(ValueError, match="never open"):
        due_at(at(BUCHAREST, 2026, 3, 26), HOUR, calendar({}))


def test_calendar_open_only_in_the_past_gives_up_after_the_search_horizon() -> None:
    past_only = calendar({}, exceptions=[{"date": "2020-01-06", "open": [["09:00", "10:00"]]}])
    with pytest.raises(ValueError, match="consecutive days"):
        due_at(at(BUCHAREST, 2026, 3, 26), HOUR, past_only)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weekly": {"mon": [["9:00", "18:00"]]}}, r"weekly.mon\[0\]: bad time '9:00'"),
        ({"weekly": {"mon": [["09:00", "25:00"]]}}, "bad time '25:00'"),
        ({"weekly": {"mon": [["24:00", "06:00"]]}}, "'24:00' can only end"),
        ({"weekly": {"mon": [["09:00"]]}}, "expected a pair"),
        ({"weekly": {"monday": []}}, "unknown key.*monday"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"holidays": ["25/12/2026"]}, r"holidays\[0\]: bad date"),
        ({"holiday": []}, "unknown key.*holiday"),
        ({"exceptions": [{"date": "2026-12-24"}]}, "needs 'open'"),
        ({"exceptions": [{"date": "2026-12-24", "closed": True, "open": []}]}, "contradicts"),
    ],
)
def test_invalid_calendar_is_rejected_with_the_reason(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_dict({"timezone": "Europe/Bucharest", **change})


def test_calendar_is_hashable_and_compares_by_value() -> None:
    again = calendar(holidays=["2026-12-25", "2026-01-01"])
    assert again == OFFICE and hash(again) == hash(OFFICE)


# --- the minute-by-minute oracle -------------------------------------------------------------

MINUTE = timedelta(minutes=1)
WINDOW_MINUTES = 7 * 1440  # the oracle looks this far ahead of a start
Span = tuple[datetime, datetime]  # [start, end) in local wall-clock time


class Oracle:
    """Decides "open?" for one UTC minute at a time, straight from the calendar's JSON rules."""

    def __init__(self, cal: dict[str, Any]) -> None:
        self.zone = ZoneInfo(cal["timezone"])
        self.weekly = cal.get("weekly", {})
        self.holidays = {date.fromisoformat(d) for d in cal.get("holidays", [])}
        self.opens: dict[date, list[list[str]]] = {}
        self.closes: dict[date, list[list[str]]] = {}
        self.closed_dates: set[date] = set()
        self.rules: dict[date, tuple[list[Span], list[Span]]] = {}
        for exception in cal.get("exceptions", []):
            day = date.fromisoformat(exception["date"])
            if "open" in exception:
                self.opens.setdefault(day, []).extend(exception["open"])
            if exception.get("closed") is True:
                self.closed_dates.add(day)
            elif "closed" in exception:
                self.closes.setdefault(day, []).extend(exception["closed"])

    def open_minutes(self, start: datetime) -> Iterator[bool]:
        """Whether each UTC minute from `start` on is open, without end."""
        shown, t = datetime.min, start - 6 * 60 * MINUTE
        while True:
            # After a fall-back the clock repeats readings; a wall time counts as reached once
            # the clock has shown it, so judge each minute by the latest reading seen so far.
            shown = max(shown, t.astimezone(self.zone).replace(tzinfo=None))
            if t >= start:
                yield self.is_open(shown)
            t += MINUTE

    def is_open(self, wall: datetime) -> bool:
        opens, closes = self.rules_for(wall.date())
        return any(s <= wall < e for s, e in opens) and not any(s <= wall < e for s, e in closes)

    def rules_for(self, today: date) -> tuple[list[Span], list[Span]]:
        """Open and closed wall-clock spans that may cover a moment of `today`."""
        if today not in self.rules:
            days = (today - timedelta(days=1), today)
            opens = [_span(day, i) for day in days for i in self.starting_on(day)]
            closes = [_span(day, i) for day in days for i in self.closes.get(day, [])]
            self.rules[today] = ([], []) if today in self.closed_dates else (opens, closes)
        return self.rules[today]

    def starting_on(self, day: date) -> list[list[str]]:
        if day in self.opens:
            return self.opens[day]
        if day in self.holidays or day in self.closed_dates:
            return []
        return list(self.weekly.get(WEEKDAYS[day.weekday()], []))


def _span(day: date, interval: list[str]) -> Span:
    start = datetime.combine(day, time.fromisoformat(interval[0]))
    if interval[1] == "24:00":
        end = datetime.combine(day + timedelta(days=1), time())
    else:
        end = datetime.combine(day, time.fromisoformat(interval[1]))
    return start, end if end > start else end + timedelta(days=1)


# --- properties -----------------------------------------------------------------------------

YEAR_END = date(2026, 12, 31)
# Per zone: its 2026 DST changes (local dates) and the local minutes that are skipped or
# repeated on them. Boundaries drawn from those minutes are where calendars go wrong.
DST = {
    "Europe/Bucharest": ([date(2026, 3, 29), date(2026, 10, 25)], (180, 240)),
    "America/New_York": ([date(2026, 3, 8), date(2026, 11, 1)], (60, 180)),
    "Australia/Sydney": ([date(2026, 4, 5), date(2026, 10, 4)], (120, 180)),
    # Paraguay changed clocks at midnight: 00:00 did not exist, then 23:00-24:00 repeated.
    "America/Asuncion": ([date(2023, 10, 1), date(2024, 3, 24)], (1380, 1500)),
    "Asia/Kolkata": ([], (0, 1439)),
    "UTC": ([], (0, 1439)),
}
ZONES = list(DST)


def _clock(minute: int) -> str:
    return "24:00" if minute == 1440 else f"{minute // 60:02d}:{minute % 60:02d}"


def _day_strategy(hot_from: int, hot_to: int) -> st.SearchStrategy[list[list[str]]]:
    minutes = st.one_of(
        st.integers(0, 1439),
        st.integers(0, 47).map(lambda half_hours: half_hours * 30),
        st.integers(hot_from, hot_to).map(lambda minute: minute % 1440),
    )
    interval = st.tuples(minutes, st.one_of(minutes, st.just(1440))).map(
        lambda ends: [_clock(ends[0]), _clock(ends[1])]
    )
    return st.lists(interval, max_size=3)


# Built once: strategies made inside a composite on every draw make generation the bottleneck.
DAYS = {zone: _day_strategy(*hot) for zone, (_, hot) in DST.items()}
NEAR = {
    anchor: st.dates(anchor - timedelta(days=4), anchor + timedelta(days=8)).map(str)
    for anchor in {YEAR_END, *(change for changes, _ in DST.values() for change in changes)}
}


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], datetime]:
    """A random calendar and a minute-aligned start a few days around a DST change or a year
    end in the calendar's own zone."""
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from([*DST[zone][0], YEAR_END]))
    day, near = DAYS[zone], NEAR[anchor]
    weekly = {d: draw(day) for d in WEEKDAYS if draw(st.booleans())}
    # One long weekly interval guarantees some open time every week, so due times exist.
    long_start, length = draw(st.integers(0, 1439)), draw(st.integers(120, 1440))
    weekly.setdefault(draw(st.sampled_from(WEEKDAYS)), []).append(
        [_clock(long_start), _clock((long_start + length) % 1440)]
    )
    opens = draw(st.lists(st.fixed_dictionaries({"date": near, "open": day}), max_size=2))
    closes = draw(st.lists(st.fixed_dictionaries({"date": near, "closed": day}), max_size=2))
    open_dates = {e["date"] for e in opens}  # 'closed': true on an open date is invalid
    closed_dates = [d for d in draw(st.lists(near, max_size=2)) if d not in open_dates]
    cal = {
        "timezone": zone,
        "weekly": weekly,
        "holidays": draw(st.lists(near, max_size=3)),
        "exceptions": [*opens, *closes, *({"date": d, "closed": True} for d in closed_dates)],
    }
    offset = draw(st.integers(-3 * 1440, 2 * 1440))
    return cal, datetime.combine(anchor, time(), UTC) + offset * MINUTE


ORACLE_SETTINGS = settings(max_examples=150, deadline=None)


@ORACLE_SETTINGS
@given(scenarios(), st.integers(0, 3 * 1440))
def test_due_time_matches_minute_by_minute_oracle(
    scenario: tuple[dict[str, Any], datetime], target_minutes: int
) -> None:
    cal, start = scenario
    due = due_at(start, target_minutes * 60, BusinessCalendar.from_dict(cal))
    counted = 0
    for i, is_open in enumerate(islice(Oracle(cal).open_minutes(start), WINDOW_MINUTES)):
        if counted == target_minutes:
            assert due == start + i * MINUTE
            return
        counted += is_open
    if counted == target_minutes:
        assert due == start + WINDOW_MINUTES * MINUTE
    else:  # not enough open time in the oracle's window: the due time lies beyond it
        assert due > start + WINDOW_MINUTES * MINUTE


@ORACLE_SETTINGS
@given(scenarios(), st.integers(0, WINDOW_MINUTES))
def test_elapsed_business_time_matches_minute_by_minute_oracle(
    scenario: tuple[dict[str, Any], datetime], span_minutes: int
) -> None:
    cal, start = scenario
    elapsed = business_seconds_between(
        start, start + span_minutes * MINUTE, BusinessCalendar.from_dict(cal)
    )
    assert elapsed == 60 * sum(islice(Oracle(cal).open_minutes(start), span_minutes))


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.integers(0, 10 * 86_400_000).map(lambda ms: ms / 1000))
def test_elapsed_business_time_until_the_due_time_is_the_target(
    scenario: tuple[dict[str, Any], datetime], seconds: float
) -> None:
    cal, start = scenario
    business = BusinessCalendar.from_dict(cal)
    assert business_seconds_between(start, due_at(start, seconds, business), business) == seconds


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.integers(0, 3 * 86_400), st.integers(0, 3 * 86_400), st.integers(0, 7200))
def test_due_time_never_moves_earlier_for_a_later_start_or_a_bigger_target(
    scenario: tuple[dict[str, Any], datetime], seconds: int, more: int, later: int
) -> None:
    cal, start = scenario
    business = BusinessCalendar.from_dict(cal)
    due = due_at(start, seconds, business)
    assert due <= due_at(start, seconds + more, business)
    assert due <= due_at(start + timedelta(seconds=later), seconds, business)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.sampled_from(sorted(NEAR)),
    st.integers(-4 * 1440, 4 * 1440),
)
def test_midnight_to_midnight_every_day_behaves_like_always_open(
    zone: str, anchor: date, offset_minutes: int
) -> None:
    start = datetime.combine(anchor, time(), UTC) + offset_minutes * MINUTE
    weekly = calendar({d: [["00:00", "24:00"]] for d in WEEKDAYS}, zone=zone)
    always = BusinessCalendar.always_open(zone)
    for seconds in (0, 1, 3600, 86_399, 86_400, 3 * 86_400 + 7):
        assert due_at(start, seconds, weekly) == due_at(start, seconds, always)
        assert due_at(start, seconds, always) == start + timedelta(seconds=seconds)

"""`earshot sla due|elapsed`: JSON lines in, one answer line out per request, in order."""

from __future__ import annotations

import io
import json
from typing import Any

from typer.testing import CliRunner

from services.router.sla.commands import app, run_due, run_elapsed

OFFICE = {
    "timezone": "Europe/Bucharest",
    "weekly": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-12-25"],
}


def lines(*requests: dict[str, Any] | str) -> io.StringIO:
    text = (r if isinstance(r, str) else json.dumps(r) for r in requests)
    return io.StringIO("".join(f"{line}\n" for line in text))


def answers(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_due_answers_each_line_with_a_utc_due_time() -> None:
    out = io.StringIO()
    code = run_due(
        lines(
            # Friday 18:30 local, after closing: six hours of Monday, which is summer time.
            {
                "id": "a",
                "calendar": OFFICE,
                "start": "2026-03-27T16:30:00Z",
                "business_seconds": 21600,
            },
            {
                "id": 7,
                "calendar": OFFICE,
                "start": "2026-03-26T12:00:00+02:00",
                "business_seconds": 0,
            },
        ),
        out,
    )
    assert code == 0
    assert answers(out) == [
        {"id": "a", "due": "2026-03-30T12:00:00Z"},
        {"id": 7, "due": "2026-03-26T10:00:00Z"},
    ]


def test_elapsed_answers_each_line_with_business_seconds() -> None:
    out = io.StringIO()
    request = {"id": "w", "calendar": OFFICE, "start": "2026-03-09T00:00:00+02:00"}
    code = run_elapsed(lines({**request, "end": "2026-03-16T00:00:00+02:00"}), out)
    assert code == 0
    assert answers(out) == [{"id": "w", "business_seconds": 45 * 3600.0}]


def test_bad_line_answers_with_an_error_and_processing_continues() -> None:
    good = {"id": "ok", "calendar": OFFICE, "start": "2026-03-26T10:00:00Z", "business_seconds": 60}
    out = io.StringIO()
    code = run_due(
        lines(
            "not json",
            {**good, "id": "naive", "start": "2026-03-26T10:00:00"},
            {**good, "id": "tz", "calendar": {**OFFICE, "timezone": "Mars/Olympus_Mons"}},
            {**good, "id": "neg", "business_seconds": -5},
            {**good, "id": "nocal", "calendar": None},
            good,
        ),
        out,
    )
    assert code == 1
    replies = answers(out)
    assert [r["id"] for r in replies] == [None, "naive", "tz", "neg", "nocal", "ok"]
    assert all("error" in r for r in replies[:-1])
    assert "UTC offset" in replies[1]["error"] and "unknown time zone" in replies[2]["error"]
    assert replies[-1] == {"id": "ok", "due": "2026-03-26T10:01:00Z"}


def test_blank_lines_are_skipped() -> None:
    out = io.StringIO()
    assert run_elapsed(io.StringIO("\n  \n"), out) == 0
    assert out.getvalue() == ""


def test_ten_thousand_lines_with_one_calendar_all_complete() -> None:
    requests = (
        {
            "id": i,
            "calendar": OFFICE,
            "start": f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "business_seconds": 3600 * (1 + i % 40),
        }
        for i in range(10_000)
    )
    out = io.StringIO()
    assert run_due(lines(*requests), out) == 0
    replies = answers(out)
    assert len(replies) == 10_000 and all("due" in r for r in replies)


def test_typer_app_reads_stdin_and_exits_nonzero_on_a_bad_line() -> None:
    runner = CliRunner()
    good = json.dumps(
        {
            "id": 1,
            "calendar": OFFICE,
            "start": "2026-03-26T10:00:00Z",
            "end": "2026-03-26T12:00:00Z",
        }
    )
    result = runner.invoke(app, ["elapsed"], input=f"{good}\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"id": 1, "business_seconds": 7200.0}
    assert runner.invoke(app, ["elapsed"], input="[]\n").exit_code == 1

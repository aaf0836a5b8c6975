"""`earshot sla due|elapsed`: bulk SLA arithmetic over JSON lines on stdin.

Each input line is one request; each output line answers it, in order. A bad line answers
`{"id": ..., "error": "<reason>"}` and the rest still run, so one typo does not sink a batch;
the exit code (1) tells a script that something needs a look.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TextIO

import typer

from services.router.sla.calendar import BusinessCalendar, business_seconds_between, due_at

__all__ = ["app", "run_due", "run_elapsed"]

app = typer.Typer(help="Business-hours SLA arithmetic over JSON lines.", no_args_is_help=True)

Handler = Callable[[Mapping[str, object], BusinessCalendar], dict[str, object]]


@app.command()
def due() -> None:
    """Read {"id", "calendar", "start", "business_seconds"} lines; write {"id", "due"}."""
    raise typer.Exit(code=run_due(sys.stdin, sys.stdout))


@app.command()
def elapsed() -> None:
    """Read {"id", "calendar", "start", "end"} lines; write {"id", "business_seconds"}."""
    raise typer.Exit(code=run_elapsed(sys.stdin, sys.stdout))


def run_due(lines: TextIO, out: TextIO) -> int:
    """Answer every `due` request in `lines`; returns the exit code (0 all good, 1 any bad)."""
    return _run(lines, out, _answer_due)


def run_elapsed(lines: TextIO, out: TextIO) -> int:
    """Answer every `elapsed` request in `lines`; returns the exit code."""
    return _run(lines, out, _answer_elapsed)


def _answer_due(request: Mapping[str, object], calendar: BusinessCalendar) -> dict[str, object]:
    start = _instant(request, "start")
    seconds = request.get("business_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ValueError(f"business_seconds: expected a number, got {seconds!r}")
    return {"due": _format(due_at(start, seconds, calendar))}


def _answer_elapsed(request: Mapping[str, object], calendar: BusinessCalendar) -> dict[str, object]:
    start, end = _instant(request, "start"), _instant(request, "end")
    return {"business_seconds": business_seconds_between(start, end, calendar)}


def _run(lines: TextIO, out: TextIO, answer: Handler) -> int:
    # Batches usually share a handful of calendars; parsing (and the calendar's own memo of
    # open periods per date) is reused by keying on the calendar's canonical JSON text.
    calendars: dict[str, BusinessCalendar | ValueError] = {}
    failed = False
    for line in lines:
        if not line.strip():
            continue
        request_id: object = None
        try:
            request = _json(line)
            if not isinstance(request, dict):
                raise ValueError(f"expected a JSON object, got {type(request).__name__}")
            request_id = request.get("id")
            reply = {"id": request_id, **answer(request, _calendar(request, calendars))}
        except (ValueError, OverflowError) as error:
            failed = True
            reply = {"id": request_id, "error": str(error)}
        out.write(json.dumps(reply) + "\n")
    return 1 if failed else 0


def _json(line: str) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON: {error}") from None


def _calendar(
    request: Mapping[str, object], cache: dict[str, BusinessCalendar | ValueError]
) -> BusinessCalendar:
    if "calendar" not in request:
        raise ValueError("missing 'calendar'")
    key = json.dumps(request["calendar"], sort_keys=True)
    if key not in cache:
        try:
            cache[key] = BusinessCalendar.from_dict(request["calendar"])
        except ValueError as error:  # remember bad calendars too: same text, same reason
            cache[key] = error
    found = cache[key]
    if isinstance(found, ValueError):
        raise ValueError(f"invalid calendar: {found}")
    return found


def _instant(request: Mapping[str, object], name: str) -> datetime:
    value = request.get(name)
    if not isinstance(value, str):
        raise ValueError(f"{name}: expected an ISO-8601 timestamp, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: not an ISO-8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{name}: timestamp needs a UTC offset or 'Z': {value!r}")
    return parsed


def _format(instant: datetime) -> str:
    text = instant.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"

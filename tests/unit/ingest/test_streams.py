"""Streaming connectors reconnect with backoff and resume from the saved cursor."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from services.ingest.connectors import bluesky
from services.ingest.connectors.streams import CursorFile, backoff_s, follow

FIXTURE = Path(__file__).parents[2] / "fixtures" / "ingest" / "bluesky" / "jetstream_events.json"
EVENTS = json.loads(FIXTURE.read_text(encoding="utf-8"))


class Stop(Exception):
    pass


async def test_a_dropped_stream_reconnects_and_resumes_after_the_last_delivered_cursor(
    tmp_path: Path,
) -> None:
    opened_at: list[Any] = []
    delivered: list[str] = []
    sleeps: list[float] = []

    async def open_stream(cursor: Any) -> AsyncIterator[Any]:
        opened_at.append(cursor)
        if len(opened_at) == 1:
            yield EVENTS[0]
            yield EVENTS[1]
            raise ConnectionResetError("peer went away")
        if len(opened_at) == 2:
            raise OSError("network unreachable")
        for event in EVENTS:
            if bluesky.cursor_of(event) > cursor:
                yield event
        raise Stop

    async def deliver(mentions: list[dict[str, Any]]) -> None:
        delivered.extend(m["source_id"] for m in mentions)

    async def no_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    with pytest.raises(Stop):
        await follow(
            name="bluesky",
            open_stream=open_stream,
            convert=bluesky.convert,
            cursor_of=bluesky.cursor_of,
            deliver=deliver,
            cursors=CursorFile(tmp_path / "bluesky.json"),
            sleep=no_sleep,
        )
    assert opened_at == [None, EVENTS[1]["time_us"], EVENTS[1]["time_us"]]
    assert len(delivered) == len(set(delivered)) == 2  # nothing lost, nothing twice
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.5  # backed off, not hammering
    assert CursorFile(tmp_path / "bluesky.json").load() == EVENTS[-1]["time_us"]


async def test_cursor_is_saved_only_after_delivery_succeeds(tmp_path: Path) -> None:
    cursors = CursorFile(tmp_path / "c.json")

    async def open_stream(cursor: Any) -> AsyncIterator[Any]:
        yield EVENTS[0]

    async def failing(mentions: list[dict[str, Any]]) -> None:
        raise Stop

    with pytest.raises(Stop):
        await follow(
            name="b",
            open_stream=open_stream,
            convert=bluesky.convert,
            cursor_of=bluesky.cursor_of,
            deliver=failing,
            cursors=cursors,
        )
    assert cursors.load() is None


async def test_gives_up_after_max_failures_in_a_row(tmp_path: Path) -> None:
    async def open_stream(cursor: Any) -> AsyncIterator[Any]:
        raise ConnectionRefusedError
        yield  # pragma: no cover

    async def no_sleep(seconds: float) -> None:
        return None

    async def deliver(mentions: list[dict[str, Any]]) -> None:
        return None

    with pytest.raises(ConnectionRefusedError):
        await follow(
            name="b",
            open_stream=open_stream,
            convert=bluesky.convert,
            cursor_of=bluesky.cursor_of,
            deliver=deliver,
            cursors=CursorFile(tmp_path / "c.json"),
            max_failures=3,
            sleep=no_sleep,
        )


def test_backoff_grows_to_a_cap() -> None:
    assert backoff_s(1) <= 1 and backoff_s(20) <= 60 and backoff_s(20) >= 30

"""Streaming and polling clients: reconnect with backoff, resume from a durable cursor.

`follow` is the loop every stream shares: open the stream at the saved cursor, convert each
payload, hand the mentions to `deliver` (which returns once ingest acknowledged them), and
only then save the payload's cursor. A crash between delivery and saving re-delivers a
little, never loses: the mention ids are deterministic and ingest drops repeats. On a
dropped connection it waits 1, 2, 4 ... 60 s (with jitter, so many connectors restarting
together do not stampede the platform) and resumes; a payload received resets the wait.

The platform openers (`jetstream`, `x_filtered_stream`, `mastodon_stream`, `telegram_updates`)
are thin: the network is at the edges, conversion stays in the pure connector modules.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from services.ingest.connectors.base import Mention

log = logging.getLogger(__name__)

Opener = Callable[[Any], AsyncIterator[Any]]
RETRYABLE: tuple[type[BaseException], ...] = (OSError, httpx.TransportError, EOFError)
JETSTREAM_REWIND_US = 5_000_000  # Jetstream's advice: rewind a few seconds for gapless replay


class StreamEnded(EOFError):
    """The server closed the stream: reconnect like after any other drop."""


class CursorFile:
    """A connector's cursor in a small JSON file, replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Any:
        if not self.path.exists():
            return None
        return json.loads(self.path.read_text(encoding="utf-8")).get("cursor")

    def save(self, cursor: Any) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"cursor": cursor}), encoding="utf-8")
        os.replace(tmp, self.path)


def backoff_s(failures: int, *, cap: float = 60.0) -> float:
    base = min(cap, 2.0 ** max(0, failures - 1))
    return base * random.uniform(0.5, 1.0)


async def follow(
    *,
    name: str,
    open_stream: Opener,
    convert: Callable[[Any], list[Mention]],
    cursor_of: Callable[[Any], Any],
    deliver: Callable[[list[Mention]], Awaitable[None]],
    cursors: CursorFile,
    max_failures: int | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Run until cancelled (or `max_failures` drops in a row)."""
    failures = 0
    while True:
        try:
            async for payload in open_stream(cursors.load()):
                failures = 0
                try:
                    mentions = convert(payload)
                except Exception as exc:  # one bad payload must not stop the stream
                    log.warning("payload skipped", extra={"stream": name, "error": repr(exc)})
                    mentions = []
                if mentions:
                    await deliver(mentions)
                cursor = cursor_of(payload)
                if cursor is not None:
                    cursors.save(cursor)
            raise StreamEnded(f"{name}: the server closed the stream")
        except RETRYABLE as exc:
            failures += 1
            if max_failures is not None and failures > max_failures:
                raise
            delay = backoff_s(failures)
            log.warning(
                "stream dropped; reconnecting",
                extra={"stream": name, "error": repr(exc), "retry_in_s": round(delay, 1)},
            )
            await sleep(delay)


async def jetstream(
    cursor: int | None, *, url: str = "wss://jetstream2.us-east.bsky.network/subscribe"
) -> AsyncIterator[Any]:
    """Bluesky Jetstream posts, from `cursor` (µs) rewound a few seconds."""
    import websockets

    query = "wantedCollections=app.bsky.feed.post"
    if cursor is not None:
        query += f"&cursor={max(0, int(cursor) - JETSTREAM_REWIND_US)}"
    try:
        async with websockets.connect(f"{url}?{query}", max_size=2**20) as socket:
            async for message in socket:
                yield json.loads(message)
    except websockets.ConnectionClosed as exc:
        raise StreamEnded(str(exc)) from exc


async def x_filtered_stream(
    cursor: str | None, *, bearer_token: str, backfill_minutes: int = 0
) -> AsyncIterator[Any]:
    """X API v2 filtered stream, one JSON object per line; blank lines are keep-alives."""
    params = {
        "expansions": "author_id,referenced_tweets.id",
        "tweet.fields": "created_at,lang,conversation_id,referenced_tweets",
        "user.fields": "public_metrics,verified,created_at",
    }
    if cursor is not None and backfill_minutes:
        params["backfill_minutes"] = str(backfill_minutes)  # plans that allow it close the gap
    headers = {"authorization": f"Bearer {bearer_token}"}
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(10, read=30)) as client,
        client.stream(
            "GET", "https://api.x.com/2/tweets/search/stream", params=params, headers=headers
        ) as response,
    ):
        if response.status_code == 429 or response.status_code >= 500:
            raise StreamEnded(f"X answered {response.status_code}")
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.strip():
                yield json.loads(line)


async def mastodon_stream(
    cursor: str | None, *, instance: str, access_token: str, stream: str = "public"
) -> AsyncIterator[Any]:
    """Mastodon streaming (server-sent events). The stream has no resume, so after a drop
    the statuses posted since the cursor are read from the public timeline first."""
    headers = {"authorization": f"Bearer {access_token}"}
    base = f"https://{instance}"
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=httpx.Timeout(10, read=60)
    ) as client:
        if cursor is not None:
            local_id = str(cursor).rsplit(":", 1)[-1]
            missed = await client.get(
                "/api/v1/timelines/public", params={"since_id": local_id, "limit": 40}
            )
            missed.raise_for_status()
            for status in reversed(missed.json()):
                yield {"event": "update", "payload": status}
        async with client.stream("GET", f"/api/v1/streaming/{stream}") as response:
            response.raise_for_status()
            event: str | None = None
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line.removeprefix("event:").strip()
                elif line.startswith("data:") and event is not None:
                    yield {"event": event, "payload": line.removeprefix("data:").strip()}
                elif not line:
                    event = None


async def telegram_updates(cursor: int | None, *, bot_token: str) -> AsyncIterator[Any]:
    """Bot API long polling: `getUpdates?offset=<cursor + 1>` confirms everything before it."""
    url = f"https://api.telegram.org/bot{bot_token}/getUpdates"
    offset = None if cursor is None else int(cursor) + 1
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=60)) as client:
        while True:
            params: dict[str, Any] = {"timeout": 50}
            if offset is not None:
                params["offset"] = offset
            response = await client.get(url, params=params)
            response.raise_for_status()
            for update in response.json().get("result", []):
                offset = int(update["update_id"]) + 1
                yield update


def mastodon_cursor(payload: Any, *, instance: str) -> str | None:
    """The instance-scoped id of an `update` event's status."""
    if not isinstance(payload, dict) or payload.get("event") != "update":
        return None
    status = payload.get("payload")
    if isinstance(status, str):
        status = json.loads(status)
    status_id = status.get("id") if isinstance(status, dict) else None
    return f"{instance}:{status_id}" if isinstance(status_id, str) else None

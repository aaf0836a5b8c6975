"""The live stream of case events (Server-Sent Events), filtered to the caller's organisation.

It polls the transactional outbox rather than consuming `cases.events`: the outbox holds every
case event as soon as it commits, with a monotonic id that doubles as the SSE `id:` (so a
reconnecting browser resumes with Last-Event-ID), it works the same with Kafka and the
embedded bus, and needs no consumer group per process. The cost is one indexed query per
client per poll interval.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg

from services.api.repo import events

POLL_S = 0.5
HEARTBEAT_S = 15.0
# Router and API transactions last milliseconds; a row older than this has no in-flight
# predecessor left, so the stream stops re-reading below it.
SETTLE_S = 10.0


async def case_event_stream(
    *,
    pool: asyncpg.Pool[Any],
    organisation_id: str,
    topic: str,
    last_event_id: int | None,
    disconnected: Callable[[], Awaitable[bool]],
    poll_s: float = POLL_S,
) -> AsyncIterator[str]:
    low = last_event_id if last_event_id is not None else await events.latest_event_id(pool=pool)
    sent: set[int] = set()
    yield "retry: 2000\n: connected\n\n"
    last_write = time.monotonic()
    while not await disconnected():
        rows = await events.case_events_after(
            pool=pool,
            organisation_id=organisation_id,
            topic=topic,
            after=low,
            limit=1000,
            settle_s=SETTLE_S,
        )
        for row in rows:
            if row["payload"] is not None and row["id"] not in sent:
                sent.add(row["id"])
                last_write = time.monotonic()
                yield f"id: {row['id']}\ndata: {row['payload']}\n\n"
        settled = [row["id"] for row in rows if row["settled"]]
        if settled:
            low = max(low, *settled)
            sent = {i for i in sent if i > low}
        if time.monotonic() - last_write > HEARTBEAT_S:
            last_write = time.monotonic()
            yield ": keep-alive\n\n"
        await asyncio.sleep(poll_s)

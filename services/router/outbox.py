"""Many outbox rows in one pipelined round trip.

Same statement and guarantees as `services.shared.db.outbox.add_to_outbox` (inside the
caller's transaction, idempotent on the event id); asyncpg's executemany sends the rows as one
pipeline, which is what lets a sweep of 500 timers or a routing batch of 200 mentions stay
within a few round trips. Belongs in services/shared/db/outbox.py; kept here until it moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from schemas import CloudEvent, encode
from services.router.repo import Connection


async def add_many_to_outbox(
    connection: Connection, *, topic: str, events: Sequence[CloudEvent[Any]]
) -> None:
    if not events:
        return
    await connection.executemany(
        """INSERT INTO outbox (event_id, topic, key, payload) VALUES ($1, $2, $3, $4)
           ON CONFLICT (event_id) DO NOTHING""",
        [(event.id, topic, event.partitionkey, encode(event)) for event in events],
    )

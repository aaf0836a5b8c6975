"""Many outbox rows in one pipelined round trip.

Same guarantees as `services.shared.db.outbox.add_to_outbox` (inside the caller's
transaction, idempotent on the event id), as one INSERT ... unnest statement: a sweep of 500
timers or a routing batch of 200 mentions writes its events in one round trip. Rows keep the
events' order (the relay publishes in id order, and a case's events must stay in order).
Belongs in services/shared/db/outbox.py; kept here until it moves.
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
    await connection.execute(
        """INSERT INTO outbox (event_id, topic, key, payload)
           SELECT e.event_id, $2, e.key, e.payload
           FROM unnest($1::uuid[], $3::text[], $4::bytea[]) WITH ORDINALITY
               AS e(event_id, key, payload, ord)
           ORDER BY e.ord
           ON CONFLICT (event_id) DO NOTHING""",
        [event.id for event in events],
        topic,
        [event.partitionkey for event in events],
        [encode(event) for event in events],
    )

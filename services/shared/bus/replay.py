"""`earshot dlq list|replay`: inspect dead letters and send them back where they came from.

Replays are safe to repeat: every consumer is idempotent on the mention id / event id. The
DLQ position is committed only after the replayed messages are acknowledged.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from schemas import TOPIC_MENTIONS_DLQ, EventDecodeError, MessageDeadLettered, decode
from schemas.registry import MAX_DEAD_LETTER_BYTES
from services.shared.bus.base import Bus, Message, Record

REPLAY_GROUP = "earshot-dlq-replay"


@dataclass(frozen=True)
class Selection:
    groups: frozenset[str] = frozenset()
    codes: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None
    ids: frozenset[str] = frozenset()

    def wants(self, event_id: str, dead: MessageDeadLettered) -> bool:
        return (
            (not self.groups or dead.consumer_group in self.groups)
            and (not self.codes or dead.error.code in self.codes)
            and (self.since is None or dead.failed_at >= self.since)
            and (self.until is None or dead.failed_at < self.until)
            and (not self.ids or event_id in self.ids)
        )


@dataclass
class ReplayReport:
    listed: list[tuple[str, MessageDeadLettered]] = field(default_factory=list)
    replayed: Counter[str] = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"replayed {sum(self.replayed.values())} ({dict(self.replayed)}), "
            f"skipped {len(self.skipped)}, unreadable {len(self.unreadable)}"
        ]
        lines += [f"  skipped: {s}" for s in self.skipped[:20]]
        lines += [f"  unreadable: {u}" for u in self.unreadable[:20]]
        return "\n".join(lines)


def replay_record(event_id: str, dead: MessageDeadLettered, *, now: datetime) -> Record | None:
    """The original message, byte for byte, with its key and headers; None if truncated."""
    if dead.payload_truncated:
        return None
    payload = (
        base64.b64decode(dead.payload)
        if dead.payload_encoding == "base64"
        else dead.payload.encode("utf-8")
    )
    headers = (
        *((k, v.encode()) for k, v in dead.origin.headers.items()),
        ("earshot-replay-of", event_id.encode()),
        ("earshot-replayed-at", now.isoformat().encode()),
    )
    key = dead.origin.key.encode() if dead.origin.key is not None else None
    return Record(dead.origin.topic, payload, key=key, headers=headers)


async def replay_dead_letters(
    bus: Bus,
    *,
    selection: Selection,
    topic_prefix: str = "",
    dry_run: bool = False,
    limit: int | None = None,
    idle_ms: int = 2000,
) -> ReplayReport:
    """Read the DLQ from this tool's committed position until it is idle for `idle_ms`."""
    report = ReplayReport()
    consumer = bus.consumer([f"{topic_prefix}{TOPIC_MENTIONS_DLQ}"], group=REPLAY_GROUP)
    await consumer.start()
    try:
        while limit is None or len(report.listed) < limit:
            messages = await consumer.fetch(max_records=200, timeout_ms=idle_ms)
            if not messages:
                break
            records = _select(messages, selection, report, limit)
            if dry_run:
                continue  # nothing sent, nothing committed
            await bus.producer.send_many(records)
            await consumer.commit(messages)
    finally:
        await consumer.stop()
    return report


def _select(
    messages: Sequence[Message], selection: Selection, report: ReplayReport, limit: int | None
) -> list[Record]:
    now = datetime.now(UTC)
    records: list[Record] = []
    for message in messages:
        where = f"{message.topic}[{message.partition}]@{message.offset}"
        try:
            event = decode(message.value, message.headers, max_bytes=MAX_DEAD_LETTER_BYTES)
        except EventDecodeError as exc:
            report.unreadable.append(f"{where}: {exc.message}")
            continue
        dead = event.data
        if not isinstance(dead, MessageDeadLettered) or not selection.wants(event.id, dead):
            continue
        if limit is not None and len(report.listed) >= limit:
            break
        report.listed.append((event.id, dead))
        record = replay_record(event.id, dead, now=now)
        if record is None:
            origin = dead.origin
            report.skipped.append(
                f"{event.id}: payload truncated; original at "
                f"{origin.topic}[{origin.partition}]@{origin.offset}"
            )
            continue
        records.append(record)
        report.replayed[dead.error.code] += 1
    return records

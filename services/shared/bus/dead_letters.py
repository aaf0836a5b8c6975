"""Dead-lettering: a message a consumer cannot process goes to `mentions.dlq` with the reason."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence

from schemas import (
    MESSAGE_DEAD_LETTERED_V1,
    TOPIC_MENTIONS_DLQ,
    DeadLetterError,
    DeadLetterOrigin,
    MessageDeadLettered,
    encode,
    make_event,
)
from schemas.envelope import utcnow
from services.shared.bus.base import Message, Producer, Record

# The whole payload is kept up to this size; a larger poison message keeps its first part
# (it also stays in its own topic at the recorded offset until retention removes it).
MAX_DLQ_PAYLOAD_BYTES = 4 * 1024 * 1024
_DLQ_NAMESPACE = uuid.UUID("0b6f8b46-2f1b-4a4e-9c55-8f3a3c1d9e10")


def dead_letter_record(
    message: Message, *, group: str, code: str, reason: str, topic: str = TOPIC_MENTIONS_DLQ
) -> Record:
    value = message.value or b""
    truncated = len(value) > MAX_DLQ_PAYLOAD_BYTES
    value = value[:MAX_DLQ_PAYLOAD_BYTES]
    try:
        payload, encoding = value.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        payload, encoding = base64.b64encode(value).decode("ascii"), "base64"
    record = MessageDeadLettered(
        consumer_group=group,
        error=DeadLetterError(code=code, message=reason[:2000]),
        origin=DeadLetterOrigin(
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key.decode("utf-8", "replace") if message.key is not None else None,
            headers={k: v.decode("utf-8", "replace") for k, v in message.headers},
        ),
        payload=payload,
        payload_encoding=encoding,
        payload_truncated=truncated,
        failed_at=utcnow(),
    )
    # Deterministic id: the same failure re-delivered dead-letters under the same event id.
    event_id = uuid.uuid5(
        _DLQ_NAMESPACE, f"{group}|{message.topic}|{message.partition}|{message.offset}"
    )
    event = make_event(
        record, type=MESSAGE_DEAD_LETTERED_V1, source=f"/consumers/{group}", id=str(event_id)
    )
    return Record(topic, encode(event), key=message.key)


async def dead_letter(
    producer: Producer,
    failures: Sequence[tuple[Message, str, str]],
    *,
    group: str,
    topic: str = TOPIC_MENTIONS_DLQ,
) -> None:
    """Produce one DLQ record per (message, code, reason); returns once all are acknowledged."""
    await producer.send_many(
        [
            dead_letter_record(m, group=group, code=code, reason=reason, topic=topic)
            for m, code, reason in failures
        ]
    )

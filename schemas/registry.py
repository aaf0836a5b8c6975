"""Topic and event-type registry, with the one encoder/decoder every consumer uses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from schemas.alert import AlertRaised
from schemas.case import CASE_EVENT_KINDS, CaseEvent
from schemas.dlq import MessageDeadLettered
from schemas.envelope import CloudEvent, attributes_from_headers, new_event_id, utcnow
from schemas.mention import MentionClassified, MentionReceived

TOPIC_MENTIONS_RAW: Final = "mentions.raw"
TOPIC_MENTIONS_CLASSIFIED: Final = "mentions.classified"
TOPIC_MENTIONS_DLQ: Final = "mentions.dlq"
TOPIC_CASES_EVENTS: Final = "cases.events"
TOPIC_ALERTS: Final = "alerts"

MENTION_RAW_V1: Final = "earshot.mention.raw.v1"
MENTION_CLASSIFIED_V1: Final = "earshot.mention.classified.v1"
MESSAGE_DEAD_LETTERED_V1: Final = "earshot.mention.dlq.v1"
ALERT_RAISED_V1: Final = "earshot.alert.raised.v1"


def case_event_type(kind: str) -> str:
    return f"earshot.{kind}.v1"


EVENT_TYPES: Final[dict[str, type[BaseModel]]] = {
    MENTION_RAW_V1: MentionReceived,
    MENTION_CLASSIFIED_V1: MentionClassified,
    MESSAGE_DEAD_LETTERED_V1: MessageDeadLettered,
    ALERT_RAISED_V1: AlertRaised,
    **{case_event_type(kind): CaseEvent for kind in CASE_EVENT_KINDS},
}

TOPIC_EVENT_TYPES: Final[dict[str, frozenset[str]]] = {
    TOPIC_MENTIONS_RAW: frozenset({MENTION_RAW_V1}),
    TOPIC_MENTIONS_CLASSIFIED: frozenset({MENTION_CLASSIFIED_V1}),
    TOPIC_MENTIONS_DLQ: frozenset({MESSAGE_DEAD_LETTERED_V1}),
    TOPIC_CASES_EVENTS: frozenset(case_event_type(kind) for kind in CASE_EVENT_KINDS),
    TOPIC_ALERTS: frozenset({ALERT_RAISED_V1}),
}

# A message larger than this is poison for the pipeline's consumers (a mention's text is capped
# far below). Dead-letter records may be larger: they carry the poison payload.
MAX_MESSAGE_BYTES: Final = 1_000_000
MAX_DEAD_LETTER_BYTES: Final = 8 * 1024 * 1024


class EventDecodeError(ValueError):
    """A message that can never be processed; `code` matches the dead-letter error codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def make_event(
    data: BaseModel,
    *,
    type: str,
    source: str,
    partitionkey: str | None = None,
    subject: str | None = None,
    id: str | None = None,
    time: datetime | None = None,
) -> CloudEvent[Any]:
    if EVENT_TYPES.get(type) is not data.__class__:
        raise TypeError(f"{type} does not carry {data.__class__.__name__}")
    return CloudEvent[Any](
        id=id or new_event_id(),
        source=source,
        type=type,
        time=time or utcnow(),
        subject=subject,
        partitionkey=partitionkey,
        data=data,
    )


def encode(event: CloudEvent[Any]) -> bytes:
    """Structured content mode: the whole envelope is the JSON message value."""
    return event.model_dump_json(exclude_none=True).encode()


def decode(
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]] = (),
    *,
    topic: str | None = None,
    max_bytes: int = MAX_MESSAGE_BYTES,
) -> CloudEvent[Any]:
    """Parse a message in structured or binary (`ce_` headers) mode into its registered model.

    Raises EventDecodeError for anything that can never be processed, so the caller can
    dead-letter it with a clear reason and move on.
    """
    if value is None:
        raise EventDecodeError("invalid_json", "message has no value (tombstone)")
    if len(value) > max_bytes:
        raise EventDecodeError(
            "too_large", f"message is {len(value)} bytes, the limit is {max_bytes}"
        )
    try:
        body = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EventDecodeError("invalid_json", f"value is not UTF-8 JSON: {exc}") from exc
    try:
        binary = attributes_from_headers(headers)
    except UnicodeDecodeError as exc:
        raise EventDecodeError("invalid_event", f"ce_ header is not UTF-8: {exc}") from exc
    envelope: Any = {**binary, "data": body} if "type" in binary else body
    if not isinstance(envelope, dict):
        raise EventDecodeError("invalid_event", "value is JSON but not a CloudEvents object")
    event_type = envelope.get("type")
    model = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if model is None:
        raise EventDecodeError("unknown_type", f"unknown event type {event_type!r}")
    if (
        topic is not None
        and topic in TOPIC_EVENT_TYPES
        and event_type not in TOPIC_EVENT_TYPES[topic]
    ):
        raise EventDecodeError(
            "unknown_type", f"event type {event_type!r} does not belong on {topic}"
        )
    try:
        return CloudEvent[model].model_validate(envelope)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise EventDecodeError("invalid_event", _describe(exc)) from exc


def _describe(exc: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
    ]
    more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return "; ".join(problems) + more

"""CloudEvents 1.0 envelope (structured and binary content mode) for every Earshot event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

DataT = TypeVar("DataT", bound=BaseModel)

# Binary content mode carries the envelope attributes as Kafka headers prefixed with `ce_`.
BINARY_HEADER_PREFIX = "ce_"


class CloudEvent(BaseModel, Generic[DataT]):
    """A CloudEvents 1.0 event in structured JSON mode.

    `partitionkey` is the CloudEvents partitioning extension: the conversation key that keeps
    one conversation on one partition, in order.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=500)
    type: str = Field(min_length=1, max_length=200)
    time: datetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    partitionkey: str | None = None
    data: DataT


def new_event_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def binary_headers(event: CloudEvent[Any]) -> list[tuple[str, bytes]]:
    """Envelope attributes as `ce_*` headers (binary mode); the data goes in the message value."""
    attributes = event.model_dump(mode="json", exclude={"data"}, exclude_none=True)
    return [
        (f"{BINARY_HEADER_PREFIX}{name}", str(value).encode()) for name, value in attributes.items()
    ]


def attributes_from_headers(headers: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    return {
        name[len(BINARY_HEADER_PREFIX) :]: value.decode("utf-8", errors="strict")
        for name, value in headers
        if name.startswith(BINARY_HEADER_PREFIX)
    }

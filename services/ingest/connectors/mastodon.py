"""Mastodon: Status entities from the streaming API (`update` events, SSE or WebSocket) and
from search (`GET /api/v2/search`).

Status ids are local to the instance that serves them, so ids are prefixed with the
instance host: the same status read again from the same instance (after a restart, or by
search and by stream) gets the same mention id. A reblog is a repost: the mention carries
the original's text and links to it (`repost_of`), in the original's conversation.
"""

from __future__ import annotations

import json
from typing import Any

from services.ingest.connectors.base import (
    Mention,
    PayloadError,
    author,
    html_to_text,
    id_or_none,
    items,
    mention,
    obj,
    text_or_none,
)

SOURCE = "mastodon"


def status_to_mention(status: Any, *, instance: str) -> Mention:
    status = obj(status, "status")
    reblog = status.get("reblog")
    original = obj(reblog, "reblog") if reblog else status
    account = obj(status.get("account") or {}, "account")
    local_id = id_or_none(status.get("id"))
    parent = id_or_none(original.get("in_reply_to_id"))
    text = html_to_text(original.get("content") or "")
    if spoiler := text_or_none(original.get("spoiler_text")):
        text = f"{spoiler}\n{text}"  # the content warning is part of what people read
    return mention(
        source=SOURCE,
        source_id=f"{instance}:{local_id}" if local_id else None,
        text=text,
        author=author(
            f"@{account['acct']}" if isinstance(account.get("acct"), str) else None,
            display_name=account.get("display_name"),
            followers=account.get("followers_count"),
            account_created_at=account.get("created_at"),
        ),
        url=text_or_none(status.get("url")) or text_or_none(original.get("url")),
        lang=text_or_none(original.get("language")),
        created_at=status.get("created_at"),
        parent_id=f"{instance}:{parent}" if parent else None,
        repost_of=f"{instance}:{original['id']}"
        if reblog and id_or_none(original.get("id"))
        else None,
    )


def from_stream_event(event: Any, *, instance: str) -> list[Mention]:
    """One streaming event: `{"event": "update", "payload": "<status JSON>"}` (WebSocket) or
    the SSE pair (event name, data) given as that same object. Other events carry no mention."""
    event = obj(event, "streaming event")
    if event.get("event") != "update":
        return []
    payload = event.get("payload")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise PayloadError(f"update payload is not JSON: {exc}") from exc
    return [status_to_mention(payload, instance=instance)]


def from_search(results: Any, *, instance: str) -> list[Mention]:
    """`GET /api/v2/search?type=statuses` results."""
    results = obj(results, "search results")
    return [
        status_to_mention(s, instance=instance) for s in items(results.get("statuses"), "statuses")
    ]


def convert(payload: Any, *, instance: str = "mastodon.social") -> list[Mention]:
    """Whichever of the two shapes the payload is."""
    if isinstance(payload, dict) and "statuses" in payload:
        return from_search(payload, instance=instance)
    if isinstance(payload, dict) and "event" in payload:
        return from_stream_event(payload, instance=instance)
    return [status_to_mention(payload, instance=instance)]

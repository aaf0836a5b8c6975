"""Bluesky: commit events from Jetstream (`wss://jetstream2.us-east.bsky.network/subscribe`).

Jetstream sends JSON, one event per message, each with `time_us`: the cursor a reconnecting
client passes back (`?cursor=`) to resume where it stopped. A post's id is its AT URI, which
never changes. Plain reposts (`app.bsky.feed.repost`) carry no text, only the subject's URI:
they cannot be matched to a brand without fetching the post, so they are not mentions here.
A quote post has its own text: it is a new mention, not a repost.
"""

from __future__ import annotations

from typing import Any

from services.ingest.connectors.base import (
    Mention,
    author,
    field,
    items,
    mention,
    obj,
    text_or_none,
)

SOURCE = "bluesky"
POST = "app.bsky.feed.post"


def cursor_of(event: Any) -> int | None:
    value = event.get("time_us") if isinstance(event, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def convert(event: Any) -> list[Mention]:
    event = obj(event, "Jetstream event")
    if event.get("kind") != "commit":
        return []  # identity and account events
    commit = obj(event.get("commit"), "commit")
    if commit.get("collection") != POST or commit.get("operation") != "create":
        return []  # likes, follows, reposts, updates and deletes
    record = obj(commit.get("record"), "record")
    did, rkey = event.get("did"), commit.get("rkey")
    uri = f"at://{did}/{POST}/{rkey}" if isinstance(did, str) and isinstance(rkey, str) else None
    reply = field(record, "reply")
    root = field(reply, "root").get("uri")
    parent = field(reply, "parent").get("uri")
    langs = items(record.get("langs"), "langs")
    return [
        mention(
            source=SOURCE,
            source_id=uri,
            text=record.get("text"),
            author=author(did),
            url=f"https://bsky.app/profile/{did}/post/{rkey}" if uri else None,
            lang=text_or_none(langs[0]) if langs else None,
            created_at=record.get("createdAt"),
            thread_id=text_or_none(root),
            parent_id=text_or_none(parent),
        )
    ]

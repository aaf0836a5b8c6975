"""Facebook Pages: Graph API webhooks (`{"object": "page", "entry": [...]}`), `feed` changes
(posts, comments and replies on the Page, `verb: add`) and `mention` changes with a message.

A comment id is globally unique; the post id is the conversation root and `parent_id` the
comment answered. `created_time` is unix seconds; the entry's `time` stands in when absent.
Deliveries are signed with the app secret (`X-Hub-Signature-256`, checked by the endpoint).
"""

from __future__ import annotations

from typing import Any

from services.ingest.connectors.base import (
    Mention,
    PayloadError,
    author,
    from_unix,
    id_or_none,
    items,
    mention,
    obj,
    text_or_none,
)

SOURCE = "facebook"
_CONTENT = ("post", "status", "comment", "photo", "video", "share")


def _change(value: Any, entry_time: Any) -> Mention | None:
    value = obj(value, "change value")
    if value.get("verb", "add") != "add" or value.get("item", "post") not in _CONTENT:
        return None  # reactions, edits, removals: not new mentions
    sender = value.get("from") if isinstance(value.get("from"), dict) else {}
    post_id = id_or_none(value.get("post_id"))
    own_id = id_or_none(value.get("comment_id")) or post_id
    parent = id_or_none(value.get("parent_id"))
    return mention(
        source=SOURCE,
        source_id=own_id,
        text=value.get("message"),
        author=author(
            text_or_none(sender.get("name")) or id_or_none(sender.get("id")),
            display_name=sender.get("name"),
        ),
        url=f"https://www.facebook.com/{own_id}" if own_id else None,
        created_at=from_unix(value.get("created_time")) or from_unix(entry_time),
        thread_id=post_id,
        parent_id=parent if parent != own_id else None,
    )


def convert(payload: Any) -> list[Mention]:
    payload = obj(payload, "webhook")
    if payload.get("object") != "page":
        raise PayloadError(f"expected object 'page', got {payload.get('object')!r}")
    out: list[Mention] = []
    for entry in items(payload.get("entry"), "entry"):
        entry = obj(entry, "entry")
        for change in items(entry.get("changes"), "changes"):
            change = obj(change, "change")
            if change.get("field") not in ("feed", "mention"):
                continue
            converted = _change(change.get("value"), entry.get("time"))
            if converted is not None and "text" in converted:
                out.append(converted)
    return out

"""Instagram: Graph API webhooks (`{"object": "instagram", "entry": [...]}`), `comments`
and `live_comments` changes on the account's media.

The comment id is the source id and the media id the conversation root. The comment value
carries no time of its own: the entry's `time` (when Meta sent it) stands in. `mentions`
changes name a media or comment id without its text; fetching it needs the Graph API, so
they are not converted here.
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

SOURCE = "instagram"


def _comment(value: Any, entry_time: Any) -> Mention:
    value = obj(value, "comment")
    sender = value.get("from") if isinstance(value.get("from"), dict) else {}
    media = value.get("media") if isinstance(value.get("media"), dict) else {}
    username = text_or_none(sender.get("username"))
    return mention(
        source=SOURCE,
        source_id=id_or_none(value.get("id")),
        text=value.get("text"),
        author=author(f"@{username}" if username else id_or_none(sender.get("id"))),
        created_at=from_unix(entry_time),
        thread_id=id_or_none(media.get("id")),
        parent_id=id_or_none(value.get("parent_id")),
    )


def convert(payload: Any) -> list[Mention]:
    payload = obj(payload, "webhook")
    if payload.get("object") != "instagram":
        raise PayloadError(f"expected object 'instagram', got {payload.get('object')!r}")
    out: list[Mention] = []
    for entry in items(payload.get("entry"), "entry"):
        entry = obj(entry, "entry")
        for change in items(entry.get("changes"), "changes"):
            change = obj(change, "change")
            if change.get("field") in ("comments", "live_comments"):
                out.append(_comment(change.get("value"), entry.get("time")))
    return out

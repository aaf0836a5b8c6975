"""YouTube Data API v3: `commentThreads.list` responses (`youtube#commentThreadListResponse`).

A thread's top-level comment and the replies included with it are mentions; the top-level
comment's id is the conversation root. `textOriginal` is the comment as written;
`textDisplay` (HTML) is used only when the API withholds the original.
"""

from __future__ import annotations

from typing import Any

from services.ingest.connectors.base import (
    Mention,
    PayloadError,
    author,
    field,
    html_to_text,
    items,
    mention,
    obj,
    text_or_none,
)

SOURCE = "youtube"


def _comment(comment: Any, *, video_id: str | None, thread_id: str | None) -> Mention:
    comment = obj(comment, "comment")
    snippet = obj(comment.get("snippet") or {}, "comment snippet")
    display = snippet.get("textDisplay")
    text = text_or_none(snippet.get("textOriginal")) or html_to_text(
        display if isinstance(display, str) else ""
    )
    comment_id = text_or_none(comment.get("id"))
    url = None
    if video_id and comment_id:
        url = f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}"
    channel = snippet.get("authorChannelId")
    return mention(
        source=SOURCE,
        source_id=comment_id,
        text=text,
        author=author(
            text_or_none(snippet.get("authorDisplayName"))
            or (channel.get("value") if isinstance(channel, dict) else None),
        ),
        url=url,
        created_at=snippet.get("publishedAt"),
        thread_id=thread_id,
        parent_id=text_or_none(snippet.get("parentId")),
    )


def convert(payload: Any) -> list[Mention]:
    payload = obj(payload, "commentThreads response")
    if payload.get("kind") not in ("youtube#commentThreadListResponse", None):
        raise PayloadError(
            f"expected youtube#commentThreadListResponse, got {payload.get('kind')!r}"
        )
    out: list[Mention] = []
    for thread in items(payload.get("items"), "items"):
        thread = obj(thread, "commentThread")
        snippet = obj(thread.get("snippet") or {}, "thread snippet")
        video_id = text_or_none(snippet.get("videoId"))
        top = snippet.get("topLevelComment")
        root = text_or_none(top.get("id")) if isinstance(top, dict) else None
        if top is not None:
            out.append(_comment(top, video_id=video_id, thread_id=root))
        replies = field(thread, "replies")
        for reply in items(replies.get("comments"), "replies.comments"):
            out.append(_comment(reply, video_id=video_id, thread_id=root))
    return out


def cursor_of(payload: Any) -> str | None:
    """`nextPageToken`: pass back as `pageToken` for the next page."""
    return text_or_none(payload.get("nextPageToken")) if isinstance(payload, dict) else None

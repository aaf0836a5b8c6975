"""Reddit: Listings from search (`/search.json`, posts: t3) and from comment listings
(`/r/{sub}/comments/{post}.json`: [post listing, comment listing], comments t1 nested in
`replies`). A Reddit fullname (`t3_abc`, `t1_def`) is globally unique and stable: it is the
source id, and the post's fullname is the conversation root. A crosspost is a repost.
"""

from __future__ import annotations

from typing import Any

from services.ingest.connectors.base import (
    Mention,
    author,
    from_unix,
    items,
    mention,
    obj,
    text_or_none,
)

SOURCE = "reddit"
MAX_REPLY_DEPTH = 50  # Reddit nests replies; a hostile payload could nest far deeper


def _post(data: Any) -> Mention:
    data = obj(data, "post")
    title = data.get("title") if isinstance(data.get("title"), str) else ""
    body = data.get("selftext") if isinstance(data.get("selftext"), str) else ""
    name = text_or_none(data.get("name"))
    return mention(
        source=SOURCE,
        source_id=name,
        text=f"{title}\n{body}".strip(),
        author=author(f"u/{data['author']}" if isinstance(data.get("author"), str) else None),
        url=_permalink(data),
        created_at=from_unix(data.get("created_utc")),
        thread_id=name,
        repost_of=text_or_none(data.get("crosspost_parent")),
    )


def _comment(data: Any) -> Mention:
    data = obj(data, "comment")
    return mention(
        source=SOURCE,
        source_id=text_or_none(data.get("name")),
        text=data.get("body"),
        author=author(f"u/{data['author']}" if isinstance(data.get("author"), str) else None),
        url=_permalink(data),
        created_at=from_unix(data.get("created_utc")),
        thread_id=text_or_none(data.get("link_id")),
        parent_id=text_or_none(data.get("parent_id")),
    )


def _permalink(data: Any) -> str | None:
    link = text_or_none(data.get("permalink"))
    return f"https://www.reddit.com{link}" if link and link.startswith("/") else link


def _walk(listing: Any, out: list[Mention], depth: int) -> None:
    if not isinstance(listing, dict) or depth > MAX_REPLY_DEPTH:
        return
    data = obj(listing.get("data") or {}, "listing data")
    for child in items(data.get("children"), "children"):
        child = obj(child, "listing child")
        kind = child.get("kind")
        if kind == "t3":
            out.append(_post(child.get("data")))
        elif kind == "t1":
            out.append(_comment(child.get("data")))
            _walk(obj(child.get("data"), "comment").get("replies"), out, depth + 1)
        # "more" stubs name comments not sent yet; the next listing fetch brings them.


def convert(payload: Any) -> list[Mention]:
    """A Listing (search) or the [post listing, comment listing] pair of a comments page."""
    out: list[Mention] = []
    for listing in payload if isinstance(payload, list) else [obj(payload, "listing")]:
        _walk(listing, out, 0)
    return out


def cursor_of(payload: Any) -> str | None:
    """The `after` of a Listing: pass it back as `?after=` to read the next page."""
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
        return text_or_none(payload["data"].get("after"))
    return None

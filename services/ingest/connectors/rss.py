"""RSS 2.0 and Atom news feeds: each item / entry is a mention.

The id is the item's `guid` (RSS) or `id` (Atom), falling back to its link: feeds keep them
stable, so polling a feed again never produces a second mention for the same article.
Feeds are XML; expat (Python's parser) does not fetch external entities and bounds entity
expansion, and a feed with a DOCTYPE is refused outright: news feeds do not need one.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from services.ingest.connectors.base import Mention, PayloadError, author, html_to_text, mention

SOURCE = "rss"
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _rfc822(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError):
        return None


def _site(link: str | None, fallback: str) -> str:
    host = urlsplit(link).hostname if link else None
    return host or fallback


def convert(document: str | bytes, *, feed_url: str | None = None) -> list[Mention]:
    head = document[:4096] if isinstance(document, str) else document[:4096].decode("latin-1")
    if "<!DOCTYPE" in head.upper().replace("<!doctype", "<!DOCTYPE"):
        raise PayloadError("feeds with a DOCTYPE are refused (entity expansion)")
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        raise PayloadError(f"not well-formed XML: {exc}") from exc
    if root.tag == f"{ATOM}feed":
        return _atom(root, feed_url)
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise PayloadError("neither an RSS 2.0 <rss><channel> nor an Atom <feed>")
    return _rss(channel, feed_url)


def _rss(channel: ET.Element, feed_url: str | None) -> list[Mention]:
    site = _site(_text(channel.find("link")) or feed_url, "feed")
    lang = _text(channel.find("language"))
    out = []
    for item in channel.findall("item"):
        link = _text(item.find("link"))
        title = _text(item.find("title")) or ""
        body = html_to_text(_text(item.find("description")) or "")
        creator = _text(item.find(f"{DC}creator")) or _text(item.find("author"))
        out.append(
            mention(
                source=SOURCE,
                source_id=_text(item.find("guid")) or link,
                text=f"{title}\n{body}".strip(),
                author=author(site, display_name=creator),
                url=link,
                lang=lang,
                created_at=_rfc822(_text(item.find("pubDate"))),
            )
        )
    return out


def _atom(feed: ET.Element, feed_url: str | None) -> list[Mention]:
    lang = feed.get("{http://www.w3.org/XML/1998/namespace}lang")
    out = []
    for entry in feed.findall(f"{ATOM}entry"):
        link_el = entry.find(f"{ATOM}link[@rel='alternate']")
        if link_el is None:  # (an Element with no children is falsy: no `or` here)
            link_el = entry.find(f"{ATOM}link")
        link = link_el.get("href") if link_el is not None else None
        title = _text(entry.find(f"{ATOM}title")) or ""
        content = _text(entry.find(f"{ATOM}summary")) or _text(entry.find(f"{ATOM}content"))
        name = _text(entry.find(f"{ATOM}author/{ATOM}name"))
        out.append(
            mention(
                source=SOURCE,
                source_id=_text(entry.find(f"{ATOM}id")) or link,
                text=f"{title}\n{html_to_text(content or '')}".strip(),
                author=author(_site(link or feed_url, "feed"), display_name=name),
                url=link,
                lang=entry.get("{http://www.w3.org/XML/1998/namespace}lang") or lang,
                created_at=_text(entry.find(f"{ATOM}published"))
                or _text(entry.find(f"{ATOM}updated")),
            )
        )
    return out

"""What every connector shares: the mention shape it produces, and small pure converters.

A connector turns one platform payload (as the platform documents and sends it) into zero or
more dicts in the shape `POST /v1/mentions` accepts. It is lenient: a field it cannot read
is left out, and ingest's validation then refuses that one item with a reason. It raises
`PayloadError` only when the payload as a whole is not what the platform sends.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

Mention = dict[str, Any]
_WEB = ("http://", "https://")


class PayloadError(ValueError):
    """The payload is not in the platform's documented format."""


def obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"{what} must be a JSON object")
    return value


def field(container: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested object that may be missing or of the wrong type: then an empty one."""
    value = container.get(key)
    return value if isinstance(value, Mapping) else {}


def items(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{what} must be a JSON array")
    return value


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def id_or_none(value: Any) -> str | None:
    """Platform ids arrive as strings or (Telegram, Facebook) integers; never as bools."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str) and str(value):
        return str(value)
    return None


def int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def from_unix(value: Any) -> str | None:
    """ISO 8601 (UTC) from unix seconds; None for what is not a plausible number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def author(
    handle: Any,
    *,
    display_name: Any = None,
    followers: Any = None,
    verified: Any = None,
    account_created_at: Any = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {"handle": handle if isinstance(handle, str) else None}
    if isinstance(display_name, str) and display_name:
        result["display_name"] = display_name[:300]
    if (count := int_or_none(followers)) is not None:
        result["followers"] = count
    if isinstance(verified, bool):
        result["verified"] = verified
    if isinstance(account_created_at, str) and account_created_at:
        result["account_created_at"] = account_created_at
    if result["handle"] is None:
        del result["handle"]  # validation names the missing field
    return result


def mention(**fields: Any) -> Mention:
    """The mention dict, without the optional fields the platform did not give. A link that
    is not a web link (a feed can carry anything) is dropped rather than the mention."""
    url = fields.get("url")
    if url is not None and not (
        isinstance(url, str)
        and url.lower().startswith(_WEB)
        and len(url) <= 2000
        and not any(ch.isspace() for ch in url)
    ):
        fields["url"] = None
    return {k: v for k, v in fields.items() if v is not None}


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "p", "li", "div") and self.parts:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment (Mastodon content, RSS descriptions, YouTube)."""
    if "<" not in markup:
        return html.unescape(markup).strip()
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return _BLANK_LINES.sub("\n\n", "".join(parser.parts)).strip()

"""Platform connectors: each turns a platform's own payload into ingest's mention shape.

`PLATFORMS` names each connector, how its webhook deliveries are authenticated, and its
converter (payload -> mention dicts). Streaming and polling clients live in `streams.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from services.ingest.connectors import (
    bluesky,
    facebook,
    instagram,
    mastodon,
    reddit,
    rss,
    telegram,
    x,
    youtube,
)
from services.ingest.connectors.base import Mention, PayloadError

# earshot: Earshot's timestamped HMAC (relays, pollers); meta: Meta's body HMAC with the app
# secret; telegram: the secret token header set with setWebhook.
SignatureScheme = Literal["earshot", "meta", "telegram"]


@dataclass(frozen=True)
class Platform:
    name: str
    scheme: SignatureScheme
    convert: Callable[[Any], list[Mention]]
    body: Literal["json", "xml"] = "json"


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("mastodon", "earshot", mastodon.convert),
        Platform("bluesky", "earshot", bluesky.convert),
        Platform("reddit", "earshot", reddit.convert),
        Platform("rss", "earshot", rss.convert, body="xml"),
        Platform("youtube", "earshot", youtube.convert),
        Platform("x", "earshot", x.convert),
        Platform("telegram", "telegram", telegram.convert),
        Platform("facebook", "meta", facebook.convert),
        Platform("instagram", "meta", instagram.convert),
    )
}

__all__ = ["PLATFORMS", "Mention", "PayloadError", "Platform"]

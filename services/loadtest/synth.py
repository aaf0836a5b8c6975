"""Synthetic mention streams for load tests. Pure: a seed in, the same stream out.

Texts come from the bundled hand-written demo stream (13 languages, praise, questions,
complaints, urgent cases, spam, abuse), re-attributed to the benchmark's brands and varied, so
the classifier and router see a realistic mix rather than one repeated sentence.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources as package_files
from typing import Any

_HANDLE = re.compile(r"@\w+")
_SOURCES = ["x", "mastodon", "bluesky", "reddit", "facebook", "instagram"]
_TAIL_WORDS = [
    "today",
    "again",
    "pls",
    "!!",
    "🙄",
    "😡",
    "👍",
    "#fail",
    "help",
    "why",
    "thanks",
    "ok",
]


@dataclass(frozen=True)
class StreamShape:
    brands: tuple[str, ...]
    reply_share: float = 0.25  # share of mentions that reply to an earlier one (threads)
    influencer_share: float = 0.03  # authors with 50k+ followers


def demo_texts() -> list[tuple[str, str | None]]:
    """(text, language hint) pairs from the bundled demo stream."""
    path = package_files.files("services.shared") / "demo" / "mentions.jsonl"
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            texts.append((item["text"], item.get("lang")))
    return texts


def mentions(
    shape: StreamShape, *, seed: int, start: datetime, run_tag: str
) -> Iterator[dict[str, Any]]:
    """An endless stream of ingest-shaped mentions, each with a unique source id."""
    rng = random.Random(seed)
    corpus = demo_texts()
    roots: list[tuple[str, str, str]] = []  # (source, source_id, brand) one can reply to
    for n in range(10**12):
        text, lang = rng.choice(corpus)
        brand = rng.choice(shape.brands)
        tail = " ".join(rng.choices(_TAIL_WORDS, k=rng.randint(0, 3)))
        item: dict[str, Any] = {
            "source": rng.choice(_SOURCES),
            "source_id": f"{run_tag}-{n}",
            "brand": brand,
            "text": f"{_HANDLE.sub('@' + brand, text)} {tail}".strip(),
            "author": {
                "handle": f"@u{rng.randint(1, 200_000)}",
                "followers": _followers(rng, shape),
            },
            "created_at": (start + timedelta(milliseconds=n)).isoformat(),
        }
        if lang:
            item["lang"] = lang
        if roots and rng.random() < shape.reply_share:
            # A reply stays on its root's platform: a thread is keyed by brand, source and root.
            source, root_id, root_brand = rng.choice(roots[-500:])
            item.update(source=source, brand=root_brand, thread_id=root_id, parent_id=root_id)
        else:
            roots.append((item["source"], item["source_id"], brand))
        yield item


def _followers(rng: random.Random, shape: StreamShape) -> int:
    if rng.random() < shape.influencer_share:
        return rng.randint(50_000, 2_000_000)
    return int(rng.paretovariate(1.2) * 40)

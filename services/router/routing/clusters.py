"""Viral clusters: near-identical mentions of one brand within a window share one case. Pure.

Retweets, quote-less reposts and copy-paste campaigns differ only in what a normaliser can
strip: case, the "RT @x:" prefix, links, @handles, numbers, emoji and punctuation. Two mentions
whose normalised words are equal are the same message; their cluster key is a hash of those
words. An exact key (not a fuzzy similarity) is what lets PostgreSQL keep one active case per
cluster with a unique index, across router replicas, with no cross-replica lock.
Short texts ("thanks!", "help") never cluster: they are identical by chance, not by copying.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timedelta

MIN_WORDS = 5
DEFAULT_WINDOW = timedelta(hours=6)

_RETWEET = re.compile(r"^\s*rt\s+@\w+:?\s*")
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@\w+")
_NON_WORD = re.compile(r"[^\w]+")
_NUMBER = re.compile(r"^\d+$")


def normalised_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _RETWEET.sub("", folded)
    folded = _URL.sub(" ", folded)
    folded = _HANDLE.sub(" ", folded)
    # Hashtags keep their word ("#outage" and "outage" say the same); punctuation and emoji go.
    words = _NON_WORD.sub(" ", folded).split()
    return [w for w in words if not _NUMBER.match(w) and w != "_"]


def cluster_key(text: str) -> str | None:
    """The cluster this text belongs to, or None when it is too short to tell copying apart."""
    words = normalised_words(text)
    if len(words) < MIN_WORDS:
        return None
    return hashlib.sha1(" ".join(words).encode(), usedforsecurity=False).hexdigest()[:24]


def within_window(
    *, last_mention_at: datetime, mention_at: datetime, window: timedelta = DEFAULT_WINDOW
) -> bool:
    """A cluster stays open while copies keep coming; a copy after a quiet window starts anew.

    Mentions arrive out of order across partitions, so the distance is symmetric.
    """
    return abs(mention_at - last_mention_at) <= window

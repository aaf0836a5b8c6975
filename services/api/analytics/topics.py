"""What people talk about: top terms, hashtags and phrases per period; influential authors. Pure.

Tokenisation works on any script: text is NFKC-normalised and case-folded, links and
@handles are dropped, hashtags are counted on their own, and words are runs of letters and
digits (Unicode-aware). Scripts written without spaces (Chinese, Japanese, Thai) come out as
one long run; those runs are split into character bigrams, the usual fallback for counting
terms without a dictionary. Stop words come from `stopwordsiso` (the stopwords-iso
collection, 58 languages) for the mention's detected language plus English, which shows up in
every language's social posts.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_NO_SPACE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
MIN_WORD_LENGTH = 2


@dataclass(frozen=True)
class Post:
    text: str
    language: str = "und"


@dataclass(frozen=True)
class Tokens:
    words: list[str]
    hashtags: list[str]


@cache
def stop_words(language: str) -> frozenset[str]:
    import stopwordsiso  # here, not at import: every `earshot` command imports this module

    words = set(stopwordsiso.stopwords("en"))
    if stopwordsiso.has_lang(language):
        words |= set(stopwordsiso.stopwords(language))
    # Social-media filler that every language borrows.
    words |= {"rt", "via", "amp", "lol", "pls", "plz", "omg", "u", "ur", "im"}
    return frozenset(unicodedata.normalize("NFKC", w).casefold() for w in words)


def tokenise(text: str) -> Tokens:
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _URL.sub(" ", folded)
    folded = _HANDLE.sub(" ", folded)
    hashtags = [f"#{tag}" for tag in _HASHTAG.findall(folded)]
    folded = _HASHTAG.sub(" ", folded)
    words: list[str] = []
    for run in _WORD.findall(folded):
        if _NO_SPACE_SCRIPT.search(run) and len(run) > 2:
            words.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            words.append(run)
    return Tokens(words=words, hashtags=hashtags)


def _content_words(post: Post) -> list[str | None]:
    """The post's words with stop words, numbers and one-letter words as None (gaps that
    phrases may not span)."""
    stops = stop_words(post.language)
    return [
        None if w in stops or w.isdigit() or len(w) < MIN_WORD_LENGTH else w
        for w in tokenise(post.text).words
    ]


@dataclass(frozen=True)
class TopicSummary:
    terms: list[tuple[str, int]]
    hashtags: list[tuple[str, int]]
    phrases: list[tuple[str, int]]


def top_topics(
    posts: Iterable[Post], *, limit: int = 10, exclude: Iterable[str] = ()
) -> TopicSummary:
    """Most frequent terms, hashtags and two-word phrases. Each counts once per post, so a
    post that repeats a word fifty times does not set the agenda. `exclude` drops terms
    everyone expects (the brand's own name). Ties sort alphabetically: the same input gives
    the same report."""
    excluded = {unicodedata.normalize("NFKC", e).casefold() for e in exclude}
    terms: Counter[str] = Counter()
    hashtags: Counter[str] = Counter()
    phrases: Counter[str] = Counter()
    for post in posts:
        words = _content_words(post)
        terms.update({w for w in words if w is not None and w not in excluded})
        hashtags.update(set(tokenise(post.text).hashtags) - {f"#{e}" for e in excluded})
        phrases.update(
            {f"{a} {b}" for a, b in pairwise(words) if a is not None and b is not None and a != b}
        )
    # A phrase is a topic only when people repeat it.
    frequent_phrases = Counter({p: n for p, n in phrases.items() if n >= 2})
    return TopicSummary(
        terms=_top(terms, limit),
        hashtags=_top(hashtags, limit),
        phrases=_top(frequent_phrases, limit),
    )


def _top(counter: Counter[str], limit: int) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit]


@dataclass(frozen=True)
class Author:
    handle: str
    followers: int
    mentions: int
    negative: int


def influential_authors(
    rows: Iterable[tuple[str, int | None, str]], *, limit: int = 10
) -> list[Author]:
    """Authors ordered by reach (their largest follower count seen in the period), then by how
    often they wrote. `rows` are (handle, followers, sentiment label) per mention."""
    followers: dict[str, int] = {}
    mentions: Counter[str] = Counter()
    negative: Counter[str] = Counter()
    for handle, count, sentiment in rows:
        if not handle:
            continue
        followers[handle] = max(followers.get(handle, 0), count or 0)
        mentions[handle] += 1
        negative[handle] += sentiment == "negative"
    ranked = sorted(followers, key=lambda h: (-followers[h], -mentions[h], h))[:limit]
    return [Author(h, followers[h], mentions[h], negative[h]) for h in ranked]

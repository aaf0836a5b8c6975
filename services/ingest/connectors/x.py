"""X (Twitter) API v2 filtered stream (`GET /2/tweets/search/stream`): one JSON object per
line, `{"data": Tweet, "includes": {"users", "tweets"}, "matching_rules": [...]}`, requested
with `expansions=author_id,referenced_tweets.id` and `tweet.fields=created_at,lang,
conversation_id,referenced_tweets`, `user.fields=public_metrics,verified,created_at`.

A retweet's own text is truncated ("RT @user: ..."): the mention carries the original's full
text from `includes.tweets` and links to it (`repost_of`), in the original's conversation.
The newest tweet id is the cursor: after a reconnect, `since_id` on the recent-search
endpoint (or `backfill_minutes` where the plan allows) closes the gap.
"""

from __future__ import annotations

from typing import Any

from services.ingest.connectors.base import (
    Mention,
    author,
    field,
    items,
    mention,
    obj,
    text_or_none,
)

SOURCE = "x"


def _referenced(tweet: Any, kind: str) -> str | None:
    for ref in items(tweet.get("referenced_tweets"), "referenced_tweets"):
        if isinstance(ref, dict) and ref.get("type") == kind:
            return text_or_none(ref.get("id"))
    return None


def convert(payload: Any) -> list[Mention]:
    payload = obj(payload, "stream message")
    if "data" not in payload:
        return []  # keep-alive, or an error/operational message
    tweet = obj(payload["data"], "data")
    includes = field(payload, "includes")
    users = {u.get("id"): u for u in items(includes.get("users"), "users") if isinstance(u, dict)}
    tweets = {
        t.get("id"): t for t in items(includes.get("tweets"), "tweets") if isinstance(t, dict)
    }
    user = users.get(tweet.get("author_id"), {})
    metrics = field(user, "public_metrics")
    retweeted = _referenced(tweet, "retweeted")
    original = tweets.get(retweeted, {}) if retweeted else {}
    username = text_or_none(user.get("username"))
    tweet_id = text_or_none(tweet.get("id"))
    return [
        mention(
            source=SOURCE,
            source_id=tweet_id,
            text=original.get("text") or tweet.get("text"),
            author=author(
                f"@{username}" if username else text_or_none(tweet.get("author_id")),
                display_name=user.get("name"),
                followers=metrics.get("followers_count"),
                verified=user.get("verified"),
                account_created_at=user.get("created_at"),
            ),
            url=f"https://x.com/{username or 'i'}/status/{tweet_id}" if tweet_id else None,
            lang=text_or_none(tweet.get("lang")) if tweet.get("lang") != "und" else None,
            created_at=tweet.get("created_at"),
            thread_id=text_or_none(original.get("conversation_id"))
            or text_or_none(tweet.get("conversation_id")),
            parent_id=_referenced(tweet, "replied_to"),
            repost_of=retweeted,
        )
    ]


def cursor_of(payload: Any) -> str | None:
    data = payload.get("data") if isinstance(payload, dict) else None
    return text_or_none(data.get("id")) if isinstance(data, dict) else None

"""Connectors on recorded payloads in each platform's documented format (no network): every
converted item is a valid mention, and ids, threads, reposts and authors come out right."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas import MentionReceived, mention_id
from services.ingest.connectors import (
    PLATFORMS,
    PayloadError,
    bluesky,
    reddit,
    telegram,
    x,
    youtube,
)
from services.ingest.handlers import accept_one
from services.ingest.rules import Brand, BrandCatalogue

FIXTURES = Path(__file__).parents[2] / "fixtures" / "ingest"
DEMO_BRANDS = Path(__file__).parents[3] / "services" / "shared" / "demo" / "brands.yaml"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def demo_catalogue() -> BrandCatalogue:
    brands = yaml.safe_load(DEMO_BRANDS.read_text(encoding="utf-8"))["brands"]
    fields = ("keywords", "hashtags", "handles", "languages")
    return BrandCatalogue(
        [
            Brand(
                b["id"],
                b["name"],
                b.get("competitor_of"),
                **{f: tuple(b.get(f) or ()) for f in fields},
            )
            for b in brands
        ]
    )


CATALOGUE = demo_catalogue()


def load(platform: str, name: str) -> Any:
    path = FIXTURES / platform / name
    return path.read_bytes() if path.suffix == ".xml" else json.loads(path.read_text("utf-8"))


# Owned channels (a brand's Page, Instagram account): every comment on them is about that
# brand, whatever its text; the webhook endpoint takes `?brand=` for them.
OWNED = {"facebook": "skyvela", "instagram": "skyvela"}


def convert(platform: str, name: str) -> list[dict[str, Any]]:
    payload = load(platform, name)
    events = payload if platform in ("bluesky", "x") else [payload]
    return [m for event in events for m in PLATFORMS[platform].convert(event)]


def accepted(platform: str, name: str) -> list[MentionReceived]:
    out = []
    for item in convert(platform, name):
        if platform in OWNED:
            item["brand"] = OWNED[platform]
        result = accept_one(item, catalogue=CATALOGUE, now=NOW)
        assert isinstance(result, MentionReceived), (item, result)
        out.append(result)
    return out


ALL_FIXTURES = sorted(
    (p.parent.name, p.name) for p in FIXTURES.glob("*/*") if p.suffix in (".json", ".xml")
)


@pytest.mark.parametrize(("platform", "name"), ALL_FIXTURES)
def test_every_recorded_payload_converts_into_valid_brand_mentions(
    platform: str, name: str
) -> None:
    mentions = accepted(platform, name)
    assert mentions
    assert all(m.source == platform for m in mentions)
    assert len({m.mention_id for m in mentions}) == len(mentions)


@pytest.mark.parametrize(("platform", "name"), ALL_FIXTURES)
def test_converting_twice_gives_the_same_ids(platform: str, name: str) -> None:
    """What makes a reconnecting connector or a re-import produce no second mention."""
    assert [m.mention_id for m in accepted(platform, name)] == [
        m.mention_id for m in accepted(platform, name)
    ]


def test_mastodon_status_html_author_and_instance_scoped_id() -> None:
    (m,) = accepted("mastodon", "streaming_update.json")
    assert m.source_id == "mastodon.social:113475920378401234"
    assert m.text == "Vol #Skyvela annulé & aucune réponse\xa0!\nJe veux un remboursement."
    assert m.author.handle == "@camille" and m.author.followers == 312
    assert m.lang == "fr" and m.brand == "skyvela"


def test_mastodon_reblog_is_a_repost_in_the_originals_conversation() -> None:
    reply, reblog = accepted("mastodon", "search_statuses.json")
    assert reply.parent_id == "mastodon.social:113475920378401234"
    original = mention_id("mastodon", "mastodon.social:113475920378401234")
    assert str(reblog.repost_of) == str(original)
    assert reblog.thread_id == "mastodon.social:113475920378401234"
    assert reblog.author.handle == "@sam"


def test_bluesky_posts_only_with_at_uri_thread_and_cursor() -> None:
    events = load("bluesky", "jetstream_events.json")
    root, reply = accepted("bluesky", "jetstream_events.json")
    assert (
        root.source_id == "at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3l3qo2vutsw2b"
    )
    assert reply.thread_id == reply.parent_id == root.source_id
    assert reply.conversation_key == root.conversation_key
    assert [bluesky.cursor_of(e) for e in events][-1] == 1795167677000000


def test_reddit_comments_nest_under_the_post_and_crossposts_are_reposts() -> None:
    post, top, nested = accepted("reddit", "comments_page.json")
    assert post.source_id == "t3_1gv7zqa" and post.text.startswith("Skyvela cancelled my flight")
    assert top.thread_id == nested.thread_id == "t3_1gv7zqa"
    assert nested.parent_id == "t1_lxy01ab"
    assert {post.conversation_key} == {top.conversation_key, nested.conversation_key}
    _, crosspost = accepted("reddit", "search_posts.json")
    assert crosspost.repost_of == mention_id("reddit", "t3_1gv7zqa")
    assert reddit.cursor_of(load("reddit", "search_posts.json")) == "t3_1gv8k2m"


def test_rss_items_use_guid_and_channel_language() -> None:
    first, second = accepted("rss", "news_feed.xml")
    assert first.source_id == "aviation-daily-48213"
    assert first.text == (
        "Skyvela cancels 40 flights amid crew shortage\n"
        "Passengers of Skyvela Airways faced cancellations on Friday."
    )
    assert first.author.handle == "news.example.org" and first.lang == "en-gb"
    assert second.source_id == "https://news.example.org/2026/11/19/telvora-prices"
    assert second.brand == "telvora"


def test_atom_entry() -> None:
    (entry,) = accepted("rss", "blog_feed.atom.xml")
    assert entry.source_id == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert entry.lang == "fi" and entry.author.display_name == "Aino"


def test_feed_with_a_doctype_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><rss><channel/></rss>'
    with pytest.raises(PayloadError, match="DOCTYPE"):
        PLATFORMS["rss"].convert(bomb)


def test_youtube_replies_join_their_thread() -> None:
    top, reply = accepted("youtube", "comment_threads.json")
    assert top.text == "Flew Skyvela last week & the crew were amazing!"
    assert reply.thread_id == reply.parent_id == top.source_id
    assert youtube.cursor_of(load("youtube", "comment_threads.json")) == "QURTSl9pMTZKQ3ZuRHpGZ01B"


def test_x_retweet_carries_the_full_original_text_and_links_it() -> None:
    tweet, retweet, reply = accepted("x", "filtered_stream.json")
    assert tweet.author.handle == "@ana_flies" and tweet.author.followers == 1200
    assert tweet.url == "https://x.com/ana_flies/status/1859201234567890123"
    assert retweet.text == tweet.text
    assert retweet.repost_of == tweet.mention_id
    assert retweet.conversation_key == tweet.conversation_key == reply.conversation_key
    assert reply.parent_id == tweet.source_id
    assert x.cursor_of(load("x", "filtered_stream.json")[-1]) == "1859201300000000000"


def test_telegram_messages_replies_and_captions() -> None:
    updates = load("telegram", "get_updates.json")
    first, reply, post = accepted("telegram", "get_updates.json")
    assert first.source_id == "-1001234567890:4412" and first.brand == "skyvela"
    assert reply.parent_id == first.source_id
    assert post.text == "Skyvela A320 at Helsinki today" and post.author.handle == "@avianews"
    assert first.url == "https://t.me/travel_chat/4412"
    assert telegram.cursor_of(updates["result"][-1]) == 871234504


def test_facebook_comment_is_a_mention_and_reactions_are_not() -> None:
    (comment,) = accepted("facebook", "page_feed.json")
    assert comment.source_id == "998877665544_1122334455"
    assert comment.thread_id == "104857600000001_998877665544"
    assert comment.author.handle == "Liisa Virtanen"


def test_instagram_comments_and_replies_keep_their_media_thread() -> None:
    comment, reply = accepted("instagram", "comments.json")
    assert comment.author.handle == "@wanderlust_mia"
    assert reply.parent_id == comment.source_id
    assert reply.conversation_key == comment.conversation_key
    assert comment.created_at == datetime(2026, 11, 20, 9, 41, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("platform", "payload"),
    [
        ("facebook", {"object": "instagram", "entry": []}),
        ("instagram", {"object": "page"}),
        ("youtube", {"kind": "youtube#videoListResponse"}),
        ("reddit", "not a listing"),
        ("mastodon", {"event": "update", "payload": "{broken"}),
        ("bluesky", {"kind": "commit", "commit": "nope"}),
        ("rss", b"<html><body>not a feed</body></html>"),
        ("rss", b"<rss><channel>"),
    ],
)
def test_payloads_not_in_the_platform_format_raise_payload_error(
    platform: str, payload: Any
) -> None:
    with pytest.raises(PayloadError):
        PLATFORMS[platform].convert(payload)


def test_wrong_typed_fields_become_item_rejections_not_crashes() -> None:
    event = load("bluesky", "jetstream_events.json")[0]
    event["commit"]["record"]["text"] = 42
    event["commit"]["record"]["createdAt"] = "yesterday"
    (item,) = bluesky.convert(event)
    outcome = accept_one(item, catalogue=CATALOGUE, now=NOW)
    assert isinstance(outcome, tuple) and outcome[0] == "invalid_mention"

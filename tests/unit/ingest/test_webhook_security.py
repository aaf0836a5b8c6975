"""Signed webhooks, the replay window, per-source rate limits and platform webhooks."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from services.ingest.security import RateLimiter, TokenBucket, check_signature, sign
from tests.unit.ingest.conftest import mention

SECRETS = {"x": "x-secret", "facebook": "fb-app-secret", "telegram": "tg-token", "bluesky": "bs"}
FIXTURES = Path(__file__).parents[2] / "fixtures" / "ingest"


def signed(body: bytes, secret: str, *, at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    return {
        "content-type": "application/json",
        "x-earshot-timestamp": str(timestamp),
        "x-hub-signature-256": sign(secret, body, timestamp),
    }


async def test_unsigned_post_from_a_source_without_secret_is_accepted(make_ingest: Any) -> None:
    _, client = make_ingest(ingest_webhook_secrets=SECRETS)
    response = await client.post("/v1/mentions", json=mention(source="reddit"))
    assert response.status_code == 202


async def test_source_with_a_secret_must_sign(make_ingest: Any) -> None:
    harness, client = make_ingest(ingest_webhook_secrets=SECRETS)
    response = await client.post("/v1/mentions", json=mention())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_required"
    assert harness.produced() == []


async def test_correctly_signed_post_is_accepted(make_ingest: Any) -> None:
    harness, client = make_ingest(ingest_webhook_secrets=SECRETS)
    body = json.dumps(mention()).encode()
    response = await client.post("/v1/mentions", content=body, headers=signed(body, "x-secret"))
    assert response.status_code == 202
    assert len(harness.produced()) == 1


async def test_tampered_body_or_wrong_secret_is_refused(make_ingest: Any) -> None:
    _, client = make_ingest(ingest_webhook_secrets=SECRETS)
    body = json.dumps(mention()).encode()
    headers = signed(body, "x-secret")
    tampered = body.replace(b"Acme", b"ACME")
    response = await client.post("/v1/mentions", content=tampered, headers=headers)
    assert response.json()["error"]["code"] == "invalid_signature"
    response = await client.post("/v1/mentions", content=body, headers=signed(body, "guess"))
    assert response.status_code == 401


async def test_replayed_request_outside_the_window_is_refused(make_ingest: Any) -> None:
    _, client = make_ingest(ingest_webhook_secrets=SECRETS, ingest_signature_max_age_s=300)
    body = json.dumps(mention()).encode()
    old = signed(body, "x-secret", at=int(time.time()) - 301)
    response = await client.post("/v1/mentions", content=body, headers=old)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "stale_request"


async def test_padding_the_source_does_not_dodge_its_signature(make_ingest: Any) -> None:
    harness, client = make_ingest(ingest_webhook_secrets=SECRETS)
    response = await client.post("/v1/mentions", json=mention(source=" x\u00a0"))
    assert response.status_code == 401
    assert harness.produced() == []


async def test_a_batch_mixing_an_unsigned_secret_source_is_refused_whole(make_ingest: Any) -> None:
    harness, client = make_ingest(ingest_webhook_secrets=SECRETS)
    body = json.dumps([mention(source="reddit"), mention(source="x")]).encode()
    response = await client.post(
        "/v1/mentions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 401
    assert harness.produced() == []


def test_signature_check_is_pure_and_needs_the_timestamp() -> None:
    body = b"{}"
    headers = {"x-hub-signature-256": sign("s", body, 1000), "x-earshot-timestamp": "1000"}
    assert check_signature(secret="s", body=body, headers=headers, now=1100, max_age_s=300) is None
    refusal = check_signature(secret="s", body=body, headers=headers, now=1400.5, max_age_s=300)
    assert refusal is not None and refusal.code == "stale_request"
    no_time = {"x-hub-signature-256": sign("s", body)}
    refusal = check_signature(secret="s", body=body, headers=no_time, now=1000, max_age_s=300)
    assert refusal is not None and refusal.code == "timestamp_required"


def test_token_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    bucket = TokenBucket(rate=10, burst=20, now=0)
    assert bucket.wait_for(20, now=0) == 0
    bucket.take(20, now=0)
    assert bucket.wait_for(5, now=0) == 0.5
    assert bucket.wait_for(5, now=0.5) == 0
    assert bucket.wait_for(21, now=100) == float("inf")


def test_rate_limiter_takes_all_or_nothing() -> None:
    limiter = RateLimiter(rate=10, burst=10)
    assert limiter.acquire({"x": 8, "reddit": 2}, now=0) is None
    refusal = limiter.acquire({"x": 5, "reddit": 5}, now=0)
    assert refusal is not None and refusal.status == 429 and refusal.retry_after_s == 1
    assert limiter.acquire({"reddit": 8}, now=0) is None  # the refused request took nothing


async def test_source_over_its_rate_gets_429_with_retry_after(make_ingest: Any) -> None:
    _, client = make_ingest(ingest_rate_per_source=1, ingest_burst_per_source=3)
    items = [mention(source_id=str(i)) for i in range(3)]
    assert (await client.post("/v1/mentions", json=items)).status_code == 202
    response = await client.post("/v1/mentions", json=mention(source_id="4"))
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response.headers["retry-after"]) >= 1
    other = await client.post("/v1/mentions", json=mention(source="reddit"))
    assert other.status_code == 202  # limits are per source


async def test_meta_webhook_signed_with_the_app_secret(make_ingest: Any) -> None:
    harness, client = make_ingest(ingest_webhook_secrets=SECRETS)
    body = (FIXTURES / "facebook" / "page_feed.json").read_bytes()
    headers = {
        "x-hub-signature-256": sign("fb-app-secret", body),
        "content-type": "application/json",
    }
    response = await client.post(
        "/v1/webhooks/facebook?brand=skyvela", content=body, headers=headers
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["accepted"]) == 1
    bad = {**headers, "x-hub-signature-256": sign("wrong", body)}
    response = await client.post("/v1/webhooks/facebook", content=body, headers=bad)
    assert response.status_code == 401
    assert len(harness.produced()) == 1


async def test_meta_subscription_handshake(make_ingest: Any) -> None:
    _, client = make_ingest(ingest_meta_verify_token="verify-me")
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": "verify-me",
        "hub.challenge": "1158201444",
    }
    response = await client.get("/v1/webhooks/instagram", params=query)
    assert response.status_code == 200 and response.text == "1158201444"
    response = await client.get(
        "/v1/webhooks/instagram", params={**query, "hub.verify_token": "no"}
    )
    assert response.status_code == 403


async def test_telegram_webhook_checks_its_secret_token(make_ingest: Any) -> None:
    _, client = make_ingest(ingest_webhook_secrets=SECRETS)
    updates = json.loads((FIXTURES / "telegram" / "get_updates.json").read_text("utf-8"))
    update = updates["result"][0]
    response = await client.post("/v1/webhooks/telegram", json=update)
    assert response.status_code == 401
    response = await client.post(
        "/v1/webhooks/telegram",
        json=update,
        headers={"x-telegram-bot-api-secret-token": "tg-token"},
    )
    assert response.status_code == 200 and len(response.json()["accepted"]) == 1


async def test_relayed_stream_event_signed_like_mentions(make_ingest: Any) -> None:
    harness, client = make_ingest(ingest_webhook_secrets=SECRETS)
    events = json.loads((FIXTURES / "bluesky" / "jetstream_events.json").read_text("utf-8"))
    body = json.dumps(events[0]).encode()
    response = await client.post("/v1/webhooks/bluesky", content=body, headers=signed(body, "bs"))
    assert response.status_code == 200 and len(response.json()["accepted"]) == 1
    # A like is a valid event that is not a mention: understood, nothing produced.
    like = json.dumps(events[2]).encode()
    response = await client.post("/v1/webhooks/bluesky", content=like, headers=signed(like, "bs"))
    assert response.json() == {"accepted": [], "rejected": []}
    assert len(harness.produced()) == 1


async def test_rss_feed_posted_as_xml(make_ingest: Any) -> None:
    _, client = make_ingest()
    body = (FIXTURES / "rss" / "news_feed.xml").read_bytes()
    response = await client.post(
        "/v1/webhooks/rss", content=body, headers={"content-type": "application/rss+xml"}
    )
    assert response.status_code == 200
    result = response.json()
    assert [a["index"] for a in result["accepted"]] == [0]
    assert result["rejected"][0]["error"]["code"] == "no_brand_matched"  # Telvora: not tracked here


async def test_unknown_platform_is_404_naming_the_known_ones(make_ingest: Any) -> None:
    _, client = make_ingest()
    response = await client.post("/v1/webhooks/myspace", json={})
    assert response.status_code == 404
    assert "mastodon" in response.json()["error"]["details"]


async def test_payload_in_the_wrong_format_is_422(make_ingest: Any) -> None:
    _, client = make_ingest()
    response = await client.post("/v1/webhooks/facebook", json={"object": "user", "entry": []})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_payload"

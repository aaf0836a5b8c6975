"""Webhook security, pure: HMAC-SHA256 signatures, the replay window, per-source rate limits.

Signature schemes:

* Earshot's own (`POST /v1/mentions`, and relays posting to `/v1/webhooks/{platform}`):
  `X-Earshot-Timestamp: <unix seconds>` and
  `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>`.
  Signing the timestamp with the body is what makes the replay window enforceable: an
  attacker who captured a request cannot refresh its timestamp.
* Meta's (Facebook, Instagram Graph webhooks): `X-Hub-Signature-256: sha256=<hex
  HMAC-SHA256(app secret, raw body)>`, no timestamp. Meta retries a delivery for hours, so
  a window would refuse its retries; a replayed Meta body can only re-send mentions whose
  deterministic ids ingest already produced, which every stage drops.
* Telegram's: `X-Telegram-Bot-Api-Secret-Token` equal to the secret given to `setWebhook`.

No I/O; `now` is passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

SIGNATURE_HEADER = "x-hub-signature-256"
TIMESTAMP_HEADER = "x-earshot-timestamp"
TELEGRAM_HEADER = "x-telegram-bot-api-secret-token"


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: HTTP status, machine code, human message."""

    status: int
    code: str
    message: str
    retry_after_s: int | None = None


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The `X-Hub-Signature-256` value for a body (with Earshot's timestamp when given)."""
    signed = body if timestamp is None else f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def check_signature(
    *,
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    now: float,
    max_age_s: int,
    with_timestamp: bool = True,
) -> Refusal | None:
    """None when the request is signed with `secret` (and, with a timestamp, fresh)."""
    given = headers.get(SIGNATURE_HEADER)
    if not given:
        return Refusal(401, "signature_required", f"this source must sign: {SIGNATURE_HEADER}")
    timestamp: int | None = None
    if with_timestamp:
        raw = headers.get(TIMESTAMP_HEADER, "")
        if not raw.isdigit() or len(raw) > 12:
            return Refusal(401, "timestamp_required", f"{TIMESTAMP_HEADER}: unix seconds")
        timestamp = int(raw)
        if abs(now - timestamp) > max_age_s:
            return Refusal(
                401,
                "stale_request",
                f"{TIMESTAMP_HEADER} is more than {max_age_s}s from now; replays are refused",
            )
    if not hmac.compare_digest(given.strip().lower(), sign(secret, body, timestamp)):
        return Refusal(401, "invalid_signature", "the signature does not match the body")
    return None


def check_token(*, secret: str, headers: Mapping[str, str]) -> Refusal | None:
    """Telegram's scheme: a shared secret token in a header, compared in constant time."""
    given = headers.get(TELEGRAM_HEADER, "")
    if not given:
        return Refusal(401, "signature_required", f"this source must send {TELEGRAM_HEADER}")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return Refusal(401, "invalid_signature", f"{TELEGRAM_HEADER} does not match")
    return None


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up. A mention costs one token."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated = max(self.updated, now)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until `cost` tokens are available (0: available now). Takes nothing."""
        self._refill(now)
        if cost > self.burst:
            return math.inf
        return max(0.0, (cost - self.tokens) / self.rate)

    def take(self, cost: float, now: float) -> None:
        self._refill(now)
        self.tokens -= cost

    def give_back(self, cost: float) -> None:
        self.tokens = min(self.burst, self.tokens + cost)


class RateLimiter:
    """One token bucket per source; a request takes all its tokens or none."""

    def __init__(self, rate: float, burst: float, max_sources: int = 10_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_sources = max_sources  # hostile senders must not grow this without bound
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def _bucket(self, source: str, now: float) -> TokenBucket:
        bucket = self._buckets.get(source)
        if bucket is None:
            bucket = self._buckets[source] = TokenBucket(self.rate, self.burst, now)
            if len(self._buckets) > self.max_sources:
                self._buckets.popitem(last=False)
        self._buckets.move_to_end(source)
        return bucket

    def acquire(self, costs: Mapping[str, int], now: float) -> Refusal | None:
        """Take `costs[source]` tokens from each source's bucket, or refuse with Retry-After."""
        waits = {source: self._bucket(source, now).wait_for(n, now) for source, n in costs.items()}
        slowest = max(waits.values(), default=0.0)
        if slowest > 0:
            source = max(waits, key=lambda s: waits[s])
            if math.isinf(slowest):
                return Refusal(
                    413,
                    "batch_too_large",
                    f"{costs[source]} mentions from {source!r} exceed its burst of {self.burst:g}",
                )
            return Refusal(
                429,
                "rate_limited",
                f"source {source!r} is over {self.rate:g} mentions/s; retry later",
                retry_after_s=max(1, math.ceil(slowest)),
            )
        for source, n in costs.items():
            self._buckets[source].take(n, now)
        return None

    def release(self, costs: Mapping[str, int]) -> None:
        """Give the tokens back: the request failed before anything was accepted."""
        for source, n in costs.items():
            bucket = self._buckets.get(source)
            if bucket is not None:
                bucket.give_back(n)

"""Passwords, tokens, API keys and the login rate limiter: pure functions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from services.api import security

SECRET = "k" * 40


def test_passwords_are_argon2id_and_verify_only_the_right_one() -> None:
    stored = security.hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert security.verify_password(stored, "correct horse")
    assert not security.verify_password(stored, "wrong horse")
    assert not security.verify_password("not-a-hash", "correct horse")


def token(**overrides: object) -> str:
    args = {
        "secret": SECRET,
        "user_id": uuid.uuid4(),
        "organisation_id": "acme",
        "role": "lead",
        "now": datetime.now(UTC),
        "ttl_s": 60,
    } | overrides
    return security.issue_token(**args)  # type: ignore[arg-type]


def test_a_token_carries_user_organisation_and_role() -> None:
    user = uuid.uuid4()
    claims = security.read_token(secret=SECRET, token=token(user_id=user))
    assert claims is not None
    assert (claims["sub"], claims["org"], claims["role"]) == (str(user), "acme", "lead")


def test_expired_foreign_or_unsigned_tokens_are_rejected() -> None:
    expired = token(now=datetime.now(UTC) - timedelta(hours=2))
    assert security.read_token(secret=SECRET, token=expired) is None
    assert security.read_token(secret="other" * 10, token=token()) is None
    unsigned = jwt.encode({"sub": "x", "org": "acme", "exp": 9999999999}, None, algorithm="none")
    assert security.read_token(secret=SECRET, token=unsigned) is None
    assert security.read_token(secret=SECRET, token="garbage") is None


def test_api_keys_round_trip_and_reject_other_shapes() -> None:
    key_id, key, digest = security.new_api_key()
    assert key.startswith("esk_")
    assert security.parse_api_key(key) == (key_id, digest)
    assert security.parse_api_key("esk_nothex_secret") is None
    assert security.parse_api_key("Bearer something") is None


def test_rate_limiter_allows_the_limit_per_window_then_says_how_long_to_wait() -> None:
    limiter = security.RateLimiter(limit=3, window_s=60)
    assert [limiter.retry_after("ip:1", t) for t in (0, 1, 2)] == [None, None, None]
    assert limiter.retry_after("ip:1", 3) == 57
    assert limiter.retry_after("ip:2", 3) is None  # keys are independent
    assert limiter.retry_after("ip:1", 60.5) is None  # the first attempt left the window

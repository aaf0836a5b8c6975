"""Passwords, tokens, API keys and login rate limits: pure functions, no I/O, no clock reads."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections import deque
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id with the library's defaults (RFC 9106's low-memory profile).
_hasher = PasswordHasher()
API_KEY_PREFIX = "esk"
JWT_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def burn_verification(password: str) -> None:
    """Spend the time a real check takes, so a login for an unknown email answers as slowly
    as one with a wrong password (no account enumeration by timing)."""
    verify_password(_dummy_hash(), password)


def issue_token(
    *, secret: str, user_id: uuid.UUID, organisation_id: str, role: str, now: datetime, ttl_s: int
) -> str:
    claims = {
        "sub": str(user_id),
        "org": organisation_id,
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_s)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


def read_token(*, secret: str, token: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token we signed; None for anything else."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["sub", "org", "exp"]}
        )
    except jwt.PyJWTError:
        return None
    return claims


def new_api_key() -> tuple[uuid.UUID, str, bytes]:
    """(key id, the key as shown once to its creator, the SHA-256 to store)."""
    key_id = uuid.uuid4()
    secret = secrets.token_urlsafe(32)
    return (
        key_id,
        f"{API_KEY_PREFIX}_{key_id.hex}_{secret}",
        hashlib.sha256(secret.encode()).digest(),
    )


def parse_api_key(key: str) -> tuple[uuid.UUID, bytes] | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    try:
        key_id = uuid.UUID(hex=parts[1])
    except ValueError:
        return None
    return key_id, hashlib.sha256(parts[2].encode()).digest()


def same_digest(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


class RateLimiter:
    """Sliding-window limit per key (client address, account). Per process: with several API
    replicas the effective limit is the per-replica limit times the replicas."""

    def __init__(self, *, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}

    def retry_after(self, key: str, now: float) -> float | None:
        """Records an attempt; None if allowed, else the seconds until one is."""
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return hits[0] + self.window_s - now
        hits.append(now)
        if len(self._hits) > 100_000:  # bounded memory under a spray of addresses
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window_s}
        return None

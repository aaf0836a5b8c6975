"""Who is calling: login, token and API-key checks, the signing secret and roles."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import asyncpg

from services.api import security
from services.api.repo import accounts
from services.api.settings import MIN_SECRET_LENGTH, WEAK_SECRETS, ApiSettings

log = logging.getLogger(__name__)

Role = Literal["responder", "lead", "admin"]
ROLE_RANK: dict[str, int] = {"responder": 0, "lead": 1, "admin": 2}


@dataclass(frozen=True)
class Principal:
    """The caller. `handle` is what case fields record (assignee, author): the user's email,
    or `api-key:<name>` for a key."""

    organisation_id: str
    role: Role
    handle: str
    user_id: uuid.UUID | None = None

    def at_least(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


class SecretRefused(RuntimeError):
    pass


def resolve_secret(settings: ApiSettings, *, dev_mode: bool, data_dir: Path) -> str:
    """The signing secret. Outside dev mode a missing, default or short secret stops the
    service from starting: tokens signed with a guessable key can be forged by anyone."""
    secret = settings.api_secret.get_secret_value()
    if secret and secret.lower() not in WEAK_SECRETS and len(secret) >= MIN_SECRET_LENGTH:
        return secret
    if not dev_mode:
        raise SecretRefused(
            "EARSHOT_API_SECRET must be set to a random string of at least "
            f"{MIN_SECRET_LENGTH} characters (e.g. `openssl rand -hex 32`)"
        )
    # Dev mode: one random secret per data folder, so logins survive a restart.
    path = data_dir / "api-secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secret)
    return secret


class Authenticator:
    def __init__(self, *, settings: ApiSettings, secret: str) -> None:
        self.settings = settings
        self._secret = secret
        per_minute = settings.api_login_attempts_per_minute
        self.login_limits = security.RateLimiter(limit=per_minute, window_s=60)

    def limit_login(self, *, client: str, email: str) -> float | None:
        """Seconds to wait, if this address or this account has tried too often."""
        now = time.monotonic()
        by_client = self.login_limits.retry_after(f"ip:{client}", now)
        by_account = self.login_limits.retry_after(f"account:{email.lower()}", now)
        waits = [w for w in (by_client, by_account) if w is not None]
        return max(waits) if waits else None

    async def login(
        self, *, pool: asyncpg.Pool[Any], email: str, password: str, client: str = ""
    ) -> tuple[str, asyncpg.Record] | None:

        # argon2 costs ~50 ms of CPU: keep it off the event loop.
        user = await accounts.user_for_login(pool=pool, email=email)
        if user is None:
            await asyncio.to_thread(security.burn_verification, password)
            return None
        ok = await asyncio.to_thread(security.verify_password, user["password_hash"], password)
        async with pool.acquire() as connection:
            await accounts.add_audit(
                connection=connection, organisation_id=user["organisation_id"],
                actor=user["email"], action="auth.login" if ok else "auth.login_failed",
                details={"client": client},
            )  # fmt: skip
        if not ok:
            return None
        token = security.issue_token(
            secret=self._secret,
            user_id=user["id"],
            organisation_id=user["organisation_id"],
            role=user["role"],
            now=datetime.now(UTC),
            ttl_s=self.settings.api_token_ttl_s,
        )
        return token, user

    async def from_token(self, *, pool: asyncpg.Pool[Any], token: str) -> Principal | None:
        claims = security.read_token(secret=self._secret, token=token)
        if claims is None:
            return None
        try:
            user_id = uuid.UUID(str(claims["sub"]))
        except ValueError:
            return None
        user = await accounts.active_user(
            pool=pool, user_id=user_id, organisation_id=str(claims["org"])
        )
        if user is None:
            return None
        return Principal(user["organisation_id"], user["role"], user["email"], user["id"])

    async def from_api_key(self, *, pool: asyncpg.Pool[Any], key: str) -> Principal | None:
        parsed = security.parse_api_key(key)
        if parsed is None:
            return None
        row = await accounts.api_key(pool=pool, key_id=parsed[0])
        if row is None or not security.same_digest(bytes(row["secret_sha256"]), parsed[1]):
            return None
        return Principal(row["organisation_id"], row["role"], f"api-key:{row['name']}")

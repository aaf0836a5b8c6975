"""Fixtures and data builders for the API tests (imported by the test_api_* modules): the API
app on the session's real PostgreSQL, and tenants with users, brands, cases and mentions."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from services.api import main as api
from services.api import security
from services.api.repo import accounts
from services.api.settings import ApiSettings
from services.shared.bus import MemoryBus
from services.shared.http import add_error_handlers
from services.shared.runtime import Resources
from services.shared.settings import EarshotSettings

pytestmark = [pytest.mark.postgres]

SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery"


def build_api_app(pool: asyncpg.Pool, dsn: str, data_dir: Path, **overrides: Any) -> FastAPI:
    """The API routers on a bare app, wired like `build_app` does after its lifespan opened
    the resources (the pool is the session's)."""
    app = FastAPI(title="Earshot API (test)")
    add_error_handlers(app)
    for router in api.ROUTERS:
        app.include_router(router)
    settings = EarshotSettings(database_url=dsn, bus="memory", data_dir=data_dir)
    resources = Resources(settings=settings, bus=MemoryBus(), pool=pool, dsn=dsn)
    app.state.resources = resources
    options: dict[str, Any] = {
        "api_secret": SECRET,
        "api_dev_mode": False,
        "api_login_attempts_per_minute": 10_000,
    }
    app.state.api = api.ApiService(resources, ApiSettings(**(options | overrides)))
    return app


@pytest.fixture(scope="session")
def api_app(pool: asyncpg.Pool, postgres_dsn: str, tmp_path_factory: pytest.TempPathFactory):
    return build_api_app(pool, postgres_dsn, tmp_path_factory.mktemp("api"))


@pytest.fixture
async def client(api_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=api_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@dataclass
class Tenant:
    """One organisation: three users (one per role) with tokens, a brand, a competitor."""

    org: str
    brand: str
    competitor: str
    emails: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


async def make_tenant(pool: asyncpg.Pool, tag: str) -> Tenant:
    org = f"org-{tag}"
    await accounts.create_organisation(pool=pool, organisation_id=org, name=f"Org {tag}")
    brand, competitor = f"brand-{tag}", f"rival-{tag}"
    for brand_id, of in ((brand, None), (competitor, brand)):
        await pool.execute(
            """INSERT INTO brands (id, name, competitor_of, organisation_id)
               VALUES ($1, $2, $3, $4)""",
            brand_id,
            brand_id.title(),
            of,
            org,
        )
    password_hash = security.hash_password(PASSWORD)
    emails = {role: f"{role}@{tag}.test" for role in ("responder", "lead", "admin")}
    for role, email in emails.items():
        await accounts.upsert_user(
            pool=pool,
            organisation_id=org,
            email=email,
            name=role,
            role=role,
            password_hash=password_hash,
        )
    tenant = Tenant(org, brand, competitor, emails)
    # Tokens are minted directly (logging in is tested on its own): three argon2 checks per
    # tenant would dominate the suite's time.
    for user in await accounts.list_users(pool=pool, organisation_id=org):
        tenant.tokens[user["role"]] = security.issue_token(
            secret=SECRET,
            user_id=user["id"],
            organisation_id=org,
            role=user["role"],
            now=datetime.now(UTC),
            ttl_s=3600,
        )
    return tenant


@pytest.fixture
async def tenant(pool: asyncpg.Pool) -> Tenant:
    return await make_tenant(pool, uuid.uuid4().hex[:8])


@pytest.fixture
async def other_tenant(pool: asyncpg.Pool) -> Tenant:
    return await make_tenant(pool, uuid.uuid4().hex[:8])


def classification(
    *,
    sentiment: str = "negative",
    spam: float = 0.0,
    offensive: float = 0.0,
    urgency: str = "high",
) -> dict[str, Any]:
    return {
        "sentiment": {
            "label": sentiment,
            "scores": {"negative": 0.8, "neutral": 0.1, "positive": 0.1},
        },
        "language": {"code": "en", "confidence": 0.9, "method": "detected"},
        "abuse": {"offensive": offensive, "hate": 0.0, "spam": spam},
        "urgency": {
            "level": urgency,
            "reasons": [{"code": "negative_sentiment", "message": "Negative sentiment"}],
        },
        "model_version": "test",
    }


async def make_case(
    pool: asyncpg.Pool,
    brand: str,
    *,
    priority: str = "p2",
    team: str = "support",
    due_in: timedelta = timedelta(hours=6),
    started_ago: timedelta = timedelta(minutes=5),
    sentiment: str = "negative",
    spam: float = 0.0,
    offensive: float = 0.0,
    text: str = "My order never arrived and nobody answers.",
) -> tuple[uuid.UUID, uuid.UUID]:
    """A case with one mention, as the router would store them; returns (case, mention)."""
    now = datetime.now(UTC)
    case_id, mention_id = uuid.uuid4(), uuid.uuid4()
    key = f"{brand}|x|{mention_id}"
    started = now - started_ago
    await pool.execute(
        """INSERT INTO cases (id, brand, conversation_key, status, team, queue, priority,
               sla_started_at, sla_due_at, last_mention_at)
           VALUES ($1, $2, $3, 'open', $4, $4, $5, $6, $7, $6)""",
        case_id,
        brand,
        key,
        team,
        priority,
        started,
        started + due_in,
    )
    await pool.execute(
        """INSERT INTO mentions (id, source, source_id, brand, text, author, created_at,
               received_at, conversation_key, classification, sentiment, urgency, language,
               model_version, classified_at, route, case_id)
           VALUES ($1, 'x', $2, $3, $4, $5, $6, $6, $7, $8, $9, 'high', 'en', 'test', $6,
                   $10, $11)""",
        mention_id,
        str(mention_id),
        brand,
        text,
        {"handle": "@someone", "followers": 10},
        started,
        key,
        classification(sentiment=sentiment, spam=spam, offensive=offensive),
        sentiment,
        {"action": "case", "team": team},
        case_id,
    )
    return case_id, mention_id


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)

"""API service: queues, case work, accounts, analytics, live updates and the web console."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter

from services.api.auth import Authenticator, resolve_secret
from services.api.demo import demo_banner, seed_demo_accounts
from services.api.routes import (
    accounts,
    analytics,
    auth,
    brands,
    case_actions,
    cases,
    console,
    events,
    mentions,
    responders,
)
from services.api.settings import ApiSettings
from services.shared.http import ReadinessCheck
from services.shared.runtime import Resources

log = logging.getLogger(__name__)

ROUTERS: list[APIRouter] = [
    auth.router,
    accounts.router,
    brands.router,
    cases.router,
    case_actions.router,
    mentions.router,
    responders.router,
    analytics.router,
    events.router,
    console.router,
]


class ApiService:
    name = "api"

    def __init__(self, resources: Resources, settings: ApiSettings | None = None) -> None:
        self.resources = resources
        self.settings = settings or ApiSettings()
        # Dev mode = the embedded PostgreSQL of `earshot run`, unless said otherwise.
        dev = self.settings.api_dev_mode
        self.dev_mode = resources.settings.database_url is None if dev is None else dev
        # Refuses to build (so the process refuses to start) without a usable secret.
        secret = resolve_secret(
            self.settings, dev_mode=self.dev_mode, data_dir=resources.settings.data_dir
        )
        self.authenticator = Authenticator(settings=self.settings, secret=secret)

    async def start(self) -> None:
        if self.dev_mode and self.settings.api_demo_accounts:
            demo = await seed_demo_accounts(self.resources.pool)
            port = self.resources.settings.http_port
            print(demo_banner(demo, f"http://127.0.0.1:{port}"), flush=True)

    async def stop(self) -> None:
        return None

    def readiness(self) -> dict[str, ReadinessCheck]:
        return {}


def component(settings: ApiSettings | None = None) -> Any:
    return lambda resources: ApiService(resources, settings)

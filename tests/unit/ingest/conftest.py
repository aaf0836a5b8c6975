"""An ingest app on the in-process bus with a fixed brand catalogue: HTTP without servers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.ingest.main import IngestService, router
from services.ingest.rules import Brand, BrandCatalogue
from services.ingest.settings import IngestSettings
from services.shared.bus import MemoryBus
from services.shared.http import add_error_handlers

BRANDS = [
    Brand(
        "acme",
        "Acme",
        keywords=("acme", "acme air"),
        hashtags=("#acmefail",),
        handles=("@acme_help",),
    ),
    Brand("skyvela", "Skyvela", keywords=("skyvela", "скайвела", "скайвелы")),
    Brand("zenith", "Zenith", competitor_of="acme", keywords=("zenith",)),
]


class IngestHarness:
    def __init__(self, settings: IngestSettings) -> None:
        self.bus = MemoryBus(default_partitions=2)
        resources: Any = SimpleNamespace(bus=self.bus, pool=None, settings=settings)
        self.service = IngestService(resources, settings)
        self.service.catalogue = BrandCatalogue(BRANDS)
        self.service._loaded_at = time.monotonic() + 1e9  # never reload: there is no database
        self.app = FastAPI()
        add_error_handlers(self.app)
        self.app.include_router(router)
        self.app.state.ingest = self.service

    def produced(self) -> list[Any]:
        return self.bus.messages(self.service.topic)


@pytest.fixture
async def make_ingest() -> AsyncIterator[Callable[..., Any]]:
    clients: list[httpx.AsyncClient] = []

    def make(**overrides: Any) -> tuple[IngestHarness, httpx.AsyncClient]:
        settings = IngestSettings(bus="memory", **overrides)
        harness = IngestHarness(settings)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=harness.app, raise_app_exceptions=False),
            base_url="http://ingest",
        )
        clients.append(client)
        return harness, client

    yield make
    for client in clients:
        await client.aclose()


def mention(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": "x",
        "source_id": "1890012345",
        "text": "Acme lost my bag again",
        "author": {"handle": "@ana", "followers": 42},
        "created_at": "2026-11-20T11:58:00Z",
    }
    base.update(overrides)
    return base

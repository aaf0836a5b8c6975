from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from services.classifier.main import ClassifierService
from services.classifier.models import Classifier, load_classifier
from services.embedded import EmbeddedSettings
from services.ingest import main as ingest
from services.router.main import RouterService
from services.shared.config import load_config
from services.shared.http import add_error_handlers
from services.shared.runtime import Resources, close_resources, open_resources
from tests.support.kafka_broker import KafkaBroker

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture(scope="session")
def model() -> Classifier:
    return load_classifier("vader")


@dataclass
class Pipeline:
    settings: EmbeddedSettings
    resources: Resources
    pool: asyncpg.Pool
    http: httpx.AsyncClient
    brand: str
    components: list[Any]

    async def post(self, items: list[dict[str, Any]]) -> httpx.Response:
        return await self.http.post("/v1/mentions", json=items)


def kafka_settings(kafka: KafkaBroker, dsn: str, prefix: str, **extra: Any) -> EmbeddedSettings:
    return EmbeddedSettings(
        bus="kafka",
        kafka_bootstrap=kafka.bootstrap,
        database_url=dsn,
        topic_prefix=prefix,
        topic_partitions=4,
        classifier_model="vader",
        **extra,
    )


async def add_brand(pool: asyncpg.Pool, brand: str, tmp_path: Any) -> None:
    path = tmp_path / f"{brand}.yaml"
    path.write_text(
        f"brands:\n  - id: {brand}\n    name: {brand.capitalize()}\n    keywords: [{brand}]\n"
    )
    await load_config(pool, path)


@pytest.fixture
async def pipeline(
    kafka: KafkaBroker,
    postgres_dsn: str,
    pool: asyncpg.Pool,
    model: Classifier,
    unique: str,
    tmp_path: Any,
) -> AsyncIterator[Pipeline]:
    """Ingest, classifier and router in this process, on the real broker and database, with
    topics of their own (a unique prefix) so tests never see each other's messages."""
    settings = kafka_settings(kafka, postgres_dsn, f"t{unique}.")
    async with start_pipeline(settings, model, f"brand{unique}", tmp_path) as running:
        yield running


@asynccontextmanager
async def start_pipeline(
    settings: EmbeddedSettings, model: Classifier, brand: str, tmp_path: Any
) -> AsyncIterator[Pipeline]:
    resources = await open_resources(settings)
    await add_brand(resources.pool, brand, tmp_path)
    components: list[Any] = [
        ingest.IngestService(resources, settings),
        ClassifierService(resources, settings, model),
        RouterService(resources, settings),
    ]
    for component in components:
        await component.start()
    app = FastAPI()
    add_error_handlers(app)
    app.include_router(ingest.router)
    app.state.ingest = components[0]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ingest", timeout=60
    ) as http:
        yield Pipeline(settings, resources, resources.pool, http, brand, components)
    for component in reversed(components):
        await component.stop()
    await close_resources(resources)

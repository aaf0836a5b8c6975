"""Embedded mode: all four services in one process, on one port, with an embedded PostgreSQL
and the in-process bus; seeds the demo brands and teams and replays the demo stream.

Same code paths as the distributed mode: only the transport differs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from importlib import resources as package_files
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import Field

from services.api import main as api
from services.api.analytics import main as analytics
from services.classifier import main as classifier
from services.classifier.settings import ClassifierSettings
from services.ingest import main as ingest
from services.ingest.settings import IngestSettings
from services.router import main as router
from services.router.settings import RouterSettings
from services.shared.config import load_config
from services.shared.runtime import Resources, build_app

log = logging.getLogger(__name__)

DEMO_DIR = Path(str(package_files.files("services.shared") / "demo"))


class EmbeddedSettings(IngestSettings, ClassifierSettings, RouterSettings):
    """Every service's settings at once (they share one process)."""

    demo: bool = Field(default=True, description="`earshot run`: replay the bundled demo stream")
    demo_rate: float = Field(
        default=5.0, gt=0, description="Demo mentions per second after the first burst"
    )
    demo_burst: int = Field(
        default=60, ge=0, description="Demo mentions replayed at once, so the queues fill at once"
    )


def build_embedded_app(settings: EmbeddedSettings) -> FastAPI:
    async def on_started(app: FastAPI, resources: Resources) -> None:
        if settings.demo:
            await load_config(resources.pool, DEMO_DIR / "brands.yaml", DEMO_DIR / "teams.yaml")
            await app.state.ingest.refresh_catalogue()
            app.state.demo_task = asyncio.create_task(
                replay_demo(app.state.ingest, settings), name="demo-replay"
            )

    return build_app(
        title="Earshot",
        settings=settings,
        factories=[
            api.component(),
            ingest.component(settings),
            classifier.component(settings),
            router.component(settings),
            analytics.component(),
        ],
        routers=[ingest.router, *api.ROUTERS],
        on_started=on_started,
    )


def demo_mentions(run_tag: str) -> list[dict[str, Any]]:
    """The bundled stream, re-identified per run so every `make run` shows fresh mentions."""
    lines = (DEMO_DIR / "mentions.jsonl").read_text(encoding="utf-8").splitlines()
    mentions = []
    for line in lines:
        if not line.strip():
            continue
        item = json.loads(line)
        for field in ("source_id", "thread_id", "parent_id"):
            if item.get(field):
                item[field] = f"{run_tag}-{item[field]}"
        mentions.append(item)
    return mentions


async def replay_demo(service: ingest.IngestService, settings: EmbeddedSettings) -> None:
    """Post the demo stream through the same accept path as `POST /v1/mentions`; each mention
    is stamped with the time it is replayed, so SLA clocks start now."""
    run_tag = datetime.now(UTC).strftime("demo%Y%m%d%H%M%S")
    mentions = demo_mentions(run_tag)
    log.info("replaying demo stream", extra={"mentions": len(mentions)})
    for i, item in enumerate(mentions):
        item["created_at"] = datetime.now(UTC).isoformat()
        result = await service.accept([item])
        for rejection in result.rejected:
            log.warning(
                "demo mention rejected", extra={"code": rejection.code, "reason": rejection.message}
            )
        if i >= settings.demo_burst:
            await asyncio.sleep(1 / settings.demo_rate)
    log.info("demo stream replayed", extra={"mentions": len(mentions)})

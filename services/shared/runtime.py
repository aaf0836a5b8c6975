"""How a service process is put together: shared resources, components, one FastAPI app.

Every service is a component (start/stop/readiness, optional HTTP routes). `earshot serve X`
runs one component per process; `earshot run` runs all four in one process on one port.
Nothing here runs at import time.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
from fastapi import APIRouter, FastAPI

from services.shared.bus import Bus, build_bus, ensure_all_topics
from services.shared.db import migrate
from services.shared.db.embedded import start_embedded_postgres
from services.shared.db.pool import create_pool, ping
from services.shared.http import (
    ReadinessCheck,
    add_error_handlers,
    add_request_ids,
    health_router,
)
from services.shared.settings import EarshotSettings

log = logging.getLogger(__name__)


@dataclass
class Resources:
    settings: EarshotSettings
    bus: Bus
    pool: asyncpg.Pool[Any]
    dsn: str

    def readiness(self) -> dict[str, ReadinessCheck]:
        return {"postgres": lambda: ping(self.pool), "bus": self.bus.ping}


class Component(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None:
        """Graceful: stop taking work, finish what is in hand, commit, release."""

    def readiness(self) -> dict[str, ReadinessCheck]: ...


ComponentFactory = Callable[[Resources], Component]


def spawn(work: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
    """Run a component's long-lived loop; if it dies of an error, the process exits.

    Delivery is at-least-once and every write idempotent, so a restart (by the orchestrator)
    is safe; a process that keeps answering health checks with a dead consumer is not.
    """
    task = asyncio.create_task(work, name=name)
    task.add_done_callback(_exit_on_crash)
    return task


def _exit_on_crash(task: asyncio.Task[None]) -> None:
    if task.cancelled() or task.exception() is None:
        return
    log.critical(
        "%s crashed; exiting so it is restarted", task.get_name(), exc_info=task.exception()
    )
    logging.shutdown()
    os._exit(70)


async def open_resources(settings: EarshotSettings, *, bus: Bus | None = None) -> Resources:
    dsn = settings.database_url
    if dsn is None:
        dsn = await asyncio.to_thread(start_embedded_postgres, settings.data_dir / "postgres")
    await migrate.upgrade(dsn)
    pool = await create_pool(dsn, max_size=settings.db_pool_size)
    bus = bus or build_bus(settings, pool)
    await bus.start()
    await ensure_all_topics(bus, settings)
    return Resources(settings=settings, bus=bus, pool=pool, dsn=dsn)


async def close_resources(resources: Resources) -> None:
    await resources.bus.stop()
    try:
        # Graceful close waits for every borrowed connection; never let shutdown hang on one.
        await asyncio.wait_for(resources.pool.close(), timeout=10)
    except TimeoutError:
        log.warning("database connections still busy at shutdown; closing them")
        resources.pool.terminate()


def build_app(
    *,
    title: str,
    settings: EarshotSettings,
    factories: Sequence[ComponentFactory],
    routers: Sequence[APIRouter] = (),
    bus: Bus | None = None,
    on_started: Callable[[FastAPI, Resources], Awaitable[None]] | None = None,
) -> FastAPI:
    """A FastAPI app whose lifespan opens resources and starts/stops the components."""
    readiness: dict[str, ReadinessCheck] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = await open_resources(settings, bus=bus)
        components = [factory(resources) for factory in factories]
        app.state.resources = resources
        readiness.update(resources.readiness())
        for component in components:
            setattr(app.state, component.name, component)
            readiness.update(component.readiness())
            await component.start()
        if on_started is not None:
            await on_started(app, resources)
        log.info("started", extra={"components": [c.name for c in components]})
        try:
            yield
        finally:
            for component in reversed(components):
                await component.stop()
            await close_resources(resources)
            log.info("stopped")

    app = FastAPI(title=title, version="1", lifespan=lifespan)
    add_error_handlers(app)
    add_request_ids(app)
    app.include_router(health_router(readiness))
    for router in routers:
        app.include_router(router)
    return app

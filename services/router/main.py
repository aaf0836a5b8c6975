"""Router service: `mentions.classified` -> PostgreSQL (mentions, cases, SLA clocks) -> outbox
-> `cases.events`; plus the SLA timer sweeper and the assigner, safe to run on every replica."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from prometheus_client import Counter

from schemas import TOPIC_ALERTS, TOPIC_CASES_EVENTS, TOPIC_MENTIONS_CLASSIFIED, MentionClassified
from services.router.assigner import assign_forever
from services.router.batch import BatchConflict, route_batch
from services.router.config import RouterConfig, load_router_config
from services.router.handlers import route_mentions
from services.router.settings import RouterSettings
from services.router.timers import sweep_forever
from services.shared.bus import ConsumerLoop, Delivery
from services.shared.db.outbox import relay_forever
from services.shared.http import ReadinessCheck
from services.shared.runtime import Resources

log = logging.getLogger(__name__)

GROUP = "earshot-router"
ROUTED = Counter("earshot_router_routed_total", "Mentions routed", ["action", "team"])
DUPLICATES = Counter("earshot_router_duplicates_total", "Redelivered mentions already routed")
CONFIG_REFRESH_S = 10.0


class RouterService:
    name = "router"

    def __init__(self, resources: Resources, settings: RouterSettings) -> None:
        self.resources = resources
        self.settings = settings
        self.config = RouterConfig(teams={}, thresholds=settings.thresholds())
        self._config_loaded_at = 0.0
        self._stop = asyncio.Event()
        self._assign_wake = asyncio.Event()
        self.loop: ConsumerLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.events_topic = settings.topic(TOPIC_CASES_EVENTS)

    async def start(self) -> None:
        await self._refresh_config()
        bus = self.resources.bus
        self.loop = ConsumerLoop(
            consumer=bus.consumer([self.settings.topic(TOPIC_MENTIONS_CLASSIFIED)], group=GROUP),
            producer=bus.producer,
            group=GROUP,
            handle=self.handle,
            max_batch=self.settings.router_batch_max,
            max_wait_ms=self.settings.router_batch_wait_ms,
            topic_prefix=self.settings.topic_prefix,
        )
        self._tasks = [
            asyncio.create_task(self.loop.run(), name="router-consumer"),
            asyncio.create_task(
                # The one relay of the deployment: case events, and the alerts the analytics
                # watcher writes to the same outbox.
                relay_forever(
                    self.resources.pool,
                    bus.producer,
                    self._stop,
                    topics=[self.events_topic, self.settings.topic(TOPIC_ALERTS)],
                ),
                name="router-outbox",
            ),
            asyncio.create_task(
                sweep_forever(
                    pool=self.resources.pool,
                    config=lambda: self.config,
                    stop=self._stop,
                    events_topic=self.events_topic,
                ),
                name="router-sla-sweeper",
            ),
            asyncio.create_task(
                assign_forever(
                    pool=self.resources.pool,
                    config=lambda: self.config,
                    stop=self._stop,
                    wake=self._assign_wake,
                    events_topic=self.events_topic,
                ),
                name="router-assigner",
            ),
            asyncio.create_task(self._refresh_forever(), name="router-config"),
        ]

    async def stop(self) -> None:
        if self.loop:
            self.loop.stop()
        self._stop.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=30)

    def readiness(self) -> dict[str, ReadinessCheck]:
        return {}

    async def _refresh_config(self) -> None:
        self.config = await load_router_config(
            pool=self.resources.pool, thresholds=self.settings.thresholds()
        )
        self._config_loaded_at = time.monotonic()

    async def _refresh_forever(self) -> None:
        """Rules, policies and team settings loaded elsewhere reach this replica within
        CONFIG_REFRESH_S, also when no mention arrives (the sweeper reads team leads)."""
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), CONFIG_REFRESH_S)
            except TimeoutError:
                pass
            if time.monotonic() - self._config_loaded_at > CONFIG_REFRESH_S:
                try:
                    await self._refresh_config()
                except Exception:
                    log.exception("router config refresh failed; keeping the last one")

    async def handle(self, deliveries: Sequence[Delivery]) -> None:
        """One transaction per batch; a failing mention makes the loop retry one by one."""
        if time.monotonic() - self._config_loaded_at > CONFIG_REFRESH_S:
            await self._refresh_config()
        events: list[MentionClassified] = [d.event.data for d in deliveries]
        try:
            async with self.resources.pool.acquire() as connection, connection.transaction():
                outcomes = await route_batch(
                    connection, events, self.config, events_topic=self.events_topic
                )
        except BatchConflict:
            # Another replica opened a viral cluster's case meanwhile: the one-by-one path
            # joins it. The fast path's transaction is gone, so nothing is written twice.
            async with self.resources.pool.acquire() as connection, connection.transaction():
                outcomes = await route_mentions(
                    connection, events, self.config, events_topic=self.events_topic
                )
        if any(d is not None and d.action == "case" for d in outcomes):
            self._assign_wake.set()  # new cases: assign them now, not at the next tick
        for decision in outcomes:
            if decision is None:
                DUPLICATES.inc()
            else:
                ROUTED.labels(decision.action, decision.team or "-").inc()


def component(settings: RouterSettings) -> Any:
    return lambda resources: RouterService(resources, settings)

"""Classifier service: `mentions.raw` -> models -> `mentions.classified`, in dynamic batches."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Histogram

from schemas import TOPIC_MENTIONS_CLASSIFIED, TOPIC_MENTIONS_RAW, MentionReceived, encode
from services.classifier.handlers import classified_event, classifier_inputs
from services.classifier.models import Classifier, load_classifier
from services.classifier.settings import ClassifierSettings
from services.shared.bus import ConsumerLoop, Delivery, Record
from services.shared.http import ReadinessCheck
from services.shared.runtime import Resources, spawn

log = logging.getLogger(__name__)

GROUP = "earshot-classifier"
CLASSIFY_SECONDS = Histogram(
    "earshot_classify_batch_seconds",
    "Model time per batch",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


class ClassifierService:
    name = "classifier"

    def __init__(
        self, resources: Resources, settings: ClassifierSettings, model: Classifier | None = None
    ) -> None:
        self.resources = resources
        self.settings = settings
        self.model = model
        self.loop: ConsumerLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._reloaded_at = time.monotonic()

    async def start(self) -> None:
        if self.model is None:
            model = await asyncio.to_thread(
                load_classifier,
                self.settings.classifier_model,
                threads=self.settings.classifier_threads,
                encoder=self.settings.classifier_encoder,
            )
            # Before the first delivery: lazy loads would otherwise stall a batch mid-stream.
            await asyncio.to_thread(model.warm_up)
            self.model = model
        log.info("classifier model loaded", extra={"model_version": self.model.model_version})
        bus = self.resources.bus
        self.loop = ConsumerLoop(
            consumer=bus.consumer([self.settings.topic(TOPIC_MENTIONS_RAW)], group=GROUP),
            producer=bus.producer,
            group=GROUP,
            handle=self.handle,
            max_batch=self.settings.batch_max(),
            max_wait_ms=self.settings.classifier_batch_wait_ms,
            topic_prefix=self.settings.topic_prefix,
        )
        self._task = spawn(self.loop.run(), name="classifier-consumer")

    async def stop(self) -> None:
        if self.loop and self._task:
            self.loop.stop()
            await asyncio.wait([self._task], timeout=30)

    def readiness(self) -> dict[str, ReadinessCheck]:
        async def model_loaded() -> bool:
            return self.model is not None

        return {"model": model_loaded}

    async def handle(self, deliveries: Sequence[Delivery]) -> None:
        assert self.model is not None
        mentions: list[MentionReceived] = [d.event.data for d in deliveries]
        inputs = classifier_inputs(mentions)
        every = self.settings.classifier_reload_seconds
        if every and time.monotonic() - self._reloaded_at >= every:
            self._reloaded_at = time.monotonic()
            # Between batches, in the thread that classifies: no batch sees two model sets.
            await asyncio.to_thread(self.model.reload_organisations)
        with CLASSIFY_SECONDS.time():
            # CPU-bound: off the event loop, so the consumer keeps its group heartbeat.
            results = await asyncio.to_thread(self.model.classify, inputs)
        now = datetime.now(UTC)
        records = [
            Record(
                self.settings.topic(TOPIC_MENTIONS_CLASSIFIED),
                encode(classified_event(mention, result, now=now)),
                key=mention.conversation_key.encode(),
            )
            for mention, result in zip(mentions, results, strict=True)
        ]
        await self.resources.bus.producer.send_many(records)


def component(settings: ClassifierSettings, model: Classifier | None = None) -> Any:
    return lambda resources: ClassifierService(resources, settings, model)

"""The ingest component: brand catalogue refresh, duplicate filtering, producing to the bus."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter

from schemas import TOPIC_MENTIONS_RAW, encode
from services.ingest.dedup import SeenTexts, flag_copies
from services.ingest.handlers import BatchResult, accept_batch, mention_event
from services.ingest.repo import load_catalogue
from services.ingest.rules import BrandCatalogue
from services.ingest.rules.text import fold
from services.ingest.security import RateLimiter
from services.ingest.settings import IngestSettings
from services.shared.bus import Record
from services.shared.http import ReadinessCheck
from services.shared.runtime import Resources

log = logging.getLogger(__name__)

ACCEPTED = Counter("earshot_ingest_accepted_total", "Mentions accepted", ["source"])
REJECTED = Counter("earshot_ingest_rejected_total", "Mentions rejected", ["code"])
DUPLICATES = Counter("earshot_ingest_duplicates_total", "Mentions already accepted recently")
COPIES = Counter("earshot_ingest_copies_total", "Mentions flagged as copies of an earlier text")


class RecentIds:
    """Ids produced recently, so a sender's retry is not produced twice. Downstream stays
    idempotent anyway; this only saves work."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._ids

    def add(self, key: str) -> None:
        self._ids[key] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)


class IngestService:
    name = "ingest"

    def __init__(self, resources: Resources, settings: IngestSettings) -> None:
        self.resources = resources
        self.settings = settings
        self.catalogue = BrandCatalogue([])
        self.limiter = RateLimiter(
            settings.ingest_rate_per_source, settings.ingest_burst_per_source
        )
        self._loaded_at = 0.0
        self._recent = RecentIds()
        self._seen_texts = SeenTexts()
        self._refresher: asyncio.Task[None] | None = None
        self.topic = settings.topic(TOPIC_MENTIONS_RAW)

    async def start(self) -> None:
        fold("é")  # builds the normalisation table now, not during the first request
        await self.refresh_catalogue()
        self._refresher = asyncio.create_task(self._refresh_forever(), name="ingest-catalogue")

    async def stop(self) -> None:
        if self._refresher:
            self._refresher.cancel()

    def readiness(self) -> dict[str, ReadinessCheck]:
        return {}

    async def refresh_catalogue(self) -> None:
        catalogue = await load_catalogue(pool=self.resources.pool)
        for brand_id, error in catalogue.errors.items():
            log.warning(
                "brand query does not parse", extra={"brand": brand_id, "error": str(error)}
            )
        self.catalogue = catalogue
        self._loaded_at = time.monotonic()

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.ingest_catalogue_refresh_s)
            try:
                await self.refresh_catalogue()
            except Exception:
                log.exception("brand catalogue refresh failed; keeping the previous one")

    async def accept(self, items: Sequence[Any]) -> BatchResult:
        """Validate and produce; returns only once Kafka acknowledged every accepted mention."""
        result = accept_batch(items, catalogue=self.catalogue, now=datetime.now(UTC))
        stale = time.monotonic() - self._loaded_at > 1.0
        if stale and any(r.code in ("unknown_brand", "no_brand_matched") for r in result.rejected):
            await self.refresh_catalogue()  # a brand added a moment ago should not be refused
            result = accept_batch(items, catalogue=self.catalogue, now=datetime.now(UTC))
        new = [(i, m) for i, m in result.accepted if str(m.mention_id) not in self._recent]
        DUPLICATES.inc(len(result.accepted) - len(new))
        fresh, first_texts = flag_copies(
            [m for _, m in new], self._seen_texts, [result.folded[i] for i, _ in new]
        )
        records = [
            Record(self.topic, encode(mention_event(m)), key=m.conversation_key.encode())
            for m in fresh
        ]
        await self.resources.bus.producer.send_many(records)
        # Remembered only once produced: a copy must never link to a mention that was lost.
        self._seen_texts.remember(first_texts)
        for mention in fresh:
            self._recent.add(str(mention.mention_id))
            ACCEPTED.labels(mention.source).inc()
            if mention.copy_of is not None:
                COPIES.inc()
        for rejection in result.rejected:
            REJECTED.labels(rejection.code).inc()
        return result

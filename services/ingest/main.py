"""Ingest service: `POST /v1/mentions` -> validate, match brand -> `mentions.raw` (acks=all)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter

from schemas import TOPIC_MENTIONS_RAW, encode
from services.ingest.handlers import BatchResult, accept_batch, mention_event
from services.ingest.repo import load_catalogue
from services.ingest.rules import BrandCatalogue
from services.ingest.settings import IngestSettings
from services.shared.bus import Record
from services.shared.http import ApiError, ReadinessCheck, error_body
from services.shared.runtime import Resources

log = logging.getLogger(__name__)

ACCEPTED = Counter("earshot_ingest_accepted_total", "Mentions accepted", ["source"])
REJECTED = Counter("earshot_ingest_rejected_total", "Mentions rejected", ["code"])
DUPLICATES = Counter("earshot_ingest_duplicates_total", "Mentions already accepted recently")


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
        self._loaded_at = 0.0
        self._recent = RecentIds()
        self._refresher: asyncio.Task[None] | None = None
        self.topic = settings.topic(TOPIC_MENTIONS_RAW)

    async def start(self) -> None:
        await self.refresh_catalogue()
        self._refresher = asyncio.create_task(self._refresh_forever(), name="ingest-catalogue")

    async def stop(self) -> None:
        if self._refresher:
            self._refresher.cancel()

    def readiness(self) -> dict[str, ReadinessCheck]:
        return {}

    async def refresh_catalogue(self) -> None:
        self.catalogue = await load_catalogue(pool=self.resources.pool)
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
        fresh = [m for _, m in result.accepted if str(m.mention_id) not in self._recent]
        DUPLICATES.inc(len(result.accepted) - len(fresh))
        records = [
            Record(self.topic, encode(mention_event(m)), key=m.conversation_key.encode())
            for m in fresh
        ]
        await self.resources.bus.producer.send_many(records)
        for mention in fresh:
            self._recent.add(str(mention.mention_id))
            ACCEPTED.labels(mention.source).inc()
        for rejection in result.rejected:
            REJECTED.labels(rejection.code).inc()
        return result


def get_ingest(request: Request) -> IngestService:
    service: IngestService = request.app.state.ingest
    return service


IngestDep = Annotated[IngestService, Depends(get_ingest)]

router = APIRouter(prefix="/v1", tags=["ingest"])


@router.post(
    "/mentions",
    status_code=202,
    responses={
        202: {"description": "Accepted (durably written to the bus); per-item results"},
        400: {"description": "Body is not JSON"},
        413: {"description": "Body or batch too large"},
        422: {"description": "No item was acceptable; per-item reasons"},
    },
)
async def post_mentions(request: Request, ingest: IngestDep) -> JSONResponse:
    """Accept one mention object or a JSON array of them.

    Returns `202` once every accepted mention is acknowledged by the bus. Items are judged
    one by one: the response lists accepted ids and rejected items with reasons; nothing
    accepted is lost and nothing rejected is half-written.
    """
    items = await _read_items(request, ingest.settings)
    result = await ingest.accept(items)
    body = {
        "accepted": [{"index": i, "id": str(m.mention_id)} for i, m in result.accepted],
        "rejected": [
            {
                "index": r.index,
                "error": {"code": r.code, "message": r.message, "details": r.details},
            }
            for r in result.rejected
        ],
    }
    if not result.accepted:
        first = result.rejected[0]
        error = error_body(first.code, f"no mention accepted: {first.message}", body["rejected"])
        return JSONResponse(error, status_code=422)
    return JSONResponse(body, status_code=202)


async def _read_items(request: Request, settings: IngestSettings) -> list[Any]:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.ingest_max_body_bytes:
        raise ApiError(
            413, "body_too_large", f"body exceeds {settings.ingest_max_body_bytes} bytes"
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > settings.ingest_max_body_bytes:
            raise ApiError(
                413, "body_too_large", f"body exceeds {settings.ingest_max_body_bytes} bytes"
            )
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"body is not UTF-8 JSON: {exc}") from exc
    except RecursionError as exc:
        raise ApiError(400, "invalid_json", "JSON is nested too deeply") from exc
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items:
        raise ApiError(422, "empty_batch", "the batch is empty")
    if len(items) > settings.ingest_max_batch:
        raise ApiError(
            413,
            "batch_too_large",
            f"{len(items)} mentions; at most {settings.ingest_max_batch} per request",
        )
    return items


def component(settings: IngestSettings) -> Any:
    return lambda resources: IngestService(resources, settings)

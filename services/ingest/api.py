"""Ingest over HTTP: `POST /v1/mentions` and platform webhooks `/v1/webhooks/{platform}`.

Every refusal comes before anything is produced, so a request is accepted item by item or
refused whole: body size, JSON, signature and replay window, batch size, rate limit.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from services.ingest.connectors import PLATFORMS, PayloadError, Platform
from services.ingest.handlers import BatchResult, MentionIn
from services.ingest.security import Refusal, check_signature, check_token
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings
from services.shared.http import ApiError, error_body


def get_ingest(request: Request) -> IngestService:
    service: IngestService = request.app.state.ingest
    return service


IngestDep = Annotated[IngestService, Depends(get_ingest)]

router = APIRouter(prefix="/v1", tags=["ingest"])

# What a connector may raise on a payload that is not in its platform's format (a field of
# the wrong type deep inside); anything else would be a bug, and answered 500.
CONVERTER_ERRORS = (PayloadError, TypeError, AttributeError, KeyError, ValueError, RecursionError)

_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Body is not UTF-8 JSON (or, for RSS, XML)"},
    401: {"description": "Signature missing, invalid, or outside the replay window"},
    413: {"description": "Body or batch too large"},
    429: {"description": "The source is over its rate limit; see Retry-After"},
}


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON Schema with its `$defs` substituted in place: route bodies read raw
    (size limits, signatures) still document their shape for clients and fuzzers."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)  # type: ignore[no-any-return]


_MENTION_SCHEMA = _inline(MentionIn.model_json_schema())
_EXAMPLE = {
    "source": "x",
    "source_id": "1890012345",
    "text": "@skyvela_help my flight was cancelled and nobody answers, I want a refund",
    "author": {"handle": "@ana", "followers": 1200},
    "lang": "en",
    "created_at": "2026-11-20T10:00:00Z",
}
_MENTIONS_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "examples": {
                "one": {"value": _EXAMPLE},
                "batch": {"value": [_EXAMPLE, {**_EXAMPLE, "source_id": "1890012346"}]},
            },
            "schema": {
                "oneOf": [
                    _MENTION_SCHEMA,
                    {"type": "array", "items": _MENTION_SCHEMA, "minItems": 1},
                ]
            },
        }
    },
}
_PLATFORM_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "application/xml": {"schema": {"type": "string"}},
    },
}


@router.post(
    "/mentions",
    status_code=202,
    openapi_extra={"requestBody": _MENTIONS_BODY},
    responses={
        202: {"description": "Accepted (durably written to the bus); per-item results"},
        **_REFUSALS,
        422: {"description": "No item was acceptable; per-item reasons"},
    },
)
async def post_mentions(request: Request, ingest: IngestDep) -> JSONResponse:
    """Accept one mention object or a JSON array of them.

    Returns `202` once every accepted mention is acknowledged by the bus. Items are judged
    one by one: the response lists accepted ids and rejected items with reasons; nothing
    accepted is lost and nothing rejected is half-written. A source with a webhook secret
    must sign: `X-Earshot-Timestamp: <unix seconds>` and `X-Hub-Signature-256:
    sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`.
    """
    settings = ingest.settings
    body = await read_body(request, settings)
    items = parse_items(decode_json(body), settings)
    sources = _sources(items)
    for source in sorted(set(sources) & set(settings.ingest_webhook_secrets)):
        refusal = check_signature(
            secret=settings.ingest_webhook_secrets[source].get_secret_value(),
            body=body,
            headers=request.headers,
            now=time.time(),
            max_age_s=settings.ingest_signature_max_age_s,
        )
        if refusal is not None:
            return refused(refusal, source)
    result = await _accept_limited(ingest, items, sources)
    if isinstance(result, JSONResponse):
        return result
    if not result.accepted:
        first = result.rejected[0]
        rejected = results_body(result)["rejected"]
        error = error_body(first.code, f"no mention accepted: {first.message}", rejected)
        return JSONResponse(error, status_code=422)
    return JSONResponse(results_body(result), status_code=202)


@router.post(
    "/webhooks/{platform}",
    openapi_extra={"requestBody": _PLATFORM_BODY},
    responses={
        200: {"description": "Delivery processed; per-item results (some may be rejected)"},
        404: {"description": "Unknown platform"},
        **_REFUSALS,
        422: {"description": "The payload is not in the platform's format"},
    },
)
async def post_webhook(
    platform: Annotated[str, Path(examples=sorted(PLATFORMS))],
    request: Request,
    ingest: IngestDep,
    brand: Annotated[
        str | None,
        Query(
            max_length=100,
            description="An owned channel's brand (its Page, account, bot): every item "
            "without a brand of its own is about it",
        ),
    ] = None,
) -> JSONResponse:
    """A platform's own payload (Meta webhook, Telegram update, Jetstream event, X stream
    line, Reddit listing, YouTube commentThreads page, Mastodon status, RSS/Atom feed),
    converted by its connector and accepted like `POST /v1/mentions`.

    Answers `200` once the payload is understood, even if some items are not about any
    brand: a platform retries anything else. Facebook and Instagram sign with the app
    secret (`X-Hub-Signature-256` over the body), Telegram sends
    `X-Telegram-Bot-Api-Secret-Token`, every other platform signs like `/v1/mentions`.
    """
    connector = _platform(platform)
    settings = ingest.settings
    body = await read_body(request, settings)
    secret = settings.ingest_webhook_secrets.get(platform)
    if secret is not None:
        refusal = _authenticate(connector, secret.get_secret_value(), body, request, settings)
        if refusal is not None:
            return refused(refusal, platform)
    payload: Any = body if connector.body == "xml" else decode_json(body)
    try:
        items = connector.convert(payload)
    except PayloadError as exc:
        raise ApiError(422, "invalid_payload", f"not a {platform} payload: {exc}") from exc
    except CONVERTER_ERRORS as exc:
        raise ApiError(422, "invalid_payload", f"not a {platform} payload ({exc!r})") from exc
    if not items:
        return JSONResponse({"accepted": [], "rejected": []}, status_code=200)
    items = parse_items(items, settings)
    if brand is not None:
        for item in items:
            item.setdefault("brand", brand)
    result = await _accept_limited(ingest, items, _sources(items))
    if isinstance(result, JSONResponse):
        return result
    return JSONResponse(results_body(result), status_code=200)


@router.get("/webhooks/{platform}", response_class=PlainTextResponse)
async def verify_webhook(
    platform: Annotated[str, Path(examples=["facebook", "instagram"])],
    ingest: IngestDep,
    mode: Annotated[str, Query(alias="hub.mode")] = "",
    token: Annotated[str, Query(alias="hub.verify_token")] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=200)] = "",
) -> PlainTextResponse:
    """Meta's subscription handshake: echo `hub.challenge` when the verify token matches."""
    if PLATFORMS.get(platform) is None or PLATFORMS[platform].scheme != "meta":
        raise ApiError(404, "not_found", f"{platform!r} has no subscription handshake")
    expected = ingest.settings.ingest_meta_verify_token
    if mode != "subscribe" or expected is None or token != expected.get_secret_value():
        raise ApiError(403, "verification_failed", "hub.verify_token does not match")
    return PlainTextResponse(challenge)


def _platform(name: str) -> Platform:
    connector = PLATFORMS.get(name)
    if connector is None:
        raise ApiError(404, "unknown_platform", f"no connector {name!r}", sorted(PLATFORMS))
    return connector


def _authenticate(
    connector: Platform, secret: str, body: bytes, request: Request, settings: IngestSettings
) -> Refusal | None:
    if connector.scheme == "telegram":
        return check_token(secret=secret, headers=request.headers)
    return check_signature(
        secret=secret,
        body=body,
        headers=request.headers,
        now=time.time(),
        max_age_s=settings.ingest_signature_max_age_s,
        with_timestamp=connector.scheme == "earshot",
    )


async def _accept_limited(
    ingest: IngestService, items: list[Any], sources: Counter[str]
) -> BatchResult | JSONResponse:
    refusal = ingest.limiter.acquire(sources, time.monotonic())
    if refusal is not None:
        return refused(refusal, None)
    try:
        return await ingest.accept(items)
    except BaseException:
        ingest.limiter.release(sources)  # nothing was accepted: the sender will retry
        raise


def _sources(items: list[Any]) -> Counter[str]:
    """Mentions per claimed source, for signatures and rate limits. Stripped the way
    validation strips it, so " x" cannot pass as an unsigned source and then become "x".
    Items without a usable source are refused by validation later; they cost nothing here."""
    return Counter(
        source
        for item in items
        if isinstance(item, dict)
        and isinstance(item.get("source"), str)
        and 0 < len(source := item["source"].strip()) <= 50
    )


def refused(refusal: Refusal, source: str | None) -> JSONResponse:
    headers = {}
    if refusal.retry_after_s is not None:
        headers["Retry-After"] = str(refusal.retry_after_s)
    details = {"source": source} if source else None
    return JSONResponse(
        error_body(refusal.code, refusal.message, details),
        status_code=refusal.status,
        headers=headers,
    )


def results_body(result: BatchResult) -> dict[str, Any]:
    return {
        "accepted": [{"index": i, "id": str(m.mention_id)} for i, m in result.accepted],
        "rejected": [
            {
                "index": r.index,
                "error": {"code": r.code, "message": r.message, "details": r.details},
            }
            for r in result.rejected
        ],
    }


async def read_body(request: Request, settings: IngestSettings) -> bytes:
    limit = settings.ingest_max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "body_too_large", f"body exceeds {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, "body_too_large", f"body exceeds {limit} bytes")
    return bytes(body)


def decode_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"body is not UTF-8 JSON: {exc}") from exc
    except RecursionError as exc:
        raise ApiError(400, "invalid_json", "JSON is nested too deeply") from exc


def parse_items(parsed: Any, settings: IngestSettings) -> list[Any]:
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

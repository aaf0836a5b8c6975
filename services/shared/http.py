"""HTTP plumbing every service shares: the one error shape, health, readiness and metrics."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.shared.bus.worker import is_transient
from services.shared.logging import bind_log_context

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[bool]]


class ApiError(Exception):
    """Raise anywhere in a route: answered as `{"error": {"code", "message", "details"}}`."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg"), "type": err.get("type")}
            for err in exc.errors()[:50]
        ]
        return JSONResponse(
            error_body("invalid_request", "the request does not match the schema", details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    async def _unstorable(_: Request, exc: Exception) -> JSONResponse:
        # PostgreSQL cannot store NUL characters and UTF-8 cannot carry unpaired surrogates
        # (JSON's "\ud800" escapes decode to those): the caller's text, not our fault.
        return JSONResponse(
            error_body(
                "invalid_text",
                "text contains characters that cannot be stored (NUL or unpaired surrogates)",
                {"reason": str(exc)[:200]},
            ),
            status_code=422,
        )

    for unstorable in (
        asyncpg.CharacterNotInRepertoireError,
        asyncpg.UntranslatableCharacterError,
        UnicodeEncodeError,
    ):
        app.add_exception_handler(unstorable, _unstorable)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        if is_transient(exc):
            # The bus or the database is briefly away: the client should retry, nothing was
            # acknowledged, so nothing is lost.
            log.warning("dependency unavailable: %r", exc)
            return JSONResponse(
                error_body("unavailable", "a dependency is briefly unavailable; retry"),
                status_code=503,
                headers={"Retry-After": "1"},
            )
        log.exception("unhandled error")
        return JSONResponse(error_body("internal", "internal error"), status_code=500)


REQUEST_ID_HEADER = "X-Request-ID"


def add_request_ids(app: FastAPI) -> None:
    """Every request gets an id (the caller's `X-Request-ID`, or a new one), echoed in the
    response and carried by every log line written while serving it."""

    @app.middleware("http")
    async def _request_id(request: Request, call_next: Any) -> Response:
        request_id = request.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex
        bind_log_context(request_id=request_id[:100])
        response: Response = await call_next(request)
        response.headers[REQUEST_ID_HEADER] = request_id[:100]
        return response


def health_router(checks: Mapping[str, ReadinessCheck]) -> APIRouter:
    """`/healthz` (the process is alive), `/readyz` (its dependencies answer), `/metrics`."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results = {name: await check() for name, check in checks.items()}
        ready = all(results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router

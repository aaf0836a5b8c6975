"""The web console: static HTML, CSS and vanilla JS served by the API (no build step). The
pages call the same /v1 API with the session cookie set at login."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from services.shared.http import ApiError

CONSOLE_DIR = Path(__file__).parents[1] / "console"
MEDIA_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/console")


@router.get("/console")
async def console() -> FileResponse:
    return FileResponse(
        CONSOLE_DIR / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"}
    )


@router.get("/console/login")
async def login_page() -> FileResponse:
    return FileResponse(CONSOLE_DIR / "login.html", media_type="text/html")


@router.get("/console/static/{name}")
async def static(name: str) -> FileResponse:
    # Only files that sit directly in console/ with a known type: no path traversal.
    path = CONSOLE_DIR / name
    if "/" in name or name.startswith(".") or path.suffix not in MEDIA_TYPES or not path.is_file():
        raise ApiError(404, "not_found", f"no console file {name}")
    return FileResponse(
        path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": "no-cache"}
    )

"""Live updates: case events as Server-Sent Events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from services.api import casework, live
from services.api.deps import PoolDep, PrincipalDep

router = APIRouter(prefix="/v1/events", tags=["live updates"])


@router.get(
    "", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}}
)
async def case_events(
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    last_event_id: Annotated[int | None, Header(ge=0, le=2**62)] = None,
) -> StreamingResponse:
    """Your organisation's case events (CloudEvents JSON per `data:`) from now on, or after
    `Last-Event-ID` when the browser reconnects."""
    stream = live.case_event_stream(
        pool=pool,
        organisation_id=principal.organisation_id,
        topic=casework.events_topic(request.app.state.resources.settings),
        last_event_id=last_event_id,
        disconnected=request.is_disconnected,
    )
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )

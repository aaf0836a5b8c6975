"""Structured logs: JSON lines by default, carrying the ids of what is being worked on.

`log_context(mention_id=..., case_id=...)` and the HTTP request id (set by the middleware in
`services.shared.http`) are added to every record logged inside them, so one grep follows a
mention or a request through a service.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from pythonjsonlogger.json import JsonFormatter

# Immutable default: each context gets a new dict on set, never a shared mutable one.
_CONTEXT: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "log_context", default=None
)


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    token = _CONTEXT.set({**(_CONTEXT.get() or {}), **{k: str(v) for k, v in ids.items()}})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def bind_log_context(**ids: object) -> None:
    """Add ids for the rest of the current task (e.g. a request id set by middleware)."""
    _CONTEXT.set({**(_CONTEXT.get() or {}), **{k: str(v) for k, v in ids.items()}})


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_CONTEXT.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka logs every reconnect attempt at INFO/ERROR; keep them, but quieter.
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))

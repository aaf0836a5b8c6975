"""Ingest service: HTTP and connectors in -> validate, match brand -> `mentions.raw` (acks=all).

`component` builds the service for a process (`earshot serve ingest`, `earshot run`);
`router` carries its HTTP endpoints (`api.py`). Nothing runs at import time.
"""

from __future__ import annotations

from typing import Any

from services.ingest.api import router
from services.ingest.service import IngestService, RecentIds
from services.ingest.settings import IngestSettings

__all__ = ["IngestService", "RecentIds", "component", "router"]


def component(settings: IngestSettings) -> Any:
    return lambda resources: IngestService(resources, settings)

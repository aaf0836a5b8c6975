from __future__ import annotations

from pydantic import Field

from services.shared.settings import EarshotSettings


class IngestSettings(EarshotSettings):
    ingest_max_batch: int = Field(default=1000, ge=1, description="Most mentions in one POST")
    ingest_max_body_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Largest accepted request body"
    )
    ingest_catalogue_refresh_s: float = Field(
        default=10.0, gt=0, description="How often ingest reloads brands and tracking rules"
    )

from __future__ import annotations

from pydantic import Field, SecretStr

from services.shared.settings import EarshotSettings


class IngestSettings(EarshotSettings):
    ingest_max_batch: int = Field(default=1000, ge=1, description="Most mentions in one POST")
    ingest_max_body_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Largest accepted request body"
    )
    ingest_catalogue_refresh_s: float = Field(
        default=10.0, gt=0, description="How often ingest reloads brands and tracking rules"
    )
    ingest_webhook_secrets: dict[str, SecretStr] = Field(
        default={},
        description="JSON map source -> webhook secret; a source listed here must sign "
        "(`X-Hub-Signature-256`), others may post unsigned",
    )
    ingest_signature_max_age_s: int = Field(
        default=300, ge=1, description="Replay window: signed requests older than this are refused"
    )
    ingest_rate_per_source: float = Field(
        default=2000.0, gt=0, description="Mentions per second one source may send (token bucket)"
    )
    ingest_burst_per_source: int = Field(
        default=20000, ge=1, description="Mentions one source may send at once before 429"
    )
    ingest_meta_verify_token: SecretStr | None = Field(
        default=None, description="Token Meta echoes when subscribing a Facebook/Instagram webhook"
    )

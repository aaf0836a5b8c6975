"""One settings base for every service: environment variables prefixed `EARSHOT_`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EarshotSettings(BaseSettings):
    """Settings every service reads. Each service subclasses it with its own fields."""

    model_config = SettingsConfigDict(env_prefix="EARSHOT_", extra="ignore", frozen=True)

    bus: Literal["kafka", "postgres", "memory"] = Field(
        default="kafka",
        description="Transport: `kafka`; `postgres` (durable local log, embedded mode); "
        "`memory` (tests)",
    )
    kafka_bootstrap: str = Field(default="127.0.0.1:9092", description="Kafka bootstrap servers")
    kafka_client_id: str = Field(default="earshot", description="Kafka client id prefix")
    topic_prefix: str = Field(
        default="", description="Prefix for every topic name (several environments, one cluster)"
    )
    topic_partitions: int = Field(
        default=6, ge=1, description="Partitions for topics Earshot creates"
    )
    topic_replication: int = Field(
        default=1, ge=1, description="Replication factor for topics Earshot creates"
    )
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL DSN; unset = embedded PostgreSQL under `EARSHOT_DATA_DIR`",
    )
    data_dir: Path = Field(
        default=Path("var"), description="Local state (embedded PostgreSQL) for embedded mode"
    )
    db_pool_size: int = Field(
        default=10, ge=1, description="Max PostgreSQL connections per service"
    )
    http_host: str = Field(default="127.0.0.1", description="Address the HTTP server binds")
    http_port: int = Field(default=8000, ge=1, le=65535, description="HTTP port")
    log_level: str = Field(default="INFO", description="Log level")
    log_format: Literal["json", "text"] = Field(default="json", description="Log format")

    def topic(self, name: str) -> str:
        """The topic's name on this deployment's bus."""
        return f"{self.topic_prefix}{name}"


def env_table(owners: list[tuple[str, type[BaseSettings]]]) -> str:
    """The Markdown table of environment variables documented in the README."""
    rows = ["| variable | used by | default | meaning |", "|---|---|---|---|"]
    seen: set[str] = set()
    for owner, settings in owners:
        for name, field in settings.model_fields.items():
            if name in seen:
                continue
            seen.add(name)
            default = "" if field.default is None else str(field.default)
            rows.append(
                f"| `EARSHOT_{name.upper()}` | {owner} | `{default}` | {field.description or ''} |"
            )
    return "\n".join(rows)

"""One settings base for every service: environment variables prefixed `EARSHOT_`."""

from __future__ import annotations

from functools import cache
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


# When an abuse or spam score counts: one setting for the router, which sends such mentions
# to moderation, and the API, whose moderation queue lists them and whose "never hide
# criticism" guard lets only them be hidden. Both must agree, or a complaint the router gave
# to support could still be hidden through moderation.
_WHY = "; the same for routing, the moderation queue and the hide guard"


class AbuseSettings(BaseSettings):
    """The classifier's abuse and spam scores are calibrated probabilities; 0.5 is the
    decision boundary they were fitted for. Raising a threshold sends fewer mentions to
    moderation (they are then routed like any other mention: answered, not hidden)."""

    model_config = SettingsConfigDict(env_prefix="EARSHOT_", extra="ignore", frozen=True)

    abuse_offensive_threshold: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Offensive probability that counts as abuse" + _WHY
    )
    abuse_hate_threshold: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Hate probability that counts as abuse" + _WHY
    )
    abuse_spam_threshold: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Spam probability that counts as spam" + _WHY
    )

    def flagged(self, abuse: dict[str, float]) -> bool:
        """Whether scores {"offensive", "hate", "spam"} flag a mention for moderation."""
        return (
            float(abuse.get("offensive", 0.0)) >= self.abuse_offensive_threshold
            or float(abuse.get("hate", 0.0)) >= self.abuse_hate_threshold
            or float(abuse.get("spam", 0.0)) >= self.abuse_spam_threshold
        )


@cache
def abuse_settings() -> AbuseSettings:
    """Read once per process (tests that change the environment call `cache_clear`)."""
    return AbuseSettings()


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

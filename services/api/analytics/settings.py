"""The listening-alert watcher's settings (`EARSHOT_ALERTS_*`), read next to the shared ones."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EARSHOT_", extra="ignore", frozen=True)

    alerts_enabled: bool = Field(
        default=True, description="Watch every brand for volume and negative-share spikes"
    )
    alerts_interval_s: float = Field(
        default=60.0, gt=0, description="How often the spike detector runs over every brand"
    )
    alerts_webhook_url: str = Field(
        default="", description="Slack-compatible incoming webhook for alerts; empty = none"
    )
    alerts_smtp_host: str = Field(
        default="", description="SMTP server for alert mail; empty = none"
    )
    alerts_smtp_port: int = Field(default=587, description="SMTP port")
    alerts_smtp_starttls: bool = Field(default=True, description="Upgrade SMTP with STARTTLS")
    alerts_smtp_user: str = Field(default="", description="SMTP login; empty = no login")
    alerts_smtp_password: SecretStr = Field(default=SecretStr(""), description="SMTP password")
    alerts_mail_from: str = Field(default="earshot@localhost", description="Sender of alert mail")
    alerts_mail_to: list[str] = Field(
        default=[], description="JSON list of addresses alert mail goes to"
    )
    alerts_notify_per_brand_per_hour: int = Field(
        default=4, ge=1, description="Most notifications one brand sends in an hour; the rest wait"
    )

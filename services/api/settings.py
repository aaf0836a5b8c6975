"""The API's own settings (`EARSHOT_API_*`), read next to the shared ones."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Secrets people copy from examples; a token signed with one of these is forgeable by anyone.
WEAK_SECRETS = frozenset({"", "secret", "changeme", "change-me", "changethis", "earshot"})
MIN_SECRET_LENGTH = 32


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EARSHOT_", extra="ignore", frozen=True)

    api_secret: SecretStr = Field(
        default=SecretStr(""),
        description="Key that signs login tokens (≥ 32 characters). Required outside dev mode; "
        "in dev mode a random one is kept in the data folder",
    )
    api_dev_mode: bool | None = Field(
        default=None,
        description="Dev/demo mode (generated secret, demo accounts); unset = on exactly when "
        "PostgreSQL is the embedded one (`earshot run`)",
    )
    api_demo_accounts: bool = Field(
        default=True, description="In dev mode, create the demo admin and responder logins"
    )
    api_token_ttl_s: int = Field(
        default=12 * 3600, ge=60, description="Lifetime of a login token (one shift)"
    )
    api_login_attempts_per_minute: int = Field(
        default=10, ge=1, description="Login attempts allowed per client address and per account"
    )
    api_cookie_secure: bool = Field(
        default=False, description="Mark the console's session cookie Secure (behind HTTPS)"
    )

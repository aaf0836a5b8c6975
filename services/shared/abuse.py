"""When an abuse or spam score counts: one setting for the router, which sends such mentions
to moderation, and the API, whose moderation queue lists them and whose "never hide
criticism" guard lets only them be hidden. Both must agree, or a complaint the router gave
to support could still be hidden through moderation."""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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

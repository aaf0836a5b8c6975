from __future__ import annotations

from pydantic import Field

from services.router.routing import RoutingThresholds
from services.shared.settings import EarshotSettings, abuse_settings


class RouterSettings(EarshotSettings):
    router_batch_max: int = Field(default=200, ge=1, description="Most mentions per routing batch")
    router_batch_wait_ms: int = Field(default=20, ge=1, description="Longest wait to fill a batch")

    def thresholds(self) -> RoutingThresholds:
        """The abuse thresholds (`EARSHOT_ABUSE_*_THRESHOLD`, shared with the API)."""
        abuse = abuse_settings()
        return RoutingThresholds(
            offensive=abuse.abuse_offensive_threshold,
            hate=abuse.abuse_hate_threshold,
            spam=abuse.abuse_spam_threshold,
        )

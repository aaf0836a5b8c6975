from __future__ import annotations

from pydantic import Field

from services.shared.settings import EarshotSettings


class RouterSettings(EarshotSettings):
    router_batch_max: int = Field(default=200, ge=1, description="Most mentions per routing batch")
    router_batch_wait_ms: int = Field(default=20, ge=1, description="Longest wait to fill a batch")

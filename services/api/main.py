"""API service: queues, cases and brands over HTTP (and, later, the web console)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.api.routes import brands, cases
from services.shared.http import ReadinessCheck
from services.shared.runtime import Resources

ROUTERS: list[APIRouter] = [brands.router, cases.router]


class ApiService:
    name = "api"

    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def readiness(self) -> dict[str, ReadinessCheck]:
        return {}


def component() -> Any:
    return lambda resources: ApiService(resources)

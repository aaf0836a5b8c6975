"""The alert watcher as a component: `earshot serve api` and `earshot run` host it.

Analytics belongs to the API side of Earshot (it serves the brand dashboard and the reports),
so the watcher runs in the API's process; with several API replicas one of them runs each
round (an advisory lock), the others skip it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from schemas import TOPIC_ALERTS
from services.api.analytics.notify import Notifier, SmtpNotifier, WebhookNotifier
from services.api.analytics.settings import AlertSettings
from services.api.analytics.watcher import watch_forever
from services.shared.http import ReadinessCheck
from services.shared.runtime import Resources, spawn


def notifiers(settings: AlertSettings) -> list[Notifier]:
    chosen: list[Notifier] = []
    if settings.alerts_webhook_url:
        chosen.append(WebhookNotifier(settings.alerts_webhook_url))
    if settings.alerts_smtp_host and settings.alerts_mail_to:
        chosen.append(
            SmtpNotifier(
                host=settings.alerts_smtp_host,
                port=settings.alerts_smtp_port,
                sender=settings.alerts_mail_from,
                recipients=settings.alerts_mail_to,
                starttls=settings.alerts_smtp_starttls,
                user=settings.alerts_smtp_user,
                password=settings.alerts_smtp_password.get_secret_value(),
            )
        )
    return chosen


class AlertWatcher:
    name = "alerts"

    def __init__(self, resources: Resources, settings: AlertSettings | None = None) -> None:
        self.resources = resources
        self.settings = settings or AlertSettings()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if not self.settings.alerts_enabled:
            return
        self._task = spawn(
            watch_forever(
                pool=self.resources.pool,
                notifiers=notifiers(self.settings),
                stop=self._stop,
                interval_s=self.settings.alerts_interval_s,
                per_brand_per_hour=self.settings.alerts_notify_per_brand_per_hour,
                topic=self.resources.settings.topic(TOPIC_ALERTS),
            ),
            name="alert-watcher",
        )

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    def readiness(self) -> dict[str, ReadinessCheck]:
        return {}


def component(settings: AlertSettings | None = None) -> Any:
    return lambda resources: AlertWatcher(resources, settings)

"""Where alerts go: a Slack-compatible webhook and SMTP mail. I/O at the edge, small interface.

A notifier either delivers or raises; the watcher records the attempt and retries on a later
round (only on the channels that did not take it), so a chat service that is down for an hour
loses nothing and sends nothing twice.
"""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import httpx

from schemas import AlertRaised

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Notice:
    """One notification, whatever the channel."""

    id: uuid.UUID  # stable: a resend is the same message
    title: str
    text: str
    context: str


class Notifier(Protocol):
    name: str

    async def send(self, notice: Notice) -> None: ...


def alert_notice(alert: AlertRaised, brand_name: str) -> Notice:
    what = "Mention spike" if alert.kind == "volume" else "Turn to negative"
    return Notice(
        id=alert.alert_id,
        title=f"{what} for {brand_name}",
        text=(
            f"{alert.summary}. Window {alert.window_start:%Y-%m-%d %H:%M}–"
            f"{alert.window_end:%H:%M} UTC, z = {alert.score:.1f}."
        ),
        context=f"brand `{alert.brand}` · alert `{alert.alert_id}`",
    )


def incident_notice(
    *, alert: AlertRaised, brand_name: str, case_id: uuid.UUID, team: str, lead: str | None
) -> Notice:
    paged = f"On-call lead {lead} is paged." if lead else "The team has no lead to page."
    return Notice(
        id=uuid.uuid5(case_id, "incident-opened"),
        title=f"Incident opened for {brand_name}",
        text=(
            f"The spike held: {alert.summary}. One critical case now coordinates the response "
            f"in the {team} team's incident queue. {paged}"
        ),
        context=f"brand `{alert.brand}` · case `{case_id}` · alert `{alert.alert_id}`",
    )


def slack_payload(notice: Notice) -> dict[str, object]:
    """Slack's incoming-webhook format (`text` is the fallback; Mattermost, Rocket.Chat and
    Teams' Slack-compatible endpoints read it too)."""
    return {
        "text": f":rotating_light: {notice.title}: {notice.text}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": notice.title}},
            {"type": "section", "text": {"type": "mrkdwn", "text": notice.text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": notice.context}]},
        ],
    }


@dataclass
class WebhookNotifier:
    url: str
    name: str = "webhook"

    async def send(self, notice: Notice) -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            response = await client.post(self.url, json=slack_payload(notice))
            response.raise_for_status()


@dataclass
class SmtpNotifier:
    host: str
    port: int
    sender: str
    recipients: Sequence[str]
    starttls: bool = True
    user: str = ""
    password: str = ""
    name: str = "smtp"

    def message(self, notice: Notice) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = f"[Earshot] {notice.title}"
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Message-ID"] = f"<{notice.id}@earshot>"
        mail.set_content(f"{notice.title}\n\n{notice.text}\n\n{notice.context.replace('`', '')}\n")
        return mail

    async def send(self, notice: Notice) -> None:
        await asyncio.to_thread(self._send, self.message(notice))

    def _send(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(mail)

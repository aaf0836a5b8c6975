"""The alert watcher on real PostgreSQL: a planted spike raises one alert, announced once on
the outbox, delivered to a real webhook and a real SMTP server, retried when they fail."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any, ClassVar

import asyncpg
import pytest
from aiosmtpd.controller import Controller

from schemas import decode
from services.api.analytics.delivery import notify_incidents, notify_pending
from services.api.analytics.notify import SmtpNotifier, WebhookNotifier
from services.api.analytics.watcher import watch_once
from services.router.config import load_router_config
from services.router.incidents import open_incidents
from tests.integration.test_analytics_report import add_mention
from tests.support.kafka_broker import free_port

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 19, 10, 20, tzinfo=UTC)  # a Thursday, 20 minutes into a bucket


@pytest.fixture
async def brand(pool: asyncpg.Pool) -> AsyncIterator[str]:
    brand = f"alrt-{uuid.uuid4().hex[:8]}"
    await pool.execute("INSERT INTO brands (id, name) VALUES ($1, 'Acme Air')", brand)
    # Four ordinary Thursdays: a mention every five minutes before 10:20, one in five negative.
    for week in range(1, 5):
        for minutes in range(5, 60, 5):
            await add_mention(
                pool, brand, NOW - timedelta(weeks=week, minutes=minutes), "fine",
                sentiment="negative" if minutes % 25 == 0 else "neutral",
            )  # fmt: skip
    yield brand
    await pool.execute("DELETE FROM alerts WHERE brand = $1", brand)
    await pool.execute(
        "UPDATE cases SET status = 'resolved' WHERE conversation_key = $1", f"{brand}|incident"
    )


async def plant_outage(pool: asyncpg.Pool, brand: str, count: int = 40) -> None:
    for i in range(count):
        await add_mention(
            pool, brand, NOW - timedelta(minutes=25) + timedelta(seconds=30 * i),
            f"outage, app down again {i}", sentiment="negative",
        )  # fmt: skip


async def alert_events(pool: asyncpg.Pool, brand: str) -> list[Any]:
    rows = await pool.fetch("SELECT topic, payload FROM outbox WHERE topic = 'alerts'")
    events = [decode(bytes(r["payload"])) for r in rows]
    return [e for e in events if e.data.brand == brand]


async def test_a_spike_raises_one_alert_announced_once(pool: asyncpg.Pool, brand: str) -> None:
    assert await watch_once(pool=pool, now=NOW) is not None
    assert await pool.fetchval("SELECT count(*) FROM alerts WHERE brand = $1", brand) == 0
    await plant_outage(pool, brand)
    raised = await watch_once(pool=pool, now=NOW)
    mine = [a for a in raised or [] if a.brand == brand]
    assert {a.kind for a in mine} == {"volume", "negative_share"}
    volume = next(a for a in mine if a.kind == "volume")
    assert volume.observed == 40 and 8 <= volume.expected <= 11
    # The next rounds see the same spike: de-duplicated, nothing new stored or announced.
    for later in (NOW + timedelta(minutes=1), NOW + timedelta(minutes=20)):
        again = await watch_once(pool=pool, now=later)
        assert [a for a in again or [] if a.brand == brand] == []
    assert await pool.fetchval("SELECT count(*) FROM alerts WHERE brand = $1", brand) == 2
    events = await alert_events(pool, brand)
    assert sorted(e.data.kind for e in events) == ["negative_share", "volume"]
    assert {e.type for e in events} == {"earshot.alert.raised.v1"}


async def test_only_one_replica_runs_a_round(pool: asyncpg.Pool, brand: str) -> None:
    await plant_outage(pool, brand)
    results = await asyncio.gather(*(watch_once(pool=pool, now=NOW) for _ in range(4)))
    mine = [a for r in results if r for a in r if a.brand == brand]
    assert len(mine) == 2  # raised by whichever round ran; the others skipped or found them
    assert await pool.fetchval("SELECT count(*) FROM alerts WHERE brand = $1", brand) == 2


class Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    fail: ClassVar[bool] = False

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Webhook.fail:
            self.send_response(503)
        else:
            Webhook.received.append(json.loads(body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def webhook() -> Iterator[str]:
    Webhook.received, Webhook.fail = [], False
    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, mailbox
    controller.stop()


async def test_alerts_reach_webhook_and_mail_once_and_failures_are_retried(
    pool: asyncpg.Pool, brand: str, webhook: str, smtp: tuple[int, Mailbox]
) -> None:
    await plant_outage(pool, brand)
    await watch_once(pool=pool, now=NOW)
    # Other tests' brands spike in the same hour: only this brand's alerts are pending here.
    await pool.execute(
        "UPDATE alerts SET notified_at = now() WHERE brand <> $1 AND notified_at IS NULL", brand
    )
    port, mailbox = smtp
    notifiers = [
        WebhookNotifier(webhook),
        SmtpNotifier(
            host="127.0.0.1", port=port, sender="earshot@example.com",
            recipients=["oncall@example.com"], starttls=False,
        ),
    ]  # fmt: skip
    Webhook.fail = True
    sent = await notify_pending(pool=pool, notifiers=notifiers, per_brand_per_hour=1, now=NOW)
    assert sent == 0
    failed = await pool.fetch("SELECT notify_attempts, notify_error FROM alerts WHERE brand = $1",
                              brand)  # fmt: skip
    assert all(r["notify_attempts"] == 1 and "503" in r["notify_error"] for r in failed), failed
    Webhook.fail = False
    # One notification per brand per hour: the second alert waits for the next hour.
    assert await notify_pending(pool=pool, notifiers=notifiers, per_brand_per_hour=1, now=NOW) == 1
    later = NOW + timedelta(minutes=61)
    assert (
        await notify_pending(pool=pool, notifiers=notifiers, per_brand_per_hour=1, now=later) == 1
    )
    assert (
        await notify_pending(pool=pool, notifiers=notifiers, per_brand_per_hour=1, now=later) == 0
    )
    texts = [m["text"] for m in Webhook.received]
    assert len(texts) == 2 and any("Mention spike for Acme Air" in t for t in texts)
    assert Webhook.received[0]["blocks"][0]["type"] == "header"
    subjects = [m.split(b"\r\n\r\n")[0] for m in mailbox.messages]
    assert len(subjects) == 2  # the failed round's mails are not sent again on the retry
    assert any(b"Subject: [Earshot] Mention spike for Acme Air" in s for s in subjects)


async def test_a_confirmed_spike_opens_one_incident_with_its_mentions_and_pages_the_lead(
    pool: asyncpg.Pool, brand: str, webhook: str
) -> None:
    await pool.execute("UPDATE teams SET lead = 'lead@example.com' WHERE id = 'support'")
    try:
        await plant_outage(pool, brand)
        await watch_once(pool=pool, now=NOW)
        config = await load_router_config(pool=pool)
        await open_incidents(pool=pool, config=config, now=NOW)
        assert await incident_of(pool, brand) is None  # raised, not yet confirmed
        # Eleven minutes on, the outage is still there: confirmed, and one incident opens.
        later = NOW + timedelta(minutes=11)
        await watch_once(pool=pool, now=later)
        await open_incidents(pool=pool, config=config, now=later)
        case = await incident_of(pool, brand)
        assert case is not None
        assert (case["priority"], case["team"], case["queue"], case["status"]) == (
            "p1", "support", "incidents", "open",
        )  # fmt: skip
        assert case["escalated_to"] == "lead@example.com"
        # Both alerts (volume, turn to negative) point at the one incident.
        incidents = await pool.fetch(
            "SELECT DISTINCT incident_case_id FROM alerts WHERE brand = $1", brand
        )
        assert [r["incident_case_id"] for r in incidents] == [case["id"]]
        linked = await pool.fetchval(
            "SELECT count(*) FROM incident_mentions WHERE case_id = $1", case["id"]
        )
        assert linked == 40  # the outage's mentions
        # A new complaint while the incident is open is linked on the next sweep.
        await add_mention(pool, brand, later, "still down!", sentiment="negative")
        await open_incidents(pool=pool, config=config, now=later + timedelta(minutes=1))
        assert await pool.fetchval(
            "SELECT count(*) FROM incident_mentions WHERE case_id = $1", case["id"]
        ) == linked + 1  # fmt: skip
        kinds = [
            decode(bytes(r["payload"])).data.kind
            for r in await pool.fetch(
                "SELECT payload FROM outbox WHERE key = $1 ORDER BY id", f"{brand}|incident"
            )
        ]
        assert kinds == ["case.opened", "case.escalated"]
        await pool.execute(
            "UPDATE alerts SET incident_notified_at = now() WHERE brand <> $1", brand
        )
        assert await notify_incidents(pool=pool, notifiers=[WebhookNotifier(webhook)]) == 1
        assert await notify_incidents(pool=pool, notifiers=[WebhookNotifier(webhook)]) == 0
        (page,) = Webhook.received
        assert "Incident opened for Acme Air" in page["text"]
        assert "lead@example.com is paged" in page["text"]
    finally:
        await pool.execute("UPDATE teams SET lead = NULL WHERE id = 'support'")


async def incident_of(pool: asyncpg.Pool, brand: str) -> asyncpg.Record | None:
    return await pool.fetchrow(
        "SELECT * FROM cases WHERE conversation_key = $1", f"{brand}|incident"
    )

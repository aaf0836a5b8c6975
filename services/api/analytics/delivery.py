"""Delivering alert and incident notifications from the stored alerts.

Each notice records which channels took it (`delivered_to`) and how many rounds tried: a
channel that fails is retried on later rounds, a channel that took it is never sent it again,
and after `MAX_ATTEMPTS` rounds the notice is left with its last error for a person to see
(the console shows it). Alert notices are capped per brand and hour; an incident page is not.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from prometheus_client import Counter

from schemas import AlertRaised
from services.api.analytics.notify import Notice, Notifier, alert_notice, incident_notice

log = logging.getLogger(__name__)

NOTIFICATIONS = Counter(
    "earshot_alert_notifications_total", "Alert notifications", ["channel", "outcome"]
)
MAX_ATTEMPTS = 10


async def deliver(
    notice: Notice, notifiers: Sequence[Notifier], delivered: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Send to every channel that has not taken it yet; returns (delivered, errors)."""
    took, errors = list(delivered), []
    for notifier in notifiers:
        if notifier.name in took:
            continue
        try:
            await notifier.send(notice)
            took.append(notifier.name)
            NOTIFICATIONS.labels(notifier.name, "sent").inc()
        except Exception as exc:  # any failure of the outside world: retry later
            NOTIFICATIONS.labels(notifier.name, "failed").inc()
            errors.append(f"{notifier.name}: {exc!r}"[:300])
    return took, errors


def stored_alert(row: asyncpg.Record) -> AlertRaised:
    return AlertRaised(
        alert_id=row["id"],
        brand=row["brand"],
        kind=row["kind"],
        window_start=row["window_start"],
        window_end=row["window_end"],
        observed=row["observed"],
        expected=row["expected"],
        score=row["score"],
        summary=row["summary"],
    )


async def notify_pending(
    *,
    pool: asyncpg.Pool[Any],
    notifiers: Sequence[Notifier],
    per_brand_per_hour: int,
    now: datetime | None = None,
    limit: int = 50,
) -> int:
    """Send stored alerts not sent yet; returns how many went out."""
    if not notifiers:
        return 0
    now = now or datetime.now(UTC)
    rows = await pool.fetch(
        """SELECT a.*, b.name AS brand_name,
                  (SELECT count(*) FROM alerts s WHERE s.brand = a.brand
                     AND s.notified_at > $1::timestamptz - interval '1 hour') AS sent_last_hour
           FROM alerts a JOIN brands b ON b.id = a.brand
           WHERE a.notified_at IS NULL AND a.notify_attempts < $2
           ORDER BY a.raised_at LIMIT $3""",
        now,
        MAX_ATTEMPTS,
        limit,
    )
    sent_per_brand: dict[str, int] = {}
    sent = 0
    for row in rows:
        if row["sent_last_hour"] + sent_per_brand.get(row["brand"], 0) >= per_brand_per_hour:
            continue  # rate-limited: it stays pending for a later round
        notice = alert_notice(stored_alert(row), row["brand_name"])
        took, errors = await deliver(notice, notifiers, row["delivered_to"])
        await pool.execute(
            """UPDATE alerts SET notify_attempts = notify_attempts + 1, delivered_to = $2,
                   notify_error = $3,
                   notified_at = CASE WHEN $3::text IS NULL THEN $4::timestamptz END
               WHERE id = $1""",
            row["id"],
            took,
            "; ".join(errors) or None,
            now,
        )
        if errors:
            log.warning("alert %s not delivered: %s", row["id"], errors)
            continue
        sent_per_brand[row["brand"]] = sent_per_brand.get(row["brand"], 0) + 1
        sent += 1
    return sent


async def notify_incidents(
    *,
    pool: asyncpg.Pool[Any],
    notifiers: Sequence[Notifier],
    now: datetime | None = None,
    limit: int = 50,
) -> int:
    """Page: "incident opened" for every alert whose incident the router opened."""
    if not notifiers:
        return 0
    now = now or datetime.now(UTC)
    rows = await pool.fetch(
        """SELECT a.*, b.name AS brand_name, c.team, t.lead
           FROM alerts a JOIN brands b ON b.id = a.brand
           JOIN cases c ON c.id = a.incident_case_id LEFT JOIN teams t ON t.id = c.team
           WHERE a.incident_case_id IS NOT NULL AND a.incident_notified_at IS NULL
             AND a.incident_notify_attempts < $1
             -- one page per incident: the alert that opened it, not those that joined it
             AND NOT EXISTS (SELECT 1 FROM alerts o WHERE o.incident_case_id = a.incident_case_id
                             AND (o.confirmed_at, o.id) < (a.confirmed_at, a.id))
           ORDER BY a.confirmed_at LIMIT $2""",
        MAX_ATTEMPTS,
        limit,
    )
    sent = 0
    for row in rows:
        notice = incident_notice(
            alert=stored_alert(row),
            brand_name=row["brand_name"],
            case_id=row["incident_case_id"],
            team=row["team"],
            lead=row["lead"],
        )
        took, errors = await deliver(notice, notifiers, row["incident_delivered_to"])
        await pool.execute(
            """UPDATE alerts SET incident_notify_attempts = incident_notify_attempts + 1,
                   incident_delivered_to = $2,
                   incident_notified_at = CASE WHEN $3 THEN $4::timestamptz END
               WHERE id = $1""",
            row["id"],
            took,
            not errors,
            now,
        )
        if errors:
            log.warning("incident page for alert %s not delivered: %s", row["id"], errors)
            continue
        sent += 1
    return sent

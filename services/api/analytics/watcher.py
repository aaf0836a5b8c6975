"""The listening-alert watcher: every minute, every brand's last hour against its usual level.

One round, in one transaction:
  1. `pg_try_advisory_xact_lock`: with several API replicas, one of them runs the round and
     the others skip it (nobody waits, nothing is detected twice);
  2. reads 15-minute counts of the window and the same window in the previous weeks, for all
     brands at once (one index range scan per brand and week on `mentions_brand_time`);
  3. runs the spike detector per brand and passes each spike through the alert gate against
     the brand's last alert of that kind (`plan_round`, pure); a spike still there ten
     minutes after its alert confirms the alert, and the router opens an incident for it;
  4. stores each alert (id derived from brand, kind and window start: idempotent) and writes
     its `earshot.alert.raised.v1` event to the outbox in the same transaction; the router's
     relay publishes it to the `alerts` topic.
Notifications go out afterwards (`delivery.py`), from the stored alerts, so a webhook or
mail server that is down delays them and loses none.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from prometheus_client import Counter

from schemas import ALERT_RAISED_V1, TOPIC_ALERTS, AlertRaised, make_event
from services.api.analytics.delivery import notify_incidents, notify_pending
from services.api.analytics.notify import Notifier
from services.api.analytics.spikes import (
    AlertGate,
    Bucket,
    Spike,
    SpikeSettings,
    bucket_start,
    detect,
)
from services.shared.db.outbox import add_to_outbox

log = logging.getLogger(__name__)

ALERTS = Counter("earshot_alerts_raised_total", "Listening alerts raised", ["kind"])
ALERT_NAMESPACE = uuid.UUID("6f1d7c52-2f0e-4c55-9a43-3b8f1f6a9c01")
# One lock id for the whole deployment: "a watcher round is running".
WATCH_LOCK = 0x4541_5253_4854  # "EARSHT"


# A spike still there this long after its alert is confirmed: the router opens an incident.
CONFIRM_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class LastAlert:
    window_end: datetime
    observed: float
    id: uuid.UUID | None = None
    raised_at: datetime | None = None
    confirmed: bool = False


@dataclass(frozen=True)
class RoundPlan:
    raise_: list[AlertRaised]
    confirm: list[uuid.UUID]


def alert_id(brand: str, spike: Spike) -> uuid.UUID:
    return uuid.uuid5(ALERT_NAMESPACE, f"{brand}|{spike.kind}|{spike.window_start.isoformat()}")


def plan_round(
    counts: Mapping[str, Mapping[datetime, Bucket]],
    last: Mapping[tuple[str, str], LastAlert],
    *,
    now: datetime,
    tracked_since: Mapping[str, datetime] | None = None,
    settings: SpikeSettings,
    gate: AlertGate,
    confirm_after: timedelta = CONFIRM_AFTER,
) -> RoundPlan:
    """What one round does, pure: the spikes the gate lets through become alerts; a spike
    the gate holds back because its alert is recent confirms that alert once it has lasted
    `confirm_after` (a blip that fades before then never becomes an incident)."""
    raised, confirm = [], []
    for brand, buckets in sorted(counts.items()):
        since = (tracked_since or {}).get(brand)
        for spike in detect(buckets, now=now, settings=settings, tracked_since=since):
            before = last.get((brand, spike.kind))
            if gate.should_alert(
                spike,
                last_alert_at=before.window_end if before else None,
                last_observed=before.observed if before else None,
            ):
                raised.append(_alert(brand, spike))
            elif (
                before is not None
                and before.id is not None
                and not before.confirmed
                and before.raised_at is not None
                and now - before.raised_at >= confirm_after
            ):
                confirm.append(before.id)
    return RoundPlan(raised, confirm)


def _alert(brand: str, spike: Spike) -> AlertRaised:
    return AlertRaised(
        alert_id=alert_id(brand, spike),
        brand=brand,
        kind=spike.kind,
        window_start=spike.window_start,
        window_end=spike.window_end,
        observed=spike.observed,
        expected=spike.expected,
        score=spike.score,
        summary=spike.summary,
    )


def windows(now: datetime, settings: SpikeSettings) -> tuple[list[datetime], list[datetime]]:
    """The time ranges a round reads: the window, and the same window in each past week."""
    start = bucket_start(now, settings.bucket) - (settings.window_buckets - 1) * settings.bucket
    end = bucket_start(now, settings.bucket) + settings.bucket
    week = timedelta(weeks=1)
    offsets = range(settings.weeks + 1)
    return [start - w * week for w in offsets], [end - w * week for w in offsets]


async def watch_once(
    *,
    pool: asyncpg.Pool[Any],
    now: datetime | None = None,
    settings: SpikeSettings | None = None,
    gate: AlertGate | None = None,
    topic: str = TOPIC_ALERTS,
) -> list[AlertRaised] | None:
    """One round; None when another replica holds the round."""
    now = now or datetime.now(UTC)
    settings = settings or SpikeSettings()
    lows, highs = windows(now, settings)
    async with pool.acquire() as connection, connection.transaction():
        if not await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", WATCH_LOCK):
            return None
        rows = await connection.fetch(
            """SELECT b.id AS brand, c.start, c.total, c.negative
               FROM brands b CROSS JOIN unnest($1::timestamptz[], $2::timestamptz[]) AS r(lo, hi)
               CROSS JOIN LATERAL (
                   SELECT to_timestamp(floor(extract(epoch FROM m.created_at) / $3) * $3)
                              AS start,
                          count(*) AS total,
                          count(*) FILTER (WHERE m.sentiment = 'negative') AS negative
                   FROM mentions m
                   WHERE m.brand = b.id AND m.created_at >= r.lo AND m.created_at < r.hi
                   GROUP BY 1) c
               WHERE b.competitor_of IS NULL""",
            lows,
            highs,
            settings.bucket.total_seconds(),
        )
        counts: dict[str, dict[datetime, Bucket]] = {}
        for row in rows:
            counts.setdefault(row["brand"], {})[row["start"]] = Bucket(
                row["start"], row["total"], row["negative"]
            )
        last = {
            (r["brand"], r["kind"]): LastAlert(
                r["window_end"], r["observed"], r["id"], r["raised_at"], r["confirmed"]
            )
            for r in await connection.fetch(
                """SELECT DISTINCT ON (brand, kind) brand, kind, window_end, observed, id,
                       raised_at, confirmed_at IS NOT NULL AS confirmed
                   FROM alerts WHERE raised_at > $1 ORDER BY brand, kind, raised_at DESC""",
                now - timedelta(days=1),
            )
        }
        # Each brand's first mention (an index probe per brand): the baseline it has.
        tracked = {
            r["id"]: r["first"]
            for r in await connection.fetch(
                """SELECT b.id, (SELECT min(created_at) FROM mentions m WHERE m.brand = b.id)
                       AS first
                   FROM brands b WHERE b.competitor_of IS NULL AND b.id = ANY($1::text[])""",
                list(counts),
            )
            if r["first"] is not None
        }
        plan = plan_round(
            counts,
            last,
            now=now,
            tracked_since=tracked,
            settings=settings,
            gate=gate or AlertGate(),
        )
        if plan.confirm:
            await connection.execute(
                "UPDATE alerts SET confirmed_at = $2 WHERE id = ANY($1::uuid[])", plan.confirm, now
            )
        raised = plan.raise_
        for alert in raised:
            inserted = await connection.fetchval(
                """INSERT INTO alerts (id, brand, kind, window_start, window_end, observed,
                       expected, score, summary, raised_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                   ON CONFLICT (id) DO NOTHING RETURNING id""",
                alert.alert_id,
                alert.brand,
                alert.kind,
                alert.window_start,
                alert.window_end,
                alert.observed,
                alert.expected,
                alert.score,
                alert.summary,
                now,
            )
            if inserted is None:
                continue  # this window's alert was raised in an earlier round
            event = make_event(
                alert,
                type=ALERT_RAISED_V1,
                source="earshot/analytics",
                partitionkey=alert.brand,
                subject=str(alert.alert_id),
                id=str(uuid.uuid5(ALERT_NAMESPACE, f"event|{alert.alert_id}")),
                time=now,
            )
            await add_to_outbox(connection, topic=topic, event=event)
            ALERTS.labels(alert.kind).inc()
            log.warning("alert raised for %s: %s", alert.brand, alert.summary)
    return raised


async def watch_forever(
    *,
    pool: asyncpg.Pool[Any],
    notifiers: Sequence[Notifier],
    stop: asyncio.Event,
    interval_s: float,
    per_brand_per_hour: int,
    topic: str,
) -> None:
    while not stop.is_set():
        try:
            await watch_once(pool=pool, topic=topic)
            await notify_pending(
                pool=pool, notifiers=notifiers, per_brand_per_hour=per_brand_per_hour
            )
            await notify_incidents(pool=pool, notifiers=notifiers)
        except Exception:
            log.exception("alert round failed; retrying")
        try:
            await asyncio.wait_for(stop.wait(), interval_s)
        except TimeoutError:
            pass

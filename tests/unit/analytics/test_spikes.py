"""Spike detection on synthetic streams with daily and weekly rhythm and planted crises."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from services.api.analytics.spikes import (
    AlertGate,
    Bucket,
    Spike,
    SpikeSettings,
    bucket_start,
    detect,
)

QUARTER = timedelta(minutes=15)
START = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday
WEEKS = 6


def seasonal_rate(t: datetime) -> float:
    """Expected mentions per 15 minutes: a quiet night, a morning and an evening peak, busy
    weekdays, and a Monday-morning rush three times a Sunday morning."""
    hour = t.hour + t.minute / 60
    daily = 0.15 + np.exp(-((hour - 10) ** 2) / 6) + 0.8 * np.exp(-((hour - 19) ** 2) / 4)
    weekly = 1.0 if t.weekday() < 5 else 0.45
    monday = 1.6 if t.weekday() == 0 and 8 <= t.hour < 12 else 1.0
    return float(6.0 * daily * weekly * monday)


@dataclass(frozen=True)
class Planted:
    start: datetime
    duration: timedelta
    kind: str


def stream(planted: list[Planted], seed: int) -> dict[datetime, Bucket]:
    rng = np.random.default_rng(seed)
    counts: dict[datetime, Bucket] = {}
    t = START
    while t < START + WEEKS * timedelta(weeks=1):
        rate, share = seasonal_rate(t), 0.2
        for p in planted:
            if p.start <= t < p.start + p.duration:
                # A crisis develops: it reaches full strength over its first 30 minutes.
                ramp = min(1.0, ((t - p.start) / QUARTER + 1) / 2)
                if p.kind == "volume":
                    rate += ramp * max(3 * rate, 12.0)
                else:
                    share = 0.2 + ramp * 0.45
        total = int(rng.poisson(rate))
        counts[t] = Bucket(t, total, int(rng.binomial(total, share)))
        t += QUARTER
    return counts


def alerts(counts: dict[datetime, Bucket], kind: str, since: datetime) -> list[Spike]:
    """Evaluate every five minutes, as the watcher does, through the alert gate."""
    gate, fired, last = AlertGate(), [], None
    now = since
    end = max(counts) + QUARTER
    while now < end:
        current = bucket_start(now, QUARTER)
        # What the database holds at `now`: the window, the weeks before it, and only the
        # elapsed part of the current bucket.
        visible = {
            t - w * timedelta(weeks=1): counts[t - w * timedelta(weeks=1)]
            for t in (current - i * QUARTER for i in range(4))
            for w in range(5)
            if t - w * timedelta(weeks=1) in counts
        }
        share = (now - current) / QUARTER
        b = visible[current]
        visible[current] = Bucket(current, round(b.total * share), round(b.negative * share))
        for spike in detect(visible, now=now):
            if spike.kind != kind:
                continue
            if gate.should_alert(
                spike,
                last_alert_at=last.window_end if last else None,
                last_observed=last.observed if last else None,
            ):
                fired.append(spike)
                last = spike
        now += timedelta(minutes=5)
    return fired


def planted_crises(kind: str, seed: int, daytime: bool = False) -> list[Planted]:
    """Ten crises in the last two weeks, at any hour (or starting between 08:00 and 18:00)."""
    rng = np.random.default_rng(seed)
    first = START + timedelta(weeks=WEEKS - 2)
    slots = [h for h in range(0, 14 * 24 - 3, 3) if not daytime or 8 <= h % 24 <= 18]
    hours = sorted(rng.choice(slots, size=10, replace=False))
    return [Planted(first + timedelta(hours=int(h)), timedelta(hours=2), kind) for h in hours]


def score(fired: list[Spike], planted: list[Planted]) -> tuple[float, float, list[float]]:
    def hit(spike: Spike, p: Planted) -> bool:
        return p.start <= spike.window_end <= p.start + p.duration + timedelta(hours=1)

    true = [s for s in fired if any(hit(s, p) for p in planted)]
    precision = len(true) / len(fired) if fired else 1.0
    delays = []
    for p in planted:
        first = [s.window_end for s in fired if hit(s, p)]
        if first:
            delays.append((min(first) - p.start).total_seconds() / 60)
    return precision, len(delays) / len(planted), delays


def test_ordinary_daily_and_weekly_peaks_rarely_fire() -> None:
    # Three quiet fortnights (2,016 evaluations each) with morning, evening and Monday peaks.
    since = START + timedelta(weeks=WEEKS - 2)
    false_alarms = 0
    for seed in (1, 2, 3):
        counts = stream([], seed=seed)
        false_alarms += len(alerts(counts, "volume", since))
        false_alarms += len(alerts(counts, "negative_share", since))
    assert false_alarms <= 3


@pytest.mark.parametrize("seed", [2, 3])
def test_planted_volume_spikes_are_found_early_and_precisely(seed: int) -> None:
    planted = planted_crises("volume", seed)
    fired = alerts(stream(planted, seed), "volume", planted[0].start - timedelta(days=1))
    precision, recall, delays = score(fired, planted)
    assert precision >= 0.9
    assert recall >= 0.9
    # Alerted while the crisis develops (it ramps up over 30 minutes).
    assert float(np.median(delays)) <= 45


@pytest.mark.parametrize("seed", [4, 5])
def test_a_turn_to_negative_at_normal_volume_is_found(seed: int) -> None:
    planted = planted_crises("negative_share", seed, daytime=True)
    fired = alerts(stream(planted, seed), "negative_share", planted[0].start - timedelta(days=1))
    precision, recall, delays = score(fired, planted)
    assert precision >= 0.8
    # A share needs mentions to judge it on: at this stream's 10-30 mentions an hour, about
    # half of the turns are certain enough within two hours (docs/analytics.md).
    assert recall >= 0.3
    assert float(np.median(delays)) <= 90


def test_the_same_spike_alerts_once_unless_it_keeps_growing() -> None:
    t = datetime(2026, 11, 23, 10, tzinfo=UTC)
    spike = Spike("volume", t - timedelta(hours=1), t, observed=100, expected=10, score=9)
    gate = AlertGate(cooldown=timedelta(hours=2), escalate_ratio=2)
    later = Spike("volume", t, t + timedelta(minutes=30), observed=150, expected=10, score=12)
    grown = Spike("volume", t, t + timedelta(minutes=30), observed=210, expected=10, score=18)
    after = Spike("volume", t, t + timedelta(hours=2), observed=120, expected=10, score=10)
    assert gate.should_alert(spike, last_alert_at=None, last_observed=None)
    assert not gate.should_alert(later, last_alert_at=t, last_observed=100)
    assert gate.should_alert(grown, last_alert_at=t, last_observed=100)
    assert gate.should_alert(after, last_alert_at=t, last_observed=100)


def test_a_quiet_brand_needs_a_minimum_volume() -> None:
    now = datetime(2026, 11, 23, 3, 59, tzinfo=UTC)
    counts = {
        bucket_start(now, QUARTER) - i * QUARTER: Bucket(now, 4) for i in range(4)
    }  # 16 mentions against an empty history: a lot relatively, too few to call a spike
    assert detect(counts, now=now) == []


def test_spike_summary_reads_as_a_sentence() -> None:
    t = datetime(2026, 11, 23, 10, tzinfo=UTC)
    volume = Spike("volume", t - timedelta(hours=1), t, observed=120, expected=14.2, score=9)
    share = Spike("negative_share", t - timedelta(hours=1), t, 0.62, 0.21, 7.5)
    assert volume.summary == (
        "120 mentions in the last 60 min, 14.2 expected for this time of the week"
    )
    assert share.summary == "62% of mentions negative in the last 60 min, usually 21%"


def test_settings_are_respected() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    counts = {now - i * QUARTER: Bucket(now, 10) for i in range(4)}
    strict = SpikeSettings(min_mentions=100)
    assert [s.kind for s in detect(counts, now=now)] == ["volume"]
    assert detect(counts, now=now, settings=strict) == []


def test_a_round_raises_new_spikes_and_confirms_those_that_last() -> None:
    from services.api.analytics.watcher import LastAlert, plan_round

    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    spiking = {now - i * QUARTER: Bucket(now, 30) for i in range(4)}
    quiet = {now - i * QUARTER: Bucket(now, 1) for i in range(4)}
    counts = {"acme": spiking, "calm": quiet, "held": spiking, "fresh": spiking}
    recent = now - timedelta(minutes=5)
    older = now - timedelta(minutes=12)
    last = {
        ("held", "volume"): LastAlert(older, 120, uuid.uuid4(), older),
        ("fresh", "volume"): LastAlert(recent, 120, uuid.uuid4(), recent),
    }
    plan = plan_round(counts, last, now=now, settings=SpikeSettings(), gate=AlertGate())
    assert [(a.brand, a.kind) for a in plan.raise_] == [("acme", "volume")]
    # "held" has spiked for 12 minutes since its alert: confirmed. "fresh" only for 5.
    assert plan.confirm == [last[("held", "volume")].id]
    confirmed = {("held", "volume"): LastAlert(older, 120, uuid.uuid4(), older, confirmed=True)}
    again = plan_round(counts, confirmed, now=now, settings=SpikeSettings(), gate=AlertGate())
    assert again.confirm == []  # confirmed once


def test_a_newly_tracked_brand_has_no_baseline_and_raises_nothing_yet() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    burst = {now - i * QUARTER: Bucket(now, 30) for i in range(4)}
    assert detect(burst, now=now, tracked_since=now - timedelta(days=3)) == []
    # After a week it has one week of baseline (empty at this hour): the burst stands out.
    found = detect(burst, now=now, tracked_since=now - timedelta(days=8))
    assert [s.kind for s in found] == ["volume"]

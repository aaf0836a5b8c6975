"""Spike detection against a seasonal (hour-of-week) baseline. Pure: counts in, verdicts out.

Mention volume has a strong daily and weekly rhythm: Monday 09:00 is always busier than
Sunday 03:00. Comparing the last hour with "the last few hours" would fire every morning, so
each time slot is compared with the *same slot of the week* in the previous weeks:

- the window is the last `window_buckets` buckets (default 4 × 15 min = the last hour), so a
  crisis is seen while it develops, not an hour after it started;
- expected volume = the sum over those slots of the median of the same slot in the previous
  `weeks` weeks (the median ignores one past spike in the history);
- spread = week-to-week variation of the window total (MAD), floored by Poisson noise
  (√expected): a quiet brand's 3 → 9 mentions is noise, a big brand's 300 → 900 is not;
- a volume spike needs all of: z = (observed − expected) / spread ≥ `z_threshold`,
  observed ≥ `ratio` × expected, and observed ≥ `min_mentions`;
- a negative-share spike compares the window's negative share with the baseline share over
  the same history (binomial z), and needs `min_share_mentions` in the window and a lift
  of `min_share_lift` — "more of the conversation turned negative", even at normal volume.

Default thresholds were chosen on synthetic streams with daily and weekly peaks and planted
spikes (`tests/unit/analytics/test_spikes.py` measures precision and detection delay).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

SpikeKind = Literal["volume", "negative_share"]
WEEK = timedelta(weeks=1)


@dataclass(frozen=True)
class Bucket:
    """Mentions of one brand in one time bucket (start instant, UTC)."""

    start: datetime
    total: int
    negative: int = 0


@dataclass(frozen=True)
class SpikeSettings:
    bucket: timedelta = timedelta(minutes=15)
    window_buckets: int = 4
    weeks: int = 4
    min_history_weeks: int = 1
    z_threshold: float = 4.0
    ratio: float = 2.0
    min_mentions: int = 20
    min_share_mentions: int = 10
    min_share_lift: float = 0.1
    share_z_threshold: float = 3.0


@dataclass(frozen=True)
class Spike:
    kind: SpikeKind
    window_start: datetime
    window_end: datetime
    observed: float
    expected: float
    score: float  # z-score of the observation against the baseline

    @property
    def summary(self) -> str:
        if self.kind == "volume":
            return (
                f"{self.observed:.0f} mentions in the last "
                f"{_minutes(self.window_end - self.window_start)} min, "
                f"{self.expected:.1f} expected for this time of the week"
            )
        return (
            f"{self.observed:.0%} of mentions negative in the last "
            f"{_minutes(self.window_end - self.window_start)} min, usually {self.expected:.0%}"
        )


def _minutes(delta: timedelta) -> int:
    return round(delta.total_seconds() / 60)


def bucket_start(instant: datetime, bucket: timedelta) -> datetime:
    """The start of the bucket holding `instant` (buckets are aligned on the Unix epoch)."""
    seconds = int(bucket.total_seconds())
    epoch = int(instant.astimezone(UTC).timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def detect(
    counts: Mapping[datetime, Bucket],
    *,
    now: datetime,
    settings: SpikeSettings | None = None,
    tracked_since: datetime | None = None,
) -> list[Spike]:
    """Spikes in the window that ends with the bucket holding `now`.

    `counts` maps bucket start → counts for the window and the `weeks` weeks before it;
    missing buckets had no mentions. The bucket holding `now` is partial, so the window's
    expected volume is scaled by how much of it has elapsed. `tracked_since` (the brand's
    first mention) limits the baseline to the weeks that were tracked: a brand added on
    Monday has no "usual Thursday" yet and raises nothing until it has one full week.
    """
    s = settings or SpikeSettings()
    if tracked_since is not None:
        tracked_weeks = int((now - tracked_since) / WEEK)
        if tracked_weeks < s.min_history_weeks:
            return []
        s = replace(s, weeks=min(s.weeks, tracked_weeks))
    last = bucket_start(now, s.bucket)
    starts = [last - i * s.bucket for i in reversed(range(s.window_buckets))]
    elapsed = (now - last) / s.bucket  # fraction of the current bucket that has happened
    weights = [1.0] * (len(starts) - 1) + [max(elapsed, 1e-9)]

    def window(offset: timedelta) -> tuple[float, float]:
        total = negative = 0.0
        for start, weight in zip(starts, weights, strict=True):
            bucket = counts.get(start - offset)
            if bucket is not None:
                total += bucket.total * weight
                negative += bucket.negative * weight
        return total, negative

    # The current, partial bucket counts whole in the observation and only by its elapsed
    # part in the history, so a burst in a bucket's first minutes is not diluted.
    observed = float(sum(counts[t].total for t in starts if t in counts))
    observed_negative = float(sum(counts[t].negative for t in starts if t in counts))
    history = [window(w * WEEK) for w in range(1, s.weeks + 1)]
    spikes: list[Spike] = []
    volume = _volume_spike(observed, [h[0] for h in history], s)
    if volume is not None:
        spikes.append(_spike("volume", starts[0], now, observed, *volume))
    share = _share_spike(observed, observed_negative, history, s)
    if share is not None:
        spikes.append(
            _spike("negative_share", starts[0], now, observed_negative / observed, *share)
        )
    return spikes


def _spike(
    kind: SpikeKind, start: datetime, end: datetime, observed: float, expected: float, z: float
) -> Spike:
    return Spike(kind, start, end, round(observed, 4), round(expected, 4), round(z, 2))


def _volume_spike(
    observed: float, history: Sequence[float], s: SpikeSettings
) -> tuple[float, float] | None:
    if observed < s.min_mentions or not history:
        return None
    expected = statistics.median(history)
    mad = statistics.median(abs(h - expected) for h in history) * 1.4826
    spread = max(mad, math.sqrt(max(expected, 1.0)))
    z = (observed - expected) / spread
    if z >= s.z_threshold and observed >= s.ratio * max(expected, 1.0):
        return expected, z
    return None


def _share_spike(
    observed: float,
    observed_negative: float,
    history: Sequence[tuple[float, float]],
    s: SpikeSettings,
) -> tuple[float, float] | None:
    past_total = sum(h[0] for h in history)
    if observed < s.min_share_mentions or past_total < s.min_mentions:
        return None
    # Laplace smoothing keeps a history with no negatives from making any negative a spike.
    baseline = (sum(h[1] for h in history) + 1) / (past_total + 2)
    share = observed_negative / observed
    # The Wilson lower bound of the observed share must clear the baseline by the lift: a
    # small window needs a bigger turn to count, as it should (6 of 10 negative is weak
    # evidence, 60 of 100 is not).
    z = s.share_z_threshold
    lower = (
        share
        + z * z / (2 * observed)
        - z * math.sqrt(share * (1 - share) / observed + z * z / (4 * observed * observed))
    ) / (1 + z * z / observed)
    if lower - baseline >= s.min_share_lift:
        score = (share - baseline) / math.sqrt(baseline * (1 - baseline) / observed)
        return baseline, score
    return None


@dataclass(frozen=True)
class AlertGate:
    """De-duplication and rate limiting of alerts: one alert per brand and kind while a spike
    lasts (`cooldown` after the last one), unless it grows `escalate_ratio` times past what
    the last alert reported — a crisis that keeps growing is announced again."""

    cooldown: timedelta = timedelta(hours=2)
    escalate_ratio: float = 2.0

    def should_alert(
        self, spike: Spike, *, last_alert_at: datetime | None, last_observed: float | None
    ) -> bool:
        if last_alert_at is None or spike.window_end - last_alert_at >= self.cooldown:
            return True
        return last_observed is not None and spike.observed >= self.escalate_ratio * last_observed

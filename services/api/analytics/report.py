"""The weekly / monthly brand report: figures from stored data, pure; rendering in `render.py`.

`build_report` turns what the database holds for one brand and period (`ReportData`) into
the report's figures: volume and sentiment per day, urgency and language mix, share of voice
against competitors, top terms / hashtags / phrases, most influential authors, spikes the
detector finds in the period (the same detector the live alerts use, replayed over the
period), and the SLA compliance of the teams that served the brand's cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from services.api.analytics.period import Period
from services.api.analytics.spikes import AlertGate, Bucket, Spike, SpikeSettings, detect
from services.api.analytics.topics import (
    Author,
    Post,
    TopicSummary,
    influential_authors,
    top_topics,
)


@dataclass(frozen=True)
class ReportData:
    brand_id: str
    brand_name: str
    daily: list[dict[str, Any]]  # day, total, positive, neutral, negative, urgent
    languages: list[tuple[str, int]]
    share_of_voice: list[dict[str, Any]]  # brand, name, competitor, mentions, positive, negative
    posts: list[Post]
    authors: list[tuple[str, int | None, str]]  # handle, followers, sentiment
    buckets: Mapping[datetime, Bucket]  # the period and the weeks before it, for spikes
    sla: list[dict[str, Any]]  # team, cases, within_sla, breached, median/p90 first response
    previous_total: int = 0
    tracked_since: datetime | None = None  # the brand's first mention


@dataclass(frozen=True)
class DayFigures:
    day: date
    total: int
    positive: int
    neutral: int
    negative: int
    urgent: int


@dataclass(frozen=True)
class Report:
    brand_id: str
    brand_name: str
    period: Period
    days: list[DayFigures]
    total: int
    previous_total: int
    sentiment: dict[str, int]
    net_sentiment: float | None  # (positive − negative) / total
    urgent: int
    languages: list[tuple[str, int]]
    share_of_voice: list[dict[str, Any]]
    topics: TopicSummary
    authors: list[Author]
    spikes: list[Spike]
    sla: list[dict[str, Any]] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        """Volume change against the previous period, or None when that had no mentions."""
        if not self.previous_total:
            return None
        return (self.total - self.previous_total) / self.previous_total


def build_report(
    data: ReportData, period: Period, *, spike_settings: SpikeSettings | None = None
) -> Report:
    by_day = {row["day"]: row for row in data.daily}
    days = [
        DayFigures(
            day=d,
            **{k: int(by_day.get(d, {}).get(k, 0)) for k in _DAY_FIELDS},
        )
        for d in period.days
    ]
    sentiment = {k: sum(getattr(d, k) for d in days) for k in ("positive", "neutral", "negative")}
    total = sum(d.total for d in days)
    voices = sum(int(row["mentions"]) for row in data.share_of_voice)
    share = [
        {**row, "share": (int(row["mentions"]) / voices) if voices else 0.0}
        for row in data.share_of_voice
    ]
    return Report(
        brand_id=data.brand_id,
        brand_name=data.brand_name,
        period=period,
        days=days,
        total=total,
        previous_total=data.previous_total,
        sentiment=sentiment,
        net_sentiment=(sentiment["positive"] - sentiment["negative"]) / total if total else None,
        urgent=sum(d.urgent for d in days),
        languages=data.languages,
        share_of_voice=share,
        topics=top_topics(data.posts, exclude=[data.brand_id, data.brand_name]),
        authors=influential_authors(data.authors),
        spikes=replay_spikes(
            data.buckets, period, spike_settings or SpikeSettings(), data.tracked_since
        ),
        sla=[_sla_row(row) for row in data.sla],
    )


_DAY_FIELDS = ("total", "positive", "neutral", "negative", "urgent")


def _sla_row(row: Mapping[str, Any]) -> dict[str, Any]:
    decided = int(row["within_sla"]) + int(row["breached"])
    return {
        **row,
        "within_sla_pct": (int(row["within_sla"]) / decided) if decided else None,
    }


def replay_spikes(
    buckets: Mapping[datetime, Bucket],
    period: Period,
    settings: SpikeSettings,
    tracked_since: datetime | None = None,
) -> list[Spike]:
    """The alerts the live detector would have raised in the period: evaluated at the end of
    every bucket, through the same de-duplication gate."""
    gate = AlertGate()
    last: dict[str, Spike] = {}
    raised: list[Spike] = []
    now = period.start + settings.bucket - timedelta(microseconds=1)
    while now < period.end:
        for spike in detect(buckets, now=now, settings=settings, tracked_since=tracked_since):
            before = last.get(spike.kind)
            if gate.should_alert(
                spike,
                last_alert_at=before.window_end if before else None,
                last_observed=before.observed if before else None,
            ):
                raised.append(spike)
                last[spike.kind] = spike
        now += settings.bucket
    return raised

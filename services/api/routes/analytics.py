"""Analytics: volume and sentiment, share of voice, SLA compliance, observed model error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.api.analytics.topics import Post, influential_authors, top_topics
from services.api.deps import PoolDep, PrincipalDep
from services.api.models_analytics import (
    AlertOut,
    Alerts,
    AuthorReach,
    Count,
    LabelErrorReport,
    LabelErrors,
    ShareOfVoice,
    SlaCompliance,
    SlaGroup,
    Topics,
    VoiceShare,
    Volume,
)
from services.api.repo import analytics
from services.shared.http import ApiError

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

Days = Annotated[int, Query(ge=1, le=366, description="Look back this many days")]
Brand = Annotated[str | None, Query(max_length=100)]


def since(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


@router.get("/volume", response_model=Volume)
async def volume(
    pool: PoolDep,
    principal: PrincipalDep,
    brand: Brand = None,
    bucket: Literal["hour", "day", "week"] = "day",
    days: Days = 30,
) -> Volume:
    rows = await analytics.volume(
        pool=pool,
        organisation_id=principal.organisation_id,
        brand=brand,
        bucket=bucket,
        since=since(days),
    )
    return Volume(brand=brand, bucket=bucket, items=[dict(r) for r in rows])


@router.get("/share-of-voice", response_model=ShareOfVoice)
async def share_of_voice(
    pool: PoolDep,
    principal: PrincipalDep,
    brand: Annotated[str, Query(max_length=100)],
    days: Days = 30,
) -> ShareOfVoice:
    rows = await analytics.share_of_voice(
        pool=pool, organisation_id=principal.organisation_id, brand=brand, since=since(days)
    )
    if not rows:
        raise ApiError(404, "brand_not_found", f"no brand {brand}")
    total = sum(r["mentions"] for r in rows) or 1
    return ShareOfVoice(
        brand=brand, items=[VoiceShare(**dict(r), share=r["mentions"] / total) for r in rows]
    )


@router.get("/sla", response_model=SlaCompliance)
async def sla_compliance(
    pool: PoolDep,
    principal: PrincipalDep,
    group_by: Literal["team", "priority", "assignee", "brand", "channel"] = "team",
    days: Days = 30,
) -> SlaCompliance:
    """% answered within SLA, median and p90 first response (wall clock and business hours),
    breaches, open queue depth and age."""
    rows = await analytics.sla_compliance(
        pool=pool, organisation_id=principal.organisation_id, group_by=group_by, since=since(days)
    )
    items = []
    for r in rows:
        decided = r["responded"] + (r["breached"] - (r["responded"] - r["within_sla"]))
        items.append(
            SlaGroup(
                **dict(r), pct_within_sla=(100 * r["within_sla"] / decided) if decided else None
            )
        )
    return SlaCompliance(group_by=group_by, items=items)


@router.get("/label-errors", response_model=LabelErrorReport)
async def label_errors(pool: PoolDep, principal: PrincipalDep, days: Days = 30) -> LabelErrorReport:
    """The model's observed error rate per brand: mentions a person relabelled."""
    rows = await analytics.label_error_rate(
        pool=pool, organisation_id=principal.organisation_id, since=since(days)
    )
    return LabelErrorReport(
        items=[
            LabelErrors(
                **dict(r), error_rate=(r["corrected"] / r["mentions"] if r["mentions"] else None)
            )
            for r in rows
        ]
    )


@router.get("/alerts", response_model=Alerts)
async def alerts(
    pool: PoolDep, principal: PrincipalDep, brand: Brand = None, days: Days = 7
) -> Alerts:
    """Spike alerts (volume, turn to negative), newest first, with their delivery state."""
    rows = await analytics.alerts(
        pool=pool, organisation_id=principal.organisation_id, brand=brand, since=since(days)
    )
    return Alerts(items=[AlertOut(**dict(r)) for r in rows])


@router.get("/topics", response_model=Topics)
async def topics(
    pool: PoolDep,
    principal: PrincipalDep,
    brand: Annotated[str, Query(max_length=100)],
    days: Days = 7,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Topics:
    """Top terms, hashtags and phrases, and the most influential authors, of a brand."""
    rows = await analytics.recent_posts(
        pool=pool, organisation_id=principal.organisation_id, brand=brand, since=since(days)
    )
    summary = top_topics(
        (Post(r["text"], r["language"]) for r in rows), limit=limit, exclude=[brand]
    )
    authors = influential_authors(
        ((r["handle"], r["followers"], r["sentiment"]) for r in rows), limit=limit
    )

    def counts(pairs: list[tuple[str, int]]) -> list[Count]:
        return [Count(value=v, posts=n) for v, n in pairs]

    return Topics(
        brand=brand,
        posts=len(rows),
        terms=counts(summary.terms),
        hashtags=counts(summary.hashtags),
        phrases=counts(summary.phrases),
        authors=[AuthorReach(**vars(a)) for a in authors],
    )

"""What a brand report reads from PostgreSQL. Keyword-only, read-only, one query per figure."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.api.analytics.report import ReportData
from services.api.analytics.spikes import Bucket, SpikeSettings
from services.api.analytics.topics import Post

# Texts read for topics: a sample this size gives stable top terms and keeps a report of a
# viral month fast.
TOPIC_SAMPLE = 50_000


async def brand(*, pool: asyncpg.Pool[Any], brand_id: str) -> asyncpg.Record | None:
    return await pool.fetchrow(
        "SELECT id, name, organisation_id, competitor_of FROM brands WHERE id = $1", brand_id
    )


async def report_data(
    *,
    pool: asyncpg.Pool[Any],
    brand_id: str,
    start: datetime,
    end: datetime,
    previous_start: datetime,
    spikes: SpikeSettings,
) -> ReportData:
    row = await brand(pool=pool, brand_id=brand_id)
    if row is None:
        raise LookupError(f"unknown brand {brand_id!r}")
    async with pool.acquire() as connection:
        daily = await connection.fetch(
            """SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS total,
                  count(*) FILTER (WHERE sentiment = 'positive') AS positive,
                  count(*) FILTER (WHERE sentiment = 'neutral') AS neutral,
                  count(*) FILTER (WHERE sentiment = 'negative') AS negative,
                  count(*) FILTER (WHERE urgency IN ('critical', 'high')) AS urgent
               FROM mentions WHERE brand = $1 AND created_at >= $2 AND created_at < $3
               GROUP BY 1 ORDER BY 1""",
            brand_id,
            start,
            end,
        )
        languages = await connection.fetch(
            """SELECT language, count(*) AS mentions FROM mentions
               WHERE brand = $1 AND created_at >= $2 AND created_at < $3
               GROUP BY 1 ORDER BY 2 DESC, 1""",
            brand_id,
            start,
            end,
        )
        share = await connection.fetch(
            """SELECT b.id AS brand, b.name, b.competitor_of IS NOT NULL AS competitor,
                  count(m.id) AS mentions,
                  count(m.id) FILTER (WHERE m.sentiment = 'positive') AS positive,
                  count(m.id) FILTER (WHERE m.sentiment = 'negative') AS negative
               FROM brands b
               LEFT JOIN mentions m ON m.brand = b.id AND m.created_at >= $2
                    AND m.created_at < $3
               WHERE b.id = $1 OR b.competitor_of = $1
               GROUP BY b.id ORDER BY b.competitor_of NULLS FIRST, b.id""",
            brand_id,
            start,
            end,
        )
        posts = await connection.fetch(
            """SELECT text, language, author ->> 'handle' AS handle,
                  (author ->> 'followers')::bigint AS followers, sentiment
               FROM mentions WHERE brand = $1 AND created_at >= $2 AND created_at < $3
               ORDER BY created_at LIMIT $4""",
            brand_id,
            start,
            end,
            TOPIC_SAMPLE,
        )
        bucket_s = int(spikes.bucket.total_seconds())
        buckets = await connection.fetch(
            """SELECT to_timestamp(floor(extract(epoch FROM created_at) / $4) * $4) AS start,
                  count(*) AS total, count(*) FILTER (WHERE sentiment = 'negative') AS negative
               FROM mentions WHERE brand = $1 AND created_at >= $2 AND created_at < $3
               GROUP BY 1""",
            brand_id,
            start - spikes.weeks * timedelta(weeks=1),
            end,
            bucket_s,
        )
        sla = await connection.fetch(
            """SELECT team, count(*) AS cases,
                  count(*) FILTER (WHERE first_response_at <= sla_due_at) AS within_sla,
                  count(*) FILTER (WHERE first_response_at > sla_due_at
                      OR (first_response_at IS NULL AND sla_due_at < least(now(), $3)))
                      AS breached,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY
                      extract(epoch FROM first_response_at - sla_started_at))
                      FILTER (WHERE first_response_at IS NOT NULL) AS median_first_response_s,
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY
                      extract(epoch FROM first_response_at - sla_started_at))
                      FILTER (WHERE first_response_at IS NOT NULL) AS p90_first_response_s,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_business_s)
                      AS median_first_response_business_s,
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY first_response_business_s)
                      AS p90_first_response_business_s
               FROM cases WHERE brand = $1 AND opened_at >= $2 AND opened_at < $3
                 AND sla_due_at IS NOT NULL
               GROUP BY team ORDER BY team""",
            brand_id,
            start,
            end,
        )
        tracked_since = await connection.fetchval(
            "SELECT min(created_at) FROM mentions WHERE brand = $1", brand_id
        )
        previous_total = await connection.fetchval(
            """SELECT count(*) FROM mentions
               WHERE brand = $1 AND created_at >= $2 AND created_at < $3""",
            brand_id,
            previous_start,
            start,
        )
    return ReportData(
        brand_id=row["id"],
        brand_name=row["name"],
        daily=[dict(r) for r in daily],
        languages=[(r["language"], r["mentions"]) for r in languages],
        share_of_voice=[dict(r) for r in share],
        posts=[Post(r["text"], r["language"]) for r in posts],
        authors=[(r["handle"], r["followers"], r["sentiment"]) for r in posts],
        buckets={r["start"]: Bucket(r["start"], r["total"], r["negative"]) for r in buckets},
        sla=[dict(r) for r in sla],
        previous_total=int(previous_total or 0),
        tracked_since=tracked_since,
    )

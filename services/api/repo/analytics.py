"""Analytics queries. First-response times come two ways: wall-clock seconds, and business
seconds in the team's calendar (`first_response_business_s`, which the router fills in
shortly after a response is recorded: the calendars live there)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

GROUPS = {
    "team": "c.team",
    "priority": "c.priority",
    "assignee": "coalesce(c.assignee, '')",
    "brand": "c.brand",
    # The source of the case's first mention (the router stores it on the case).
    "channel": "coalesce(c.source, '')",
}


async def volume(
    *,
    pool: asyncpg.Pool[Any],
    organisation_id: str,
    brand: str | None,
    bucket: str,
    since: datetime,
) -> list[asyncpg.Record]:
    """Mentions per time bucket with their sentiment split (and mean net sentiment)."""
    assert bucket in ("hour", "day", "week")
    return list(
        await pool.fetch(
            """SELECT date_trunc($3, m.created_at) AS bucket, count(*) AS total,
                  count(*) FILTER (WHERE m.sentiment = 'positive') AS positive,
                  count(*) FILTER (WHERE m.sentiment = 'neutral') AS neutral,
                  count(*) FILTER (WHERE m.sentiment = 'negative') AS negative,
                  avg(coalesce((m.classification->'sentiment'->'scores'->>'positive')::float, 0)
                    - coalesce((m.classification->'sentiment'->'scores'->>'negative')::float, 0))
                    AS net_sentiment
           FROM mentions m JOIN brands b ON b.id = m.brand
           WHERE b.organisation_id = $1 AND ($2::text IS NULL OR m.brand = $2)
             AND m.created_at >= $4
           GROUP BY 1 ORDER BY 1""",
            organisation_id,
            brand,
            bucket,
            since,
        )
    )


async def share_of_voice(
    *, pool: asyncpg.Pool[Any], organisation_id: str, brand: str, since: datetime
) -> list[asyncpg.Record]:
    """The brand and its competitors, with their mention counts and sentiment split."""
    return list(
        await pool.fetch(
            """SELECT b.id AS brand, b.name, b.competitor_of, count(m.id) AS mentions,
                  count(m.id) FILTER (WHERE m.sentiment = 'positive') AS positive,
                  count(m.id) FILTER (WHERE m.sentiment = 'negative') AS negative
           FROM brands b LEFT JOIN mentions m ON m.brand = b.id AND m.created_at >= $3
           WHERE b.organisation_id = $1 AND (b.id = $2 OR b.competitor_of = $2)
           GROUP BY b.id ORDER BY b.competitor_of NULLS FIRST, b.id""",
            organisation_id,
            brand,
            since,
        )
    )


async def sla_compliance(
    *, pool: asyncpg.Pool[Any], organisation_id: str, group_by: str, since: datetime
) -> list[asyncpg.Record]:
    """Per group: cases, answered within SLA, breaches, median/p90 first response, open queue
    depth and age. A case counts towards the percentage once its outcome is known: answered,
    or unanswered past its due time."""
    key = GROUPS[group_by]
    return list(
        await pool.fetch(
            f"""SELECT {key} AS key, count(*) AS cases,
                count(*) FILTER (WHERE c.first_response_at IS NOT NULL) AS responded,
                count(*) FILTER (WHERE c.first_response_at <= c.sla_due_at) AS within_sla,
                count(*) FILTER (WHERE c.first_response_at > c.sla_due_at
                    OR (c.first_response_at IS NULL AND now() > c.sla_due_at)) AS breached,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY
                    extract(epoch FROM c.first_response_at - c.sla_started_at))
                    FILTER (WHERE c.first_response_at IS NOT NULL) AS median_first_response_s,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY
                    extract(epoch FROM c.first_response_at - c.sla_started_at))
                    FILTER (WHERE c.first_response_at IS NOT NULL) AS p90_first_response_s,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY c.first_response_business_s)
                    AS median_first_response_business_s,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY c.first_response_business_s)
                    AS p90_first_response_business_s,
                count(*) FILTER (WHERE c.status IN ('open', 'pending')) AS open,
                extract(epoch FROM max(now() - c.opened_at)
                    FILTER (WHERE c.status IN ('open', 'pending'))) AS oldest_open_s
            FROM cases c JOIN brands b ON b.id = c.brand
            WHERE b.organisation_id = $1 AND c.opened_at >= $2
            GROUP BY 1 ORDER BY 1""",
            organisation_id,
            since,
        )
    )


async def label_error_rate(
    *, pool: asyncpg.Pool[Any], organisation_id: str, since: datetime
) -> list[asyncpg.Record]:
    """Per brand and field: mentions whose model label a person corrected to another value."""
    return list(
        await pool.fetch(
            """SELECT b.id AS brand, f.field,
                  (SELECT count(*) FROM mentions m WHERE m.brand = b.id
                     AND m.created_at >= $2) AS mentions,
                  count(DISTINCT l.mention_id) FILTER (WHERE l.value IS DISTINCT FROM
                     l.model_value) AS corrected
           FROM brands b
           CROSS JOIN (VALUES ('sentiment'), ('abuse'), ('urgency')) AS f (field)
           LEFT JOIN mentions m2 ON m2.brand = b.id AND m2.created_at >= $2
           LEFT JOIN label_corrections l ON l.mention_id = m2.id AND l.field = f.field
           WHERE b.organisation_id = $1
           GROUP BY b.id, f.field ORDER BY b.id, f.field""",
            organisation_id,
            since,
        )
    )


async def alerts(
    *, pool: asyncpg.Pool[Any], organisation_id: str, brand: str | None, since: datetime
) -> list[asyncpg.Record]:
    """Listening alerts of the organisation's brands, newest first."""
    return list(
        await pool.fetch(
            """SELECT a.id, a.brand, a.kind, a.window_start, a.window_end, a.observed,
                  a.expected, a.score, a.summary, a.raised_at, a.notified_at, a.notify_error
           FROM alerts a JOIN brands b ON b.id = a.brand
           WHERE b.organisation_id = $1 AND ($2::text IS NULL OR a.brand = $2)
             AND a.raised_at >= $3
           ORDER BY a.raised_at DESC LIMIT 200""",
            organisation_id,
            brand,
            since,
        )
    )


# Texts read for the topic summary: enough for stable top terms, bounded for a viral week.
TOPIC_SAMPLE = 5_000


async def recent_posts(
    *, pool: asyncpg.Pool[Any], organisation_id: str, brand: str, since: datetime
) -> list[asyncpg.Record]:
    """The brand's newest mentions: text, language, author and sentiment."""
    return list(
        await pool.fetch(
            """SELECT m.text, m.language, m.author ->> 'handle' AS handle,
                  (m.author ->> 'followers')::bigint AS followers, m.sentiment
           FROM mentions m JOIN brands b ON b.id = m.brand
           WHERE b.organisation_id = $1 AND m.brand = $2 AND m.created_at >= $3
           ORDER BY m.created_at DESC LIMIT $4""",
            organisation_id,
            brand,
            since,
            TOPIC_SAMPLE,
        )
    )

"""`earshot report` on real PostgreSQL: known mentions in → exact aggregates, a PDF that renders."""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import numpy as np
import pypdfium2
import pytest

from services.api.analytics.commands import load_report, resolve_period
from services.api.analytics.render import write_report

pytestmark = pytest.mark.postgres

WEEK = "2026-W47"  # Monday 16 November 2026 to Monday 23 November 2026
MONDAY = datetime(2026, 11, 16, tzinfo=UTC)


async def add_mention(
    pool: asyncpg.Pool,
    brand: str,
    at: datetime,
    text: str,
    *,
    sentiment: str = "neutral",
    urgency: str = "normal",
    language: str = "en",
    author: tuple[str, int] = ("@someone", 10),
    case_id: uuid.UUID | None = None,
) -> None:
    mention_id = uuid.uuid4()
    await pool.execute(
        """INSERT INTO mentions (id, source, source_id, brand, text, author, created_at,
               received_at, conversation_key, classification, sentiment, urgency, language,
               model_version, classified_at, route, case_id)
           VALUES ($1, 'x', $2, $3, $4, $5, $6, $6, $7, '{}', $8, $9, $10, 'test', $6,
                   '{"action": "monitor"}', $11)""",
        mention_id,
        str(mention_id),
        brand,
        text,
        {"handle": author[0], "followers": author[1]},
        at,
        f"{brand}|x|{mention_id}",
        sentiment,
        urgency,
        language,
        case_id,
    )


async def add_case(
    pool: asyncpg.Pool, brand: str, opened: datetime, *, responded_after: timedelta | None
) -> uuid.UUID:
    case_id = uuid.uuid4()
    await pool.execute(
        """INSERT INTO cases (id, brand, conversation_key, status, team, queue, priority,
               opened_at, sla_started_at, sla_due_at, last_mention_at, first_response_at)
           VALUES ($1, $2, $3, 'open', 'support', 'support', 'p2', $4, $4, $5, $4, $6)""",
        case_id,
        brand,
        f"{brand}|case|{case_id}",
        opened,
        opened + timedelta(hours=6),
        opened + responded_after if responded_after else None,
    )
    return case_id


@pytest.fixture
async def brand(pool: asyncpg.Pool) -> str:
    brand = f"rep-{uuid.uuid4().hex[:8]}"
    await pool.execute("INSERT INTO brands (id, name) VALUES ($1, 'Acme Air')", brand)
    await pool.execute(
        "INSERT INTO brands (id, name, competitor_of) VALUES ($1, 'Rival Jet', $2)",
        f"{brand}-rival",
        brand,
    )
    # Four quiet weeks before the reported one: two mentions every weekday at 10:00.
    for week in range(1, 5):
        for day in range(5):
            for minute in (0, 5):
                await add_mention(
                    pool,
                    brand,
                    MONDAY - timedelta(weeks=week, days=-day, hours=-10, minutes=-minute),
                    "ordinary day",
                )
    # The week itself.
    tuesday = MONDAY + timedelta(days=1, hours=10)
    for i in range(6):
        await add_mention(
            pool,
            brand,
            tuesday + timedelta(minutes=i),
            "Love the new lounge #AcmeAir",
            sentiment="positive",
            author=("@fan", 500),
        )
    # Thursday 10:00: an outage, 40 angry mentions within a quarter of an hour.
    thursday = MONDAY + timedelta(days=3, hours=10)
    for i in range(40):
        await add_mention(
            pool,
            brand,
            thursday + timedelta(seconds=20 * i),
            f"App outage again, cannot check in #AcmeDown {i}",
            sentiment="negative",
            urgency="high",
            language="fr" if i % 4 else "en",
            author=("@press_desk", 250_000) if i == 0 else (f"@user{i}", 30),
        )
    answered = await add_case(pool, brand, thursday, responded_after=timedelta(hours=2))
    late = await add_case(pool, brand, thursday, responded_after=timedelta(hours=8))
    await add_case(pool, brand, MONDAY + timedelta(days=5), responded_after=None)  # unanswered
    await add_mention(
        pool, brand, thursday, "where is my refund", sentiment="negative", case_id=answered
    )
    await add_mention(pool, brand, thursday, "still no refund", sentiment="negative", case_id=late)
    for i in range(3):
        await add_mention(
            pool,
            f"{brand}-rival",
            tuesday + timedelta(hours=i),
            "Rival Jet is fine",
            sentiment="positive",
        )
    # Outside the week: must not count.
    await add_mention(pool, brand, MONDAY + timedelta(days=7), "next week", sentiment="negative")
    return brand


async def test_weekly_report_aggregates_exactly(
    pool: asyncpg.Pool, postgres_dsn: str, brand: str
) -> None:
    report = await load_report(dsn=postgres_dsn, brand=brand, period=resolve_period(WEEK, MONDAY))
    assert report.total == 48
    assert report.previous_total == 10
    assert report.sentiment == {"positive": 6, "neutral": 0, "negative": 42}
    assert [d.total for d in report.days] == [0, 6, 0, 42, 0, 0, 0]
    assert report.urgent == 40
    assert report.languages == [("fr", 30), ("en", 18)]
    assert [(r["name"], r["mentions"], r["share"]) for r in report.share_of_voice] == [
        ("Acme Air", 48, pytest.approx(48 / 51)),
        ("Rival Jet", 3, pytest.approx(3 / 51)),
    ]
    assert report.topics.hashtags[0] == ("#acmedown", 40)
    assert ("outage", 40) in report.topics.terms
    assert report.authors[0].handle == "@press_desk"
    (spike,) = [s for s in report.spikes if s.kind == "volume"]
    assert thursday_window(spike.window_start)
    (sla,) = report.sla
    assert (sla["team"], sla["cases"], sla["within_sla"], sla["breached"]) == ("support", 3, 1, 2)
    # The Saturday case is still unanswered, past its due time: a breach, so 1 of 3 decided.
    assert sla["within_sla_pct"] == pytest.approx(1 / 3)
    assert sla["median_first_response_s"] == pytest.approx(5 * 3600)


def thursday_window(start: datetime) -> bool:
    thursday = MONDAY + timedelta(days=3, hours=10)
    return thursday - timedelta(hours=1) <= start <= thursday


async def test_report_files_html_pdf_and_csv(
    pool: asyncpg.Pool, postgres_dsn: str, brand: str, tmp_path: Path
) -> None:
    report = await load_report(dsn=postgres_dsn, brand=brand, period=resolve_period(WEEK, MONDAY))
    written = write_report(report, tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "Acme Air — 2026-W47" in page and "<svg" in page and "#acmedown" in page
    assert "Alerts fired" in page and "App outage" not in page  # figures, not raw posts
    with (tmp_path / "daily.csv").open() as rows:
        assert [r["total"] for r in csv.DictReader(rows)] == ["0", "6", "0", "42", "0", "0", "0"]
    assert {Path(p).name for p in written["csv"]} >= {"share_of_voice.csv", "alerts_fired.csv"}
    pdf = pypdfium2.PdfDocument(tmp_path / "report.pdf")
    try:
        assert len(pdf) == 2  # the figures and charts; the tables
        for index in range(len(pdf)):
            pixels = np.asarray(pdf[index].render(scale=1).to_pil().convert("L"))
            assert pixels.std() > 5, f"page {index + 1} renders blank"
            assert (pixels < 128).mean() > 0.002, f"page {index + 1} has almost no ink"
    finally:
        pdf.close()


async def test_unknown_brand_is_a_clear_error(postgres_dsn: str) -> None:
    with pytest.raises(LookupError, match="unknown brand 'nope'"):
        await load_report(dsn=postgres_dsn, brand="nope", period=resolve_period(WEEK, MONDAY))

"""Done when: a brand manager writes "(acme OR #acmefail OR @acme_help) AND NOT jobs lang:fr"
and sees exactly the matching French mentions arrive from any connector, once each.

Real PostgreSQL (the query is stored in `brands.query`) and a real Kafka broker (what ingest
acknowledged is read back from `mentions.raw`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from schemas import MENTION_RAW_V1, TOPIC_MENTIONS_RAW
from services.ingest import main as ingest
from services.ingest.repo import load_catalogue, set_brand_query
from services.ingest.rules.query import QuerySyntaxError
from services.ingest.settings import IngestSettings
from services.shared.http import add_error_handlers
from services.shared.runtime import close_resources, open_resources
from tests.support.kafka_broker import KafkaBroker

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
FIXTURES = Path(__file__).parents[1] / "fixtures" / "ingest"


def fixture(platform: str, name: str) -> Any:
    return json.loads((FIXTURES / platform / name).read_text(encoding="utf-8"))


def deliveries(brand_word: str) -> list[tuple[str, Any, bool]]:
    """(platform, native payload, should it match) from five connectors."""
    w = brand_word
    mastodon = fixture("mastodon", "streaming_update.json")
    mastodon["payload"] = mastodon["payload"].replace("Skyvela", w.capitalize())
    tweets = fixture("x", "filtered_stream.json")
    french_tweet = tweets[0]
    french_tweet["data"] |= {"lang": "fr", "text": f"@{w}_help mon vol est annulé, remboursez-moi"}
    english_tweet = tweets[2]
    english_tweet["data"]["text"] = f"@{w}_help please DM us"
    bluesky = fixture("bluesky", "jetstream_events.json")[0]
    bluesky["commit"]["record"] |= {"langs": ["fr"], "text": f"{w.upper()} a perdu ma valise"}
    updates = fixture("telegram", "get_updates.json")["result"]
    jobs = updates[0]
    jobs["message"]["from"]["language_code"] = "fr"
    jobs["message"]["text"] = f"{w} recrute : jobs à Paris"
    youtube = fixture("youtube", "comment_threads.json")
    youtube["items"][0]["snippet"]["topLevelComment"]["snippet"]["textOriginal"] = f"#{w}fail"
    youtube["items"][0]["replies"] = {"comments": []}
    return [
        ("mastodon", mastodon, False),  # "#word" is a hashtag, the query names #{w}fail only
        ("x", french_tweet, True),
        ("x", english_tweet, False),
        ("bluesky", bluesky, True),
        ("telegram", jobs, False),
        ("youtube", youtube, False),  # no language hint: lang:fr cannot hold
    ]


async def test_french_mentions_of_a_brand_query_arrive_once_each_from_any_connector(
    kafka: KafkaBroker, postgres_dsn: str, pool: asyncpg.Pool, unique: str
) -> None:
    word, brand = f"zq{unique}", f"brand-{unique}"
    await pool.execute("INSERT INTO brands (id, name) VALUES ($1, $1)", brand)
    query = f"({word} OR #{word}fail OR @{word}_help) AND NOT jobs lang:fr"
    await set_brand_query(pool=pool, brand_id=brand, query=query)
    settings = IngestSettings(
        bus="kafka", kafka_bootstrap=kafka.bootstrap, database_url=postgres_dsn,
        topic_prefix=f"i{unique}.", topic_partitions=2,
    )  # fmt: skip
    resources = await open_resources(settings)
    service = ingest.IngestService(resources, settings)
    await service.start()
    app = FastAPI()
    add_error_handlers(app)
    app.include_router(ingest.router)
    app.state.ingest = service
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://ingest", timeout=60
        ) as http:
            expected = 0
            for platform, payload, should_match in deliveries(word) * 2:  # every one sent twice
                response = await http.post(f"/v1/webhooks/{platform}", json=payload)
                assert response.status_code == 200, response.text
                assert len(response.json()["accepted"]) == int(should_match), (platform, payload)
                expected += should_match
        consumer = resources.bus.consumer([settings.topic(TOPIC_MENTIONS_RAW)], group=unique)
        await consumer.start()
        events: list[Any] = []
        for _ in range(20):
            events += await consumer.fetch(max_records=100, timeout_ms=500)
        await consumer.stop()
    finally:
        await service.stop()
        await close_resources(resources)
    decoded = [json.loads(m.value) for m in events]
    assert all(e["type"] == MENTION_RAW_V1 for e in decoded)
    assert sorted(e["data"]["source"] for e in decoded) == ["bluesky", "x"]  # once each
    assert {e["data"]["brand"] for e in decoded} == {brand}
    assert expected == 4


async def test_query_is_stored_only_when_it_parses(pool: asyncpg.Pool, unique: str) -> None:
    brand = f"q-{unique}"
    await pool.execute("INSERT INTO brands (id, name) VALUES ($1, $1)", brand)
    with pytest.raises(QuerySyntaxError):
        await set_brand_query(pool=pool, brand_id=brand, query="(broken")
    assert await pool.fetchval("SELECT query FROM brands WHERE id = $1", brand) is None
    canonical = await set_brand_query(pool=pool, brand_id=brand, query="acme -jobs")
    assert canonical == "acme AND NOT jobs"
    catalogue = await load_catalogue(pool=pool)
    assert catalogue.brands[brand].query == "acme -jobs"
    with pytest.raises(LookupError):
        await set_brand_query(pool=pool, brand_id=f"none-{unique}", query="acme")


def test_rules_load_stores_every_query_of_a_brands_file_or_none(
    postgres_dsn: str, unique: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from typer.testing import CliRunner

    from services.ingest.commands import app

    one, two = f"l1-{unique}", f"l2-{unique}"

    async def sql(statement: str, *args: Any) -> Any:
        connection = await asyncpg.connect(postgres_dsn)
        try:
            return await connection.fetch(statement, *args)
        finally:
            await connection.close()

    asyncio.run(sql("INSERT INTO brands (id, name) VALUES ($1, $1), ($2, $2)", one, two))
    monkeypatch.setenv("EARSHOT_DATABASE_URL", postgres_dsn)
    good = tmp_path / "good.yaml"
    good.write_text(f"brands:\n  - id: {one}\n    query: 'acme -jobs'\n  - id: {two}\n")
    result = CliRunner().invoke(app, ["rules", "load", str(good)])
    assert result.exit_code == 0, result.output
    assert f"{one}: acme AND NOT jobs" in result.output
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(
        f"brands:\n  - id: {two}\n    query: zenith\n  - id: nope-{unique}\n    query: x\n"
    )
    assert CliRunner().invoke(app, ["rules", "load", str(unknown)]).exit_code == 1
    rows = asyncio.run(sql("SELECT id, query FROM brands WHERE id = ANY($1)", [one, two]))
    assert {r["id"]: r["query"] for r in rows} == {one: "acme -jobs", two: None}  # none of it

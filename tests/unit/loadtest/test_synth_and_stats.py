"""The load generator's stream is realistic, reproducible and acceptable to ingest."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from services.ingest.handlers import accept_one
from services.ingest.rules import Brand, BrandCatalogue
from services.loadtest.stats import percentile, summary
from services.loadtest.synth import StreamShape, mentions

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SHAPE = StreamShape(("acme", "zenith"))


def take(n: int, seed: int = 1) -> list[dict]:
    return list(itertools.islice(mentions(SHAPE, seed=seed, start=START, run_tag="t"), n))


def test_same_seed_gives_the_same_stream() -> None:
    assert take(200) == take(200)
    assert take(200) != take(200, seed=2)


def test_every_mention_has_a_unique_id_and_a_known_brand() -> None:
    items = take(2000)
    assert len({i["source_id"] for i in items}) == 2000
    assert {i["brand"] for i in items} == {"acme", "zenith"}


def test_replies_stay_on_their_roots_platform_and_brand() -> None:
    items = take(2000)
    by_id = {i["source_id"]: i for i in items}
    replies = [i for i in items if "thread_id" in i]
    assert 300 < len(replies) < 700
    for reply in replies:
        root = by_id[reply["thread_id"]]
        assert (reply["source"], reply["brand"]) == (root["source"], root["brand"])


def test_stream_is_multilingual_and_accepted_by_ingest() -> None:
    catalogue = BrandCatalogue([Brand("acme", "Acme"), Brand("zenith", "Zenith")])
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    items = take(500)
    assert len({i.get("lang") for i in items}) >= 8
    refused = [accept_one(i, catalogue=catalogue, now=now) for i in items]
    assert not [r for r in refused if isinstance(r, tuple)]


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (
        50,
        99,
        100,
    )
    assert summary([2.0])["p99"] == 2.0

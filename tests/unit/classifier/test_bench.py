"""The classifier benchmark's batch-size sweep: what it counts."""

from __future__ import annotations

import pytest

from services.classifier.bench import service_batches
from services.classifier.models import load_classifier


def test_service_batches_times_every_batch_of_every_size() -> None:
    texts = [f"order {i} arrived late, not happy" for i in range(50)]
    rows = service_batches([8, 25], load_classifier("vader"), texts, rounds=2)
    assert [r["batch_max"] for r in rows] == [8, 25]
    assert [r["batches"] for r in rows] == [2 * 7, 2 * 2]  # ceil(50 / size) per round
    for row in rows:
        assert len(row["rounds_tweets_per_s"]) == 2
        assert 0 < row["p50_ms"] <= row["p99_ms"]
        assert row["tweets"] == 50 and row["tweets_per_s"] > 0
    with pytest.raises(ValueError, match="positive"):
        service_batches([0], load_classifier("vader"), texts)

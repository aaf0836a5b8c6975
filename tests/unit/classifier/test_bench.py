"""The classifier benchmark's batch-size sweep: what it counts."""

from __future__ import annotations

from pathlib import Path

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


def test_throughput_table_reports_the_service_default_batch() -> None:
    from services.classifier.bench import batch_latency, render, service_batch_max
    from services.classifier.settings import ClassifierSettings

    size = service_batch_max("torch")
    assert ClassifierSettings.model_fields["classifier_batch_max"].default is None
    assert size == ClassifierSettings(classifier_encoder="torch").batch_max() == 48
    assert service_batch_max("onnx") == ClassifierSettings(classifier_encoder="onnx").batch_max()
    latency = batch_latency([10.0, 20.0, 30.0], size)
    assert latency == {
        "service_batch_max": size,
        "service_p50_ms": 20.0,
        "service_p99_ms": 30.0,
        "service_batches": 3,
    }
    quality = {
        "model_version": "m1",
        "encoder": "torch",
        "sentiment": {"tweeteval_macro_recall": 0.7},
        "offensive": {"macro_f1": 0.7},
        "hate": {"macro_f1": 0.7},
    }
    run = {
        "encoder": "torch",
        "tweets": 3,
        "unique_texts": 3,
        "cli_wall_s": 1.0,
        "cli_tweets_per_s": 3.0,
        "steady_tweets_per_s": 9.0,
        "cli_runs_tweets_per_s": [2.5, 3.0, 3.5],
        "steady_runs_tweets_per_s": [8.0, 9.0, 9.5],
        **latency,
    }
    text = render(
        "bench",
        {"quality": [quality], "throughput": [run], "cpu": "Some CPU @ 2.50GHz", "amx": True},
    )
    assert text.startswith("## Classifier — CPU with AMX\n")
    assert "- CPU: Some CPU @ 2.50GHz; AMX bfloat16 units" in text
    assert "service batches (the encoder's default EARSHOT_CLASSIFIER_BATCH_MAX)" in text
    assert f"| {size}: 20.0 / 30.0 ms (3 batches) |" in text
    assert "**3.0 tweets/s** (1.0 s wall; runs 2.5, 3, 3.5) | 9.0 tweets/s (runs 8, 9, 9.5)" in text
    replicated = {**run, "cli_workers": 2, "cli_one_worker_runs_tweets_per_s": [2.0, 2.2, 2.1]}
    text = render("bench", {"quality": [quality], "throughput": [replicated]})
    assert (
        "(1.0 s wall; runs 2.5, 3, 3.5; 2 replicas sharing the threads; `--workers 1` (one "
        "replica on all of them), paired runs: median 2.1, runs 2, 2.2, 2.1) | 9.0 tweets/s" in text
    )


def test_each_cpu_kind_keeps_its_own_section(tmp_path: Path) -> None:
    from services.classifier.bench import section_title, write_section

    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text("# Benchmarks\n\n## Router\n\nrouter figures\n", encoding="utf-8")
    amx, plain = section_title(True), section_title(False)
    no_vnni = section_title(False, exact_int8_kernels=True)
    assert no_vnni.startswith(plain) and no_vnni != plain
    write_section(f"{amx}\n\nfirst AMX run\n", doc)
    write_section(f"{plain}\n\nfirst plain run\n", doc)
    write_section(f"{no_vnni}\n\nfirst no-VNNI run\n", doc)
    write_section(f"{amx}\n\nsecond AMX run\n", doc)
    write_section(f"{no_vnni}\n\nsecond no-VNNI run\n", doc)
    text = doc.read_text(encoding="utf-8")
    assert "first AMX run" not in text and "first no-VNNI run" not in text
    assert "first plain run" in text and "second no-VNNI run" in text
    assert text.count(f"{amx}\n") == 1 and text.count(f"{plain}\n") == 1
    assert text.count(f"{no_vnni}\n") == 1
    assert text.index("## Router") < text.index(amx) < text.index("second AMX run")
    assert text.index(plain) < text.index("first plain run")
    assert text.index("router figures") < text.index(amx)

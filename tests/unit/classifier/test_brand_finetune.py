"""`earshot train --csv`: a brand file yields a new artifact that loads and is never worse
than the base on the held-back slice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.classifier.models import (
    ClassifierInput,
    default_artifact_dir,
    encoder,
    load_classifier,
)

pytest.importorskip("onnxruntime")
pytest.importorskip("sklearn")

ROWS = [
    ("The new Acme drill is fantastic, love it", "positive"),
    ("Acme support fixed my order in minutes, great job", "positive"),
    ("Best toolkit I have bought, thanks Acme", "positive"),
    ("Acme delivery arrived early, very happy", "positive"),
    ("Acme drill broke after two days, awful", "negative"),
    ("Still waiting for my Acme refund, terrible service", "negative"),
    ("Acme charged me twice and nobody answers", "negative"),
    ("The Acme app keeps crashing, so annoying", "negative"),
    ("Acme store opens at 9 tomorrow", "neutral"),
    ("Does the Acme drill come with a battery?", "neutral"),
    ("Acme announced a new catalogue today", "neutral"),
    ("Where is the nearest Acme shop?", "neutral"),
]


def _train_acme(tmp_path: Path) -> Path:
    """A brand model tuned from ROWS on the shipped artifact (skips without one)."""
    if default_artifact_dir() is None:
        pytest.skip("no shipped artifact to fine-tune from")
    from services.classifier.training.finetune import train_from_csv

    csv = tmp_path / "acme.csv"
    lines = ["text,label"] + [f'"{t} #{i}",{label}' for i in range(3) for t, label in ROWS]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return train_from_csv(csv, out=tmp_path / "acme-artifact", version="test+acme", seed=1)


def test_brand_csv_produces_a_loadable_artifact(tmp_path: Path) -> None:
    out = _train_acme(tmp_path)

    config = json.loads((out / "config.json").read_text())
    holdout = config["val_metrics"]["user_holdout"]
    assert holdout["macro_f1"] >= holdout["base_macro_f1"]
    assert (out / "model_card.md").is_file()
    # Where the heads were fitted, and for the int8 encoder how that CPU computed them.
    card = (out / "model_card.md").read_text(encoding="utf-8")
    assert f"- written on: {config['machine']['cpu']} (the heads this run fitted" in card
    if "-onnx-int8" in config["encoder"]["key"]:
        assert config["machine"]["int8_products"] == encoder.int8_products()
        assert f"; int8 products {encoder.int8_products()}" in card
    else:
        assert "int8_products" not in config["machine"]

    tuned = load_classifier(str(out), threads=1)
    assert tuned.model_version == "test+acme"
    (result,) = tuned.classify([ClassifierInput("1", "Acme drill is fantastic")])
    assert abs(sum(result.sentiment.scores.values()) - 1) < 1e-3


def test_organisation_models_are_picked_up_without_a_restart(tmp_path: Path) -> None:
    """Activating a model rewrites an organisation pointer; a running scorer swaps it in on
    its next look, drops it when the pointer goes, and keeps the last good set when a pointer
    names a broken artifact."""
    from services.classifier.models.artifact import ArtifactScorer

    model = _train_acme(tmp_path)
    base_dir = default_artifact_dir()
    assert base_dir is not None
    config = json.loads((model / "config.json").read_text())
    config["scope"] = {"organisation": "acme-org", "brands": ["acme"]}
    (model / "config.json").write_text(json.dumps(config))

    artifacts = tmp_path / "artifacts"
    (artifacts / "organisations").mkdir(parents=True)
    scorer = ArtifactScorer(base_dir, threads=1, organisations_dir=artifacts)
    base_version = scorer.model_version
    assert scorer.version_for("acme") == base_version
    assert scorer.reload_organisations() is False  # nothing changed

    pointer = artifacts / "organisations" / "acme-org.txt"
    pointer.write_text(str(model), encoding="utf-8")
    assert scorer.reload_organisations() is True
    assert scorer.version_for("acme") == "test+acme"
    assert scorer.version_for("other") == base_version
    assert scorer.reload_organisations() is False

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps(config))
    (broken / "heads.npz").write_bytes(b"not a zip file")
    pointer.write_text(str(broken), encoding="utf-8")
    assert scorer.reload_organisations() is False  # logged; the last good set stays
    assert scorer.version_for("acme") == "test+acme"

    pointer.unlink()
    assert scorer.reload_organisations() is True
    assert scorer.version_for("acme") == base_version

"""Corrections → training rows, and the activation gate (pure)."""

from __future__ import annotations

from services.classifier.training.corrections import (
    CorrectionRow,
    corrections_to_splits,
    no_worse,
    slug,
)


def test_corrections_map_to_heads_and_the_rest_is_counted() -> None:
    rows = [
        CorrectionRow("Love it", "acme", "sentiment", "positive"),
        CorrectionRow("Awful", "acme", "sentiment", "negative"),
        CorrectionRow("Awful", "acme", "sentiment", "negative"),  # same text: once
        CorrectionRow("you idiots", "acme", "abuse", "abuse"),
        CorrectionRow("late parcel", "acme", "abuse", "none"),
        CorrectionRow("free followers", "acme", "abuse", "spam"),
        CorrectionRow("my card was stolen", "acme", "urgency", "critical"),
        CorrectionRow("   ", "acme", "sentiment", "neutral"),  # nothing to learn from
    ]
    splits = corrections_to_splits(rows)
    assert splits.sentiment.texts == ["Love it", "Awful"]
    assert splits.sentiment.labels == [2, 0]
    assert splits.offensive.texts == ["you idiots", "late parcel"]
    assert splits.offensive.labels == [1, 0]
    assert splits.not_learnt == {"abuse/spam": 1, "urgency/critical": 1}


BASE = {
    "sentiment": {"tweeteval_macro_recall": 0.70, "umsab_macro_f1": 0.56, "ece": 0.02},
    "offensive": {"macro_f1": 0.75},
    "hate": {"macro_f1": 0.74},
}


def test_gate_passes_when_no_headline_metric_drops() -> None:
    better = {**BASE, "sentiment": {**BASE["sentiment"], "tweeteval_macro_recall": 0.71}}
    assert no_worse(BASE, better) == (True, [])
    assert no_worse(BASE, BASE) == (True, [])
    # Calibration is not a guarded metric: a worse ECE alone does not block activation.
    assert no_worse(BASE, {**BASE, "sentiment": {**BASE["sentiment"], "ece": 0.2}})[0]


def test_gate_blocks_any_drop_beyond_the_tolerance() -> None:
    worse = {**BASE, "offensive": {"macro_f1": 0.74}}
    ok, reasons = no_worse(BASE, worse)
    assert not ok and reasons == ["offensive macro_f1: 0.7400 < 0.7500"]
    assert no_worse(BASE, worse, tolerance=0.02)[0]
    assert not no_worse(BASE, {**BASE, "hate": {}})[0]  # a missing metric counts as worse


def test_organisation_slug_is_a_safe_file_name() -> None:
    assert slug("Acme Corp/EU") == "acme-corp-eu"
    assert slug("../../etc") == "etc"
    assert slug("***") == "org"

"""Training inputs: user label files, the shared layout, and the val-leak filter."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.classifier.training.data import (
    Split,
    near_duplicate_mask,
    read_labelled_file,
    read_split,
)


def test_csv_with_named_and_numeric_labels(tmp_path: Path) -> None:
    path = tmp_path / "brand.csv"
    path.write_text(
        'text,label\n"Love it, thanks @acme",positive\nmeh,1\n"Broken again http://x.y",NEG\n',
        encoding="utf-8",
    )
    split = read_labelled_file(path)
    assert split.labels == [2, 1, 0]
    assert split.texts[0] == "Love it, thanks @user"  # normalised like the training data
    assert split.texts[2] == "Broken again http"


def test_jsonl_labels_and_bad_label(tmp_path: Path) -> None:
    good = tmp_path / "a.jsonl"
    good.write_text('{"text": "great", "label": 2}\n\n{"text": "bad", "label": "negative"}\n')
    assert read_labelled_file(good).labels == [2, 0]
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"text": "x", "label": 7}\n')
    with pytest.raises(ValueError, match="not a sentiment label"):
        read_labelled_file(bad)


def test_shared_layout_split_reader_checks_line_counts(tmp_path: Path) -> None:
    (tmp_path / "val_text.txt").write_text("a\nb\n", encoding="utf-8")
    (tmp_path / "val_labels.txt").write_text("0\n2\n", encoding="utf-8")
    split = read_split(tmp_path, "val", "english")
    assert (split.texts, split.labels, split.groups) == (["a", "b"], [0, 2], ["english"] * 2)
    (tmp_path / "val_labels.txt").write_text("0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        read_split(tmp_path, "val")


def test_near_duplicates_of_val_are_flagged_in_train() -> None:
    val = Split(
        texts=["@user Loving the new update!! http", "A" * 60 + " tail one"],
        labels=[2, 1],
    )
    train = Split(
        texts=[
            "loving the new update http",  # same words without handle / link / case
            "A" * 60 + " a different tail",  # same first 50 characters: a retweet variant
            "Loving the old update",
            "",
        ],
        labels=[2, 1, 2, 1],
    )
    assert near_duplicate_mask(train, val) == [True, True, False, False]

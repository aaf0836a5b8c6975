"""How training picks a head's regularisation on val: the simpler model wins near-ties."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from services.classifier.training.fit import SELECTION_MARGIN, fit_task, prefers


def test_a_weaker_regularisation_must_win_by_more_than_the_margin() -> None:
    assert prefers(0.5, None)  # the first candidate is always taken
    assert not prefers(0.5883, 0.5871)  # 0.0012 better: noise, the stronger one stays
    assert not prefers(0.6 + SELECTION_MARGIN, 0.6)
    assert prefers(0.6 + SELECTION_MARGIN + 1e-6, 0.6)
    assert not prefers(0.58, 0.6)


def test_tied_candidates_keep_the_strongest_regularisation_in_any_order() -> None:
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 40)
    x = np.eye(3)[y] * 3 + rng.normal(scale=0.1, size=(120, 3))  # every C separates it
    for cs in [(1.0, 4.0, 16.0), (16.0, 4.0, 1.0)]:
        _, report = fit_task(
            labels=("negative", "neutral", "positive"),
            emb_train=x,
            y_train=y.tolist(),
            emb_val=x,
            y_val=y.tolist(),
            ngrams_train=None,
            ngrams_val=None,
            metric=lambda t, p: float((t == p).mean()),
            emb_cs=cs,
            log=lambda _: None,
        )
        assert report.choices["emb_C"] == 1.0
        assert report.val["embedding_only"] == 1.0

"""The classifier service's batch size: the setting when given, else the encoder's default."""

from __future__ import annotations

import pytest

from services.classifier.models import encoder
from services.classifier.settings import ClassifierSettings, batch_max_for


@pytest.mark.parametrize(("no_vnni", "int8"), [(False, 24), (True, 16)])
def test_unset_batch_max_follows_the_encoder_and_the_cpu(
    monkeypatch: pytest.MonkeyPatch, no_vnni: bool, int8: int
) -> None:
    """int8 batches are smaller where the CPU has no VNNI (slower, exact int8 kernels)."""
    monkeypatch.delenv("EARSHOT_CLASSIFIER_BATCH_MAX", raising=False)
    monkeypatch.delenv(encoder.ENCODER_ENV, raising=False)
    monkeypatch.setattr(encoder, "cpu_int8_products_saturate", lambda: no_vnni)
    assert ClassifierSettings(classifier_encoder="torch").batch_max() == 48
    assert ClassifierSettings(classifier_encoder="onnx").batch_max() == int8
    assert ClassifierSettings().batch_max() == batch_max_for(encoder.encoder_backend())
    monkeypatch.setenv(encoder.ENCODER_ENV, "onnx")
    assert ClassifierSettings().batch_max() == int8


def test_batch_max_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARSHOT_CLASSIFIER_BATCH_MAX", "16")
    assert ClassifierSettings(classifier_encoder="torch").batch_max() == 16
    assert ClassifierSettings(classifier_encoder="onnx").batch_max() == 16
    monkeypatch.setenv("EARSHOT_CLASSIFIER_BATCH_MAX", "0")
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        ClassifierSettings()

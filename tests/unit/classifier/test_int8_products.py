"""The int8 encoder's matrix products are exact on x86 CPUs with or without VNNI.

Without VNNI, ONNX Runtime's uint8 x int8 kernels add each pair of products in int16 and
clamp it (255 * 127 * 2 = 64,770 > 32,767), so the same int8 model gave other embeddings,
and worse val figures, on an AVX2-only CPU than on the VNNI ones its heads were fitted on.
`encoder.session_options` asks for the exact kernels there.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper

from services.classifier.models import encoder

K, N = 64, 8


def matmul_integer_model(weights: np.ndarray) -> bytes:
    """y = x @ weights in int32, x uint8 fed at run time, weights a constant int8 matrix
    (as in the encoder, where ONNX Runtime may rewrite them before running)."""
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["x", "w"], ["y"])],
        "int8_products",
        [helper.make_tensor_value_info("x", TensorProto.UINT8, [None, K])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [None, N])],
        initializer=[numpy_helper.from_array(weights, name="w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def run(model: bytes, x: np.ndarray, options: object) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    return np.asarray(session.run(["y"], {"x": x})[0])


def cases() -> tuple[np.ndarray, np.ndarray]:
    """The largest products there are, then random rows as an encoder's activations are."""
    rng = np.random.default_rng(7)
    weights = rng.integers(-127, 128, size=(K, N), dtype=np.int8)
    weights[:, 0] = 127
    weights[:, 1] = -127
    x = rng.integers(0, 256, size=(16, K), dtype=np.uint8)
    x[0] = 255
    return x, weights


def test_encoder_session_computes_int8_products_exactly() -> None:
    x, weights = cases()
    exact = x.astype(np.int64) @ weights.astype(np.int64)
    got = run(matmul_integer_model(weights), x, encoder.session_options(threads=1))
    assert got[0, 0] == 255 * 127 * K
    assert np.array_equal(got, exact)


def test_default_kernels_clamp_on_cpus_without_vnni() -> None:
    """Why the option is there: the default kernels lose the exact sums where
    `cpu_int8_products_saturate` says so (and are exact on VNNI CPUs)."""
    import onnxruntime as ort

    x, weights = cases()
    exact = x.astype(np.int64) @ weights.astype(np.int64)
    plain = ort.SessionOptions()
    plain.intra_op_num_threads = 1
    got = run(matmul_integer_model(weights), x, plain)
    flags = encoder.cpu_flags()
    if not flags:
        pytest.skip("no CPU flags to read: which kernels run is not known here")
    if encoder.cpu_int8_products_saturate():
        assert got[0, 0] < 255 * 127 * K
        assert not np.array_equal(got, exact)
    elif flags & {"avx512_vnni", "avx_vnni"}:
        assert np.array_equal(got, exact)
    else:
        pytest.skip("neither VNNI nor the AVX2 / AVX-512 kernels that clamp")


@pytest.mark.parametrize(
    ("flags", "machine", "saturate"),
    [
        ({"sse4_1", "avx2", "fma"}, "x86_64", True),  # AVX2 only (AMD Zen 2/3, Intel < Ice Lake)
        ({"avx2", "avx512f", "avx512bw"}, "x86_64", True),  # AVX-512 without VNNI (Skylake-SP)
        ({"avx2", "avx512f", "avx512_vnni"}, "x86_64", False),
        ({"avx2", "avx_vnni"}, "x86_64", False),  # Alder Lake and later client CPUs
        ({"avx2", "avx512_vnni", "amx_int8", "amx_bf16"}, "x86_64", False),
        ({"sse4_1", "sse4_2"}, "x86_64", False),  # ONNX Runtime's SSE kernels are exact on Linux
        (set(), "aarch64", False),  # ARM lists `Features`, not `flags`
        (set(), "arm64", False),
        (set(), "AMD64", True),  # x86 without /proc/cpuinfo: ask for the exact kernels
    ],
)
def test_which_cpus_need_the_exact_kernels(
    monkeypatch: pytest.MonkeyPatch, flags: set[str], machine: str, saturate: bool
) -> None:
    monkeypatch.setattr(encoder, "cpu_flags", lambda: frozenset(flags))
    monkeypatch.setattr(encoder.platform, "machine", lambda: machine)
    assert encoder.cpu_int8_products_saturate() is saturate
    assert encoder.cpu_has_bf16_matrix_units() is ("amx_bf16" in flags)


@pytest.mark.parametrize(
    ("flags", "machine", "says"),
    [
        ({"avx2", "avx512_vnni"}, "x86_64", "exact (VNNI)"),
        ({"avx2"}, "x86_64", "exact (ONNX Runtime's uint8 x uint8 kernels; no VNNI)"),
        (set(), "AMD64", "exact (ONNX Runtime's uint8 x uint8 kernels; CPU flags unknown)"),
        (set(), "aarch64", "ONNX Runtime's default kernels (no AVX2 or AVX-512 flags)"),
    ],
)
def test_model_cards_say_how_the_cpu_computed_int8(
    monkeypatch: pytest.MonkeyPatch, flags: set[str], machine: str, says: str
) -> None:
    monkeypatch.setattr(encoder, "cpu_flags", lambda: frozenset(flags))
    monkeypatch.setattr(encoder.platform, "machine", lambda: machine)
    assert encoder.int8_products() == says

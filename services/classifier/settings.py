from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.shared.settings import EarshotSettings


class ClassifierSettings(EarshotSettings):
    classifier_model: str | None = Field(
        default=None,
        description=(
            "Model: unset = the shipped artifact; a shipped version by name "
            "(e.g. `minilm-l6-lora-v4`); `vader`; or a Hugging Face name/path"
        ),
    )
    classifier_encoder: Literal["auto", "torch", "onnx"] = Field(
        default="auto",
        description="Sentence encoder: `torch` (bfloat16, fastest on CPUs with AMX), `onnx` "
        "(int8, no torch needed) or `auto` (torch where the CPU has AMX and torch is installed)",
    )
    classifier_threads: int = Field(default=2, ge=1, description="CPU threads for inference")
    classifier_batch_max: int | None = Field(
        default=None,
        ge=1,
        description="Most mentions per batch; unset = by encoder: 48 on PyTorch bfloat16, "
        "24 on ONNX int8, 16 on int8 where the CPU has no VNNI (`batch_max_for`)",
    )
    classifier_batch_wait_ms: int = Field(
        default=20, ge=1, description="Longest wait to fill a batch before classifying it"
    )
    classifier_reload_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How often (at most) the service re-reads the organisation model pointers "
        "between batches, so a newly activated corrections model applies without a restart; "
        "0 = never",
    )

    def batch_max(self) -> int:
        """The batch size the service runs: the setting, else the encoder's default."""
        from services.classifier.models.encoder import encoder_backend

        return self.classifier_batch_max or batch_max_for(encoder_backend(self.classifier_encoder))


# Per encoder, the largest batch whose p99 latency stays under 250 ms on 2 cores without
# giving up tweets/s (docs/BENCHMARKS.md, "Classifier: service batch size"):
# - bfloat16 (AMX CPU): 48 ran at about the tweets/s of 64 with p99 121-189 ms against 197-224;
# - int8: 48, 32 and 24 ran at 283, 292 and 277 tweets/s on a CPU without AMX, p99 337, 246
#   and 177 ms (a second sweep: 32 and 24 at 297 and 294 tweets/s, p99 216 and 156 ms); on an
#   AMX CPU 356, 330 and 328 tweets/s, p99 264, 193 and 152 ms.
# - int8 on a CPU without VNNI (AVX2-only AMD EPYC, exact int8 kernels): 24, 16 and 12 ran at
#   230, 217 and 207 tweets/s, p99 223, 160 and 115 ms; `make bench-classifier` measured a
#   p99 of 223 and 253 ms for 24 in two runs, so 16 there (and on AVX-512 CPUs without VNNI,
#   which use the same exact kernels; none was measured).
BATCH_MAX = {"torch": 48, "onnx": 24}
ONNX_BATCH_MAX_WITHOUT_VNNI = 16


def batch_max_for(backend: str) -> int:
    """The default most mentions per batch for an encoder backend (`torch` or `onnx`) on
    this CPU."""
    from services.classifier.models.encoder import cpu_int8_products_saturate

    if backend == "onnx" and cpu_int8_products_saturate():
        return ONNX_BATCH_MAX_WITHOUT_VNNI
    return BATCH_MAX[backend]

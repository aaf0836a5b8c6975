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
    # 48 rather than 64: about the same tweets/s, p99 batch latency 121-189 ms against
    # 197-224 ms on 2 cores (docs/BENCHMARKS.md, "Classifier: service batch size").
    classifier_batch_max: int = Field(default=48, ge=1, description="Most mentions per batch")
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

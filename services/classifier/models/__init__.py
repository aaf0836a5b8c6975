"""Classifier models: the input type, the `Classifier` protocol and `load_classifier`.

Backends:
- `default`: the artifact shipped in `services/classifier/artifacts/` (named by
  `artifacts/default-<encoder backend>.txt` where there is one, else `artifacts/default.txt`);
  falls back to the VADER baseline when no artifact is shipped;
- `vader`: VADER sentiment + lexicon abuse (the published baseline);
- anything else: a Hugging Face sequence-classification model name or local path.
All of them share language identification, spam heuristics and urgency (`pipeline.py`).
Heavy libraries (onnxruntime, torch, transformers) are imported only when a backend needs them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from schemas.mention import Classification

log = logging.getLogger(__name__)

ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "artifacts"
# Replicas a batch job starts at most (`batch_workers`): measured on 2 cores only; each holds
# its own encoder session (~60 MB of int8 weights).
MAX_BATCH_WORKERS = 4
DEFAULT_THREADS = 8  # a batch job's threads unless told (the encoders' own cap)


@dataclass(frozen=True)
class ClassifierInput:
    id: str
    text: str
    lang_hint: str | None = None
    author_followers: int | None = None
    brand: str | None = None
    source: str | None = None
    brand_urgent_keywords: tuple[str, ...] = ()
    thread_recent_mentions: int | None = None  # mentions in the same conversation, last hour


@runtime_checkable
class Classifier(Protocol):
    model_version: str

    def classify(self, items: Sequence[ClassifierInput]) -> list[Classification]: ...

    def warm_up(self) -> None:
        """Load lazily loaded parts now (language models, hashers), before serving."""

    def reload_organisations(self) -> bool:
        """Pick up organisation models activated or replaced since the last call (True if
        any changed). Call between batches."""


def default_artifact_dir(backend: str | None = None) -> Path | None:
    """The shipped artifact folder for an encoder backend (None: this machine's, see
    `encoder_backend`), or None when the repo ships none yet. `default-<backend>.txt` names
    the artifact whose heads were fitted on that backend's embeddings, where there is one;
    `default.txt` names the default for every other backend."""
    from services.classifier.models.encoder import encoder_backend

    for name in (f"default-{encoder_backend(backend)}.txt", "default.txt"):
        pointer = ARTIFACTS_DIR / name
        if pointer.is_file():
            path = ARTIFACTS_DIR / pointer.read_text(encoding="utf-8").strip()
            return path if (path / "heads.npz").is_file() else None
    return None


def artifact_dir(spec: str) -> Path:
    """`default`, a version name under the artifacts folder, or a folder path."""
    path = default_artifact_dir() if spec == "default" else Path(spec)
    if path is not None and not (path / "heads.npz").is_file():
        path = ARTIFACTS_DIR / spec
    if path is None or not (path / "heads.npz").is_file():
        raise FileNotFoundError(f"no classifier artifact {spec!r}")
    return path


def load_classifier(
    spec: str | None = None, *, threads: int | None = None, encoder: str | None = None
) -> Classifier:
    """spec None/'default' = the shipped artifact; 'vader' = the published VADER baseline; an
    artifact folder, or the version name of one in the artifacts folder (e.g.
    'minilm-l6-lora-v4'; looked up as `artifact_dir` does: a folder path first); any other
    string = a Hugging Face model name or local path loaded with transformers
    AutoModelForSequenceClassification (label mapping from its config id2label). Organisation
    models (activated corrections) apply on top of the shipped artifact they were trained on,
    by any of its names."""
    from services.classifier.models.pipeline import PipelineClassifier

    name = (spec or "default").strip()
    if name.lower() == "vader":
        from services.classifier.models.vader import VADER_VERSION, VaderScorer

        return PipelineClassifier(VaderScorer(), model_version=VADER_VERSION)
    artifact = _artifact_for(name, encoder)
    if artifact is not None or name.lower() == "default":
        if artifact is None:
            log.warning("no shipped classifier artifact; using the VADER baseline")
            return load_classifier("vader", threads=threads)
        try:
            from services.classifier.models.artifact import ArtifactScorer, organisation_artifacts

            # Organisation models apply on top of a shipped base whose encoder they share
            # (ArtifactScorer skips the others with a warning), not on arbitrary folders.
            shipped = artifact.resolve().parent == ARTIFACTS_DIR.resolve()
            scoped = organisation_artifacts(ARTIFACTS_DIR) if shipped else []
            scorer = ArtifactScorer(
                artifact,
                threads=threads,
                scoped=scoped,
                backend=encoder,
                organisations_dir=ARTIFACTS_DIR if shipped else None,
            )
        except ImportError as exc:
            if name.lower() != "default":
                raise
            # A base install without the `classifier` extra still classifies, visibly
            # degraded: the model_version on every event says which model ran.
            log.error("cannot load the shipped model (%s); using the VADER baseline", exc)
            return load_classifier("vader", threads=threads)
        return PipelineClassifier(scorer, model_version=scorer.model_version)
    from services.classifier.models.hf import HuggingFaceScorer

    hf = HuggingFaceScorer(name, threads=threads)
    return PipelineClassifier(hf, model_version=hf.model_version)


def _artifact_for(name: str, encoder: str | None) -> Path | None:
    """The artifact folder `name` loads (`default`: the shipped one for the encoder), or None
    when it names none (then it is VADER or a Hugging Face model)."""
    if name.lower() == "default":
        return default_artifact_dir(encoder)
    try:
        return artifact_dir(name)
    except FileNotFoundError:
        return None


def usable_cores() -> int:
    """CPU cores this process may use: the fewest of the machine's cores, its affinity mask
    and a container's CPU quota (cgroup v1 or v2; a pod limited to 2 CPUs on a 32-core node
    gets 2), as joblib computes it for its worker pools (~0.15 s to import; joblib comes
    with scikit-learn in the `classifier` extra). Without joblib: the affinity mask."""
    try:
        import joblib
    except ImportError:
        if hasattr(os, "sched_getaffinity"):
            return len(os.sched_getaffinity(0))
        return os.cpu_count() or 1
    return max(1, int(joblib.cpu_count()))


def batch_workers(spec: str | None = None, encoder: str | None = None) -> int:
    """How many replicas of a classifier a batch job (`earshot classify`) may run side by
    side, each on its share of the threads (`replica_plan`).

    An artifact on the int8 ONNX encoder: `MAX_BATCH_WORKERS`. ONNX Runtime spreads one
    batch of a few hundred tweets over two threads with some loss, and replicas on
    alternate batches also overlap each other's work outside the encoder (language
    identification, n-grams, heads, urgency, JSON): on the 2-core benchmark machine 2
    replicas of 1 thread ran the whole command 16% faster than 1 replica of 2 threads
    (median of 8 alternating pairs; docs/classifier.md, "Replicas in `earshot classify`"),
    with byte-identical output.
    Anything else: 1. VADER is pure Python (the interpreter lock serialises it) and a
    Hugging Face model's memory is unknown; the bfloat16 backend on an AMX CPU gained nothing
    from two single-thread worker processes (docs/classifier.md, "Start-up"), and its PyTorch
    thread count is process-wide; without onnxruntime the artifact falls back to VADER."""
    import importlib.util

    from services.classifier.models.encoder import encoder_backend

    name = (spec or "default").strip()
    if name.lower() == "vader" or _artifact_for(name, encoder) is None:
        return 1
    if encoder_backend(encoder) != "onnx" or importlib.util.find_spec("onnxruntime") is None:
        return 1
    return MAX_BATCH_WORKERS


def replica_plan(
    spec: str | None = None,
    *,
    threads: int | None = None,
    workers: int | None = None,
    encoder: str | None = None,
) -> tuple[int, int]:
    """(replicas, threads each) for a batch job: `threads` in all (default: the usable
    cores, at most `DEFAULT_THREADS`), shared out among `workers` replicas (default: one
    per thread, up to `batch_workers`)."""
    total = threads or min(usable_cores(), DEFAULT_THREADS)
    count = workers or max(1, min(batch_workers(spec, encoder), total))
    return count, max(1, total // count)


__all__ = [
    "Classifier",
    "ClassifierInput",
    "artifact_dir",
    "batch_workers",
    "load_classifier",
    "replica_plan",
    "usable_cores",
]

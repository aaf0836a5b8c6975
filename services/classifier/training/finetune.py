"""`earshot train --csv`: brand-specific sentiment from a user's labelled file.

A new sentiment head is fitted on the embeddings of the user's rows and blended with the base
artifact's head; the blend weight and the temperature are chosen on a seeded, held-back 20%
of the file, and the lift over the base head on that slice is recorded in the artifact.
Offensive and hate heads are kept from the base.
"""

from __future__ import annotations

import sys
from pathlib import Path

from services.classifier.models import ARTIFACTS_DIR, default_artifact_dir
from services.classifier.models.artifact import load_heads
from services.classifier.models.encoder import OnnxEncoder
from services.classifier.models.heads import TaskHead, log_softmax, macro_f1, make_hasher
from services.classifier.training.data import read_labelled_file
from services.classifier.training.features import embed
from services.classifier.training.fit import _softmax_lr, fit_temperature
from services.classifier.training.run import SENTIMENT, _say, _seed_everything, write_artifact

MIN_ROWS = 20


def blend(base: TaskHead, user_w: object, user_b: object, beta: float) -> TaskHead:
    """One head whose log-probs are beta * base + (1 - beta) * user (up to row constants).

    base log-probs = (alpha * Le + (1 - alpha) * Ln) / T, so the blend is linear in the
    weights: the embedding part gets beta * alpha / T * We + (1 - beta) * Wu and the n-gram
    part beta * (1 - alpha) / T * Wn. With n-grams the new head uses alpha = 0.5, so both
    parts are doubled to undo the halving.
    """
    import numpy as np

    t = base.temperature
    emb_w = beta * base.alpha / t * base.emb_w + (1 - beta) * np.asarray(user_w)
    emb_b = beta * base.alpha / t * base.emb_b + (1 - beta) * np.asarray(user_b)
    if base.ngram_w is None or base.ngram_b is None:
        return TaskHead(SENTIMENT, emb_w.astype(np.float32), emb_b.astype(np.float32), None, None)
    ng_w = beta * (1 - base.alpha) / t * base.ngram_w
    ng_b = beta * (1 - base.alpha) / t * base.ngram_b
    return TaskHead(
        SENTIMENT,
        (2 * emb_w).astype(np.float32),
        (2 * emb_b).astype(np.float32),
        (2 * ng_w).astype(np.float32),
        (2 * ng_b).astype(np.float32),
        alpha=0.5,
    )


def train_from_csv(
    file: Path,
    *,
    base: str = "default",
    out: Path | None = None,
    version: str | None = None,
    seed: int = 13,
    threads: int | None = None,
) -> Path:
    import numpy as np

    _seed_everything(seed)
    base_dir = default_artifact_dir() if base == "default" else Path(base)
    if base_dir is None:
        raise SystemExit("no base artifact to start from; train with --data first")
    base_config, base_heads = load_heads(base_dir)
    split = read_labelled_file(file)
    if len(split) < MIN_ROWS:
        raise SystemExit(f"{file}: need at least {MIN_ROWS} labelled rows, got {len(split)}")
    order = np.random.default_rng(seed).permutation(len(split))
    cut = max(1, len(split) // 5)
    held, kept = order[:cut], order[cut:]
    y = np.asarray(split.labels)
    present = sorted(set(y[kept].tolist()))
    if len(present) < 2:
        raise SystemExit("the training part of the file needs at least two distinct labels")

    emb = embed(split.texts, OnnxEncoder(threads=threads))
    ngrams = make_hasher(base_config.get("ngram")).transform(split.texts)  # type: ignore[arg-type]
    w, b = _softmax_lr(emb[kept], y[kept], 1.0, 3, seed)
    if w.shape[1] != 3:  # a sentiment missing from the file: give it a very low score
        full_w, full_b = np.zeros((w.shape[0], 3), np.float32), np.full(3, -10.0, np.float32)
        full_w[:, present], full_b[present] = w, b
        w, b = full_w, full_b

    base_head = base_heads["sentiment"]
    lp_base = np.log(np.clip(base_head.probs(emb[held], ngrams[held]), 1e-12, None))
    lp_user = log_softmax(emb[held] @ w + b)
    base_score = macro_f1(y[held], lp_base.argmax(axis=1), 3)
    best_beta, best = 1.0, base_score  # never worse than the base on the held-back slice
    for beta in np.round(np.linspace(0.0, 1.0, 11), 2):
        score = macro_f1(y[held], (beta * lp_base + (1 - beta) * lp_user).argmax(axis=1), 3)
        if score > best + 1e-9:
            best_beta, best = float(beta), score
    _say(f"held-back macro-F1: base {base_score:.4f} -> tuned {best:.4f} (beta={best_beta})")

    head = blend(base_head, w, b, best_beta)
    lp_e, lp_n = head.component_logprobs(emb[held], ngrams[held])
    head.temperature = fit_temperature(
        lp_e if lp_n is None else head.alpha * lp_e + (1 - head.alpha) * lp_n, y[held]
    )
    version = version or f"{base_config['version']}+{Path(file).stem}"
    metrics = dict(base_config.get("val_metrics", {}))  # type: ignore[call-overload]
    metrics["user_holdout"] = {"base_macro_f1": round(base_score, 4), "macro_f1": round(best, 4)}
    return write_artifact(
        out or ARTIFACTS_DIR / version.replace("+", "_"),
        version=version,
        heads=dict(base_heads, sentiment=head),
        metrics=metrics,
        choices={"user": {"beta": best_beta, "rows": len(split), "held_back": int(cut)}},
        extra={
            "seed": seed,
            "base": base_config["version"],
            "data": str(file),
            "command": " ".join(sys.argv),
        },
    )

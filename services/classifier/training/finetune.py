"""`earshot train --csv`: brand-specific sentiment from a user's labelled file.

A new sentiment head is fitted on the embeddings of the user's rows and blended with the base
artifact's head; the blend weight and the temperature are chosen on a seeded, held-back 20%
of the file, and the lift over the base head on that slice is recorded in the artifact.
Offensive and hate heads are kept from the base.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from services.classifier.models import ARTIFACTS_DIR, default_artifact_dir
from services.classifier.models.artifact import encoder_adapter, encoder_layers, load_heads
from services.classifier.models.encoder import Encoder, make_encoder
from services.classifier.models.heads import TaskHead, log_softmax, macro_f1, make_hasher
from services.classifier.training.data import Split, read_labelled_file
from services.classifier.training.features import embed
from services.classifier.training.fit import _softmax_lr, all_labels, fit_temperature
from services.classifier.training.run import _say, _seed_everything, write_artifact

if TYPE_CHECKING:
    import numpy as np

MIN_ROWS = 20


def blend(base: TaskHead, user_w: object, user_b: object, beta: float) -> TaskHead:
    """One head whose log-probs are beta * base + (1 - beta) * user (up to row constants).

    base log-probs = (alpha * Le + (1 - alpha) * Ln) / T, so the blend is linear in the
    weights: the embedding part gets beta * alpha / T * We + (1 - beta) * Wu and the n-gram
    part beta * (1 - alpha) / T * Wn. With n-grams the new head uses alpha = 0.5, so both
    parts are doubled to undo the halving.

    The base's per-language specialists carry over. In the base they get weight w before the
    temperature, i.e. w / T of the final log-probs; in the blend that share is beta * w / T,
    which becomes the new head's specialist weight. (Exact for the specialist part; the rest
    of a specialist row keeps the base : user ratio up to the factor (1 - w') / (1 - w).)
    """
    import numpy as np

    t = base.temperature
    kept = {
        "specialists": base.specialists,
        "specialist_weight": min(1.0, beta * base.specialist_weight / t),
    }
    emb_w = beta * base.alpha / t * base.emb_w + (1 - beta) * np.asarray(user_w)
    emb_b = beta * base.alpha / t * base.emb_b + (1 - beta) * np.asarray(user_b)
    if base.ngram_w is None or base.ngram_b is None:
        return TaskHead(
            base.labels, emb_w.astype(np.float32), emb_b.astype(np.float32), None, None, **kept
        )
    ng_w = beta * (1 - base.alpha) / t * base.ngram_w
    ng_b = beta * (1 - base.alpha) / t * base.ngram_b
    return TaskHead(
        base.labels,
        (2 * emb_w).astype(np.float32),
        (2 * emb_b).astype(np.float32),
        (2 * ng_w).astype(np.float32),
        (2 * ng_b).astype(np.float32),
        alpha=0.5,
        **kept,
    )


@dataclass(frozen=True)
class Tuned:
    """A base head tuned on a user's rows, and how it did on the held-back slice."""

    head: TaskHead
    base_macro_f1: float
    macro_f1: float
    beta: float  # weight of the base head in the blend; 1.0 = the base head unchanged
    rows: int
    held_back: int

    def report(self) -> dict[str, float | int]:
        return {
            "base_macro_f1": round(self.base_macro_f1, 4),
            "macro_f1": round(self.macro_f1, 4),
            "beta": self.beta,
            "rows": self.rows,
            "held_back": self.held_back,
        }


def tune_head(
    base_head: TaskHead,
    emb: np.ndarray,
    ngrams: Any,
    labels: Sequence[int],
    seed: int,
    *,
    texts: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
) -> Tuned:
    """Fit a head on a seeded 80% of the rows, blend it with the base head, and pick the blend
    weight and the temperature on the held-back 20%: never worse than the base there. With the
    rows' `texts` and `languages` the base (and the tuned head) are scored as in service: the
    English / other-language blend and the per-language specialists apply."""
    import numpy as np

    y = np.asarray(labels)
    k = len(base_head.labels)
    order = np.random.default_rng(seed).permutation(len(y))
    cut = max(1, len(y) // 5)
    held, kept = order[:cut], order[cut:]
    present = sorted(set(y[kept].tolist()))
    if len(present) < 2:
        raise ValueError("the training part needs at least two distinct labels")
    w, b = all_labels(*_softmax_lr(emb[kept], y[kept], 1.0, k, seed), present, k)

    held_texts = None if texts is None else [texts[i] for i in held]
    held_langs = None if languages is None else [languages[i] for i in held]
    english = None if held_langs is None else np.isin(held_langs, ["en", "und"])
    base_probs = base_head.probs(
        emb[held], ngrams[held], english, texts=held_texts, languages=held_langs
    )
    lp_base = np.log(np.clip(base_probs, 1e-12, None))
    lp_user = log_softmax(emb[held] @ w + b)
    base_score = macro_f1(y[held], lp_base.argmax(axis=1), k)
    best_beta, best = 1.0, base_score
    for beta in np.round(np.linspace(0.0, 1.0, 11), 2):
        score = macro_f1(y[held], (beta * lp_base + (1 - beta) * lp_user).argmax(axis=1), k)
        if score > best + 1e-9:
            best_beta, best = float(beta), score
    if best_beta == 1.0:
        head = base_head
    else:
        head = blend(base_head, w, b, best_beta)
        z = head.blend(*head.component_logprobs(emb[held], ngrams[held]), english)
        z = head.with_specialists(z, held_texts, held_langs)
        head.temperature = fit_temperature(z, y[held])
    return Tuned(head, base_score, best, best_beta, len(y), int(cut))


def tune_on_split(
    base_head: TaskHead, split: Split, encoder: Encoder, hasher: Any, seed: int
) -> Tuned:
    """`tune_head` on labelled rows, embedded, hashed and language-tagged as in service."""
    return tune_head(
        base_head,
        embed(split.texts, encoder),
        hasher.transform(split.texts),
        split.labels,
        seed,
        texts=split.texts,
        languages=detect_languages(split.texts),
    )


def detect_languages(texts: Sequence[str]) -> list[str]:
    """Each text's language code as the service would name it without a platform hint."""
    identified = _language_identifier().identify(texts, [None] * len(texts))
    return [lang.code for lang in identified]


@cache
def _language_identifier() -> Any:
    """One identifier per process: its detectors take seconds to build."""
    from services.classifier.models.language import LanguageIdentifier

    return LanguageIdentifier()


class Base(NamedTuple):
    """The artifact a brand or organisation model starts from, and the encoder it reads."""

    path: Path
    config: dict[str, Any]
    heads: dict[str, TaskHead]
    encoder: Encoder

    @classmethod
    def load(cls, base: str, threads: int | None) -> Base:
        path = default_artifact_dir() if base == "default" else Path(base)
        if path is None:
            raise SystemExit("no base artifact to start from; train with --data first")
        config, heads = load_heads(path)
        encoder = make_encoder(
            threads=threads,
            layers=encoder_layers(config),
            adapter=encoder_adapter(path, config),
        )
        return cls(path, config, heads, encoder)

    @property
    def adapter(self) -> Any:
        return self.config["encoder"].get("adapter")


def train_from_csv(
    file: Path,
    *,
    base: str = "default",
    out: Path | None = None,
    version: str | None = None,
    seed: int = 13,
    threads: int | None = None,
) -> Path:
    _seed_everything(seed)
    split = read_labelled_file(file)
    if len(split) < MIN_ROWS:
        raise SystemExit(f"{file}: need at least {MIN_ROWS} labelled rows, got {len(split)}")
    base_dir, base_config, base_heads, encoder = start = Base.load(base, threads)
    hasher = make_hasher(base_config.get("ngram"))  # type: ignore[arg-type]
    try:
        tuned = tune_on_split(base_heads["sentiment"], split, encoder, hasher, seed)
    except ValueError as exc:
        raise SystemExit(f"{file}: {exc}") from None
    _say(
        f"held-back macro-F1: base {tuned.base_macro_f1:.4f} -> tuned {tuned.macro_f1:.4f} "
        f"(beta={tuned.beta})"
    )
    head, best_beta, cut = tuned.head, tuned.beta, tuned.held_back
    base_score, best = tuned.base_macro_f1, tuned.macro_f1
    version = version or f"{base_config['version']}+{Path(file).stem}"
    metrics = dict(base_config.get("val_metrics", {}))  # type: ignore[call-overload]
    metrics["user_holdout"] = {"base_macro_f1": round(base_score, 4), "macro_f1": round(best, 4)}
    return write_artifact(
        out or ARTIFACTS_DIR / version.replace("+", "_"),
        version=version,
        encoder=encoder,
        adapter=start.adapter,
        adapter_from=base_dir,
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

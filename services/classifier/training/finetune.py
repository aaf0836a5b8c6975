"""`earshot train --csv`: brand-specific sentiment from a user's labelled file.

A new sentiment head is fitted on the embeddings of the user's rows and blended with the base
artifact's head; the blend weight and the temperature are chosen on a seeded, held-back 20%
of the file, and the lift over the base head on that slice is recorded in the artifact.
Offensive and hate heads are kept from the base.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from services.classifier.models import ARTIFACTS_DIR, default_artifact_dir
from services.classifier.models.artifact import encoder_adapter, encoder_layers, load_heads
from services.classifier.models.encoder import Encoder, make_encoder
from services.classifier.models.heads import (
    TaskHead,
    TunedStage,
    macro_f1,
    make_hasher,
)
from services.classifier.training.data import Split, read_labelled_file
from services.classifier.training.features import embed
from services.classifier.training.fit import _softmax_lr, all_labels, fit_temperature
from services.classifier.training.run import _say, _seed_everything, write_artifact

if TYPE_CHECKING:
    import numpy as np

MIN_ROWS = 20


# A language joins a tuned stage's scope with at least this many training rows in it.
MIN_LANGUAGE_ROWS = 5


def stage_languages(languages: Sequence[str]) -> tuple[str, ...]:
    """The languages a head learnt from rows in these languages may judge: each with at least
    MIN_LANGUAGE_ROWS rows (or all of them, when none has that many), and 'und' with English,
    since texts with no detectable language are scored as English."""
    from collections import Counter

    counts = Counter(languages)
    chosen = {lang for lang, n in counts.items() if n >= MIN_LANGUAGE_ROWS} or set(counts)
    if "en" in chosen:
        chosen.add("und")
    return tuple(sorted(chosen))


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
    English / other-language blend and the per-language specialists apply, and the new stage
    applies only to the languages the training rows were in (`stage_languages`)."""
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
    scope = None if languages is None else stage_languages([languages[i] for i in kept])
    stage = TunedStage(np.asarray(w, np.float64), np.asarray(b, np.float64), 1.0, 1.0, scope)

    held_texts = None if texts is None else [texts[i] for i in held]
    held_langs = None if languages is None else [languages[i] for i in held]
    english = None if held_langs is None else np.isin(held_langs, ["en", "und"])
    base_probs = base_head.probs(
        emb[held], ngrams[held], english, texts=held_texts, languages=held_langs
    )
    lp_base = np.log(np.clip(base_probs, 1e-12, None))
    rows = stage.rows(len(held), held_langs)  # held rows the stage would change

    def mixed(beta: float) -> np.ndarray:
        """The held rows' log-probs with the stage at this beta, before its temperature."""
        return dataclasses.replace(stage, beta=beta).apply(lp_base, emb[held], held_langs)

    base_score = macro_f1(y[held], lp_base.argmax(axis=1), k)
    best_beta, best = 1.0, base_score
    for beta in np.round(np.linspace(0.0, 1.0, 11), 2):
        score = macro_f1(y[held], mixed(float(beta)).argmax(axis=1), k)
        if score > best + 1e-9:
            best_beta, best = float(beta), score
    if best_beta == 1.0:
        head = base_head
    else:
        stage.beta = best_beta
        # The blend scored above (the base as in service, and the user head), calibrated on
        # the held rows it changes.
        stage.temperature = fit_temperature(mixed(best_beta)[rows], y[held][rows])
        head = dataclasses.replace(base_head, tuned=[*base_head.tuned, stage])
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

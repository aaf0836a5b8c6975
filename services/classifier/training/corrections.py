"""`earshot train --corrections`: an organisation's heads tuned on its responders' corrections.

Responders correct labels on mentions (`POST /v1/mentions/{id}/corrections`, stored in
`label_corrections`). This reads the latest correction per mention and field for one
organisation's brands and turns them into training rows:

- `sentiment` corrections tune the sentiment head (negative / neutral / positive);
- `abuse` corrections tune the offensive head: `abuse` is offensive, `none` is not; `spam`
  rows are left out (spam is scored by transparent rules, and spam is not abusive language);
- `urgency` corrections are counted but not learnt: urgency is a deterministic points table
  (`models/urgency.py`), tuned per brand through its thresholds and urgent keywords.

Each head is tuned as in `--csv` (a head fitted on 80% of the rows, blended with the base
head; blend weight chosen on the held-back 20%, never worse than the base there), and the
lift on that held-back slice is reported. The new version is then scored on the shared val
splits next to its base, and it is activated for the organisation's brands
(`artifacts/organisations/<organisation>.txt`) only when no headline val metric is worse.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.classifier.models import ARTIFACTS_DIR
from services.classifier.training.data import Split
from services.classifier.training.run import SENTIMENT

MIN_ROWS_PER_TASK = 20
ORGANISATIONS_DIR = "organisations"  # activation pointers, one file per organisation
# The headline val metrics a corrections model must not make worse.
GUARDED_METRICS = (
    ("sentiment", "tweeteval_macro_recall"),
    ("sentiment", "umsab_macro_f1"),
    ("offensive", "macro_f1"),
    ("hate", "macro_f1"),
)
ABUSE_TO_OFFENSIVE = {"abuse": 1, "none": 0}

CORRECTIONS_SQL = """
SELECT DISTINCT ON (l.mention_id, l.field) m.text, m.brand, l.field, l.value
  FROM label_corrections l
  JOIN mentions m ON m.id = l.mention_id
  JOIN brands b ON b.id = m.brand
 WHERE b.organisation_id = $1
 ORDER BY l.mention_id, l.field, l.id DESC
"""
BRANDS_SQL = "SELECT id FROM brands WHERE organisation_id = $1 ORDER BY id"


@dataclass(frozen=True)
class CorrectionRow:
    text: str
    brand: str
    field: str  # sentiment | abuse | urgency
    value: str


@dataclass
class CorrectionSplits:
    sentiment: Split = field(default_factory=Split)
    offensive: Split = field(default_factory=Split)
    not_learnt: dict[str, int] = field(default_factory=dict)  # field/value -> rows

    def by_task(self) -> dict[str, Split]:
        return {"sentiment": self.sentiment, "offensive": self.offensive}


def corrections_to_splits(rows: Sequence[CorrectionRow]) -> CorrectionSplits:
    """Training rows per head from corrections (pure; see the module docstring for mapping)."""
    out = CorrectionSplits()
    seen: set[tuple[str, str]] = set()
    for row in rows:
        text = row.text.strip()
        if not text or (row.field, text) in seen:  # the same text corrected twice counts once
            continue
        seen.add((row.field, text))
        if row.field == "sentiment" and row.value in SENTIMENT:
            out.sentiment.texts.append(text)
            out.sentiment.labels.append(SENTIMENT.index(row.value))
            out.sentiment.groups.append(row.brand)
        elif row.field == "abuse" and row.value in ABUSE_TO_OFFENSIVE:
            out.offensive.texts.append(text)
            out.offensive.labels.append(ABUSE_TO_OFFENSIVE[row.value])
            out.offensive.groups.append(row.brand)
        else:
            key = f"{row.field}/{row.value}"
            out.not_learnt[key] = out.not_learnt.get(key, 0) + 1
    return out


def no_worse(
    base: dict[str, dict[str, float]], new: dict[str, dict[str, float]], tolerance: float = 0.0
) -> tuple[bool, list[str]]:
    """The activation gate (pure): every guarded val metric of `new` >= base - tolerance."""
    worse = []
    for task, metric in GUARDED_METRICS:
        if metric not in base.get(task, {}):
            continue
        was, now = base[task][metric], new.get(task, {}).get(metric)
        if now is None:
            worse.append(f"{task} {metric}: missing (base {was:.4f})")
        elif now < was - tolerance - 1e-9:
            worse.append(f"{task} {metric}: {now:.4f} < {was:.4f}")
    return not worse, worse


def slug(organisation: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", organisation.lower()).strip("-") or "org"


async def fetch_corrections(dsn: str, organisation: str) -> tuple[list[CorrectionRow], list[str]]:
    """The organisation's latest correction per mention and field, and its brands."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(CORRECTIONS_SQL, organisation)
        brands = [r["id"] for r in await conn.fetch(BRANDS_SQL, organisation)]
    finally:
        await conn.close()
    return [CorrectionRow(r["text"], r["brand"], r["field"], r["value"]) for r in rows], brands


def database_dsn() -> str:
    """EARSHOT_DATABASE_URL, else the embedded PostgreSQL of `earshot run` (started if needed)."""
    from services.shared.db.embedded import start_embedded_postgres
    from services.shared.settings import EarshotSettings

    settings = EarshotSettings()
    if settings.database_url:
        return settings.database_url
    return start_embedded_postgres(settings.data_dir / "postgres")


@dataclass(frozen=True)
class CorrectionsOutcome:
    path: Path
    version: str
    activated: bool
    holdout: dict[str, dict[str, float | int]]
    val_base: dict[str, dict[str, float]]
    val_new: dict[str, dict[str, float]]
    worse: list[str]


def val_metrics(
    head_sets: Sequence[dict[str, Any]], data: Path, encoder: Any, hasher: Any
) -> list[dict[str, Any]]:
    """Headline metrics of each set of heads on the shared val splits (read and featurised
    once for all of them)."""
    import numpy as np

    from services.classifier.training.data import load_shared
    from services.classifier.training.features import embed
    from services.classifier.training.run import binary_metrics, sentiment_metrics

    shared = load_shared(data)
    out: list[dict[str, Any]] = [{} for _ in head_sets]
    for task in ("sentiment", "offensive", "hate"):
        split = getattr(shared, f"{task}_val")
        emb, ngrams = embed(split.texts, encoder), hasher.transform(split.texts)
        english = (
            np.isin(np.asarray(split.groups), ["tweeteval", "english"])
            if task == "sentiment"
            else None
        )
        for heads, metrics in zip(head_sets, out, strict=True):
            probs = heads[task].probs(
                emb, ngrams, english, texts=split.texts, languages=split.languages()
            )
            metrics[task] = (
                sentiment_metrics(split, probs)
                if task == "sentiment"
                else binary_metrics(split.labels, probs)
            )
    return out


def train_from_corrections(
    rows: Sequence[CorrectionRow],
    *,
    organisation: str,
    brands: Sequence[str],
    data: Path,
    base: str = "default",
    out: Path | None = None,
    version: str | None = None,
    seed: int = 13,
    threads: int | None = None,
    activate: bool = True,
    tolerance: float = 0.0,
    artifacts_dir: Path = ARTIFACTS_DIR,
) -> CorrectionsOutcome:
    from services.classifier.models.heads import make_hasher
    from services.classifier.training.finetune import Base, tune_on_split
    from services.classifier.training.run import _say, _seed_everything, write_artifact

    _seed_everything(seed)
    base_dir, base_config, base_heads, encoder = start = Base.load(base, threads)
    splits = corrections_to_splits(rows)
    hasher = make_hasher(base_config.get("ngram"))  # type: ignore[arg-type]

    heads = dict(base_heads)
    holdout: dict[str, dict[str, float | int]] = {}
    for task, split in splits.by_task().items():
        if len(split) < MIN_ROWS_PER_TASK or len(set(split.labels)) < 2:
            _say(
                f"{task}: {len(split)} corrections, need {MIN_ROWS_PER_TASK} with two labels; "
                "head kept"
            )
            continue
        try:
            tuned = tune_on_split(base_heads[task], split, encoder, hasher, seed)
        except ValueError as exc:
            _say(f"{task}: {exc}; head kept")
            continue
        heads[task] = tuned.head
        holdout[task] = tuned.report()
        _say(
            f"{task}: {len(split)} corrections, held-back macro-F1 base "
            f"{tuned.base_macro_f1:.4f} -> tuned {tuned.macro_f1:.4f} (beta={tuned.beta})"
        )
    if not holdout:
        raise SystemExit(
            f"not enough corrections for {organisation!r} to tune any head "
            f"(sentiment {len(splits.sentiment)}, abuse {len(splits.offensive)}; "
            f"{MIN_ROWS_PER_TASK} per head needed)"
        )

    _say("scoring base and tuned heads on the shared val splits")
    val_base, val_new = val_metrics([base_heads, heads], data, encoder, hasher)
    ok, worse = no_worse(val_base, val_new, tolerance)
    org = slug(organisation)
    version = version or f"{base_config['version']}+{org}-{datetime.now(UTC):%Y%m%d%H%M}"
    path = write_artifact(
        out or artifacts_dir / version.replace("+", "_"),
        version=version,
        encoder=encoder,
        adapter=start.adapter,
        adapter_from=base_dir,
        heads=heads,
        metrics=val_new,
        choices={task: {"beta": h["beta"]} for task, h in holdout.items()},
        extra={
            "seed": seed,
            "base": base_config["version"],
            "data": str(data),
            "scope": {"organisation": organisation, "brands": list(brands)},
            "corrections": {
                "sentiment": len(splits.sentiment),
                "abuse": len(splits.offensive),
                "not_learnt": splits.not_learnt,
            },
            "corrections_holdout": holdout,
            "val_base": val_base,
            "activation": {"activated": ok and activate, "worse_than_base": worse},
            "command": " ".join(sys.argv),
        },
    )
    if ok and activate:
        pointer = artifacts_dir / ORGANISATIONS_DIR / f"{org}.txt"
        pointer.parent.mkdir(parents=True, exist_ok=True)
        pointer.write_text(path.name + "\n", encoding="utf-8")
        _say(f"activated {version} for {organisation} ({len(brands)} brands)")
    elif not ok:
        _say(f"not activated: worse than {base_config['version']} on val: {'; '.join(worse)}")
    return CorrectionsOutcome(path, version, ok and activate, holdout, val_base, val_new, worse)


def train_from_database(organisation: str, **kwargs: Any) -> CorrectionsOutcome:
    rows, brands = asyncio.run(fetch_corrections(database_dsn(), organisation))
    if not brands:
        raise SystemExit(f"organisation {organisation!r} has no brands")
    return train_from_corrections(rows, organisation=organisation, brands=brands, **kwargs)

"""`earshot train --corrections` on real PostgreSQL: an organisation's responders correct
labels; the latest correction per mention counts; the tuned version is scored on val next to
its base, activated for that organisation's brands only, and stamps its own model version."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.classifier.models import ClassifierInput, default_artifact_dir
from services.classifier.training.corrections import (
    fetch_corrections,
    train_from_corrections,
)
from services.classifier.training.data import XLMT_LANGUAGES

pytestmark = pytest.mark.postgres
pytest.importorskip("onnxruntime")
pytest.importorskip("sklearn")

SENTIMENT_ROWS = [
    ("the new drill is fantastic, love it", "positive"),
    ("support fixed my order in minutes, great job", "positive"),
    ("best toolkit I have bought, thanks", "positive"),
    ("delivery arrived early, very happy", "positive"),
    ("the drill broke after two days, awful", "negative"),
    ("still waiting for my refund, terrible service", "negative"),
    ("charged me twice and nobody answers", "negative"),
    ("the app keeps crashing, so annoying", "negative"),
    ("the store opens at 9 tomorrow", "neutral"),
    ("does the drill come with a battery?", "neutral"),
    ("a new catalogue came out today", "neutral"),
    ("where is the nearest shop?", "neutral"),
]
ABUSE_ROWS = [
    ("you are all useless idiots", "abuse"),
    ("shut up you stupid clowns", "abuse"),
    ("what a pathetic bunch of morons", "abuse"),
    ("my parcel is late again", "none"),
    ("the refund has not arrived yet", "none"),
    ("please call me back about my order", "none"),
]


def tiny_shared_dataset(root: Path) -> Path:
    """The shared layout with a handful of rows per split (enough to score val quickly)."""

    def write(folder: Path, rows: list[tuple[str, int]]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for split in ("train", "val"):
            (folder / f"{split}_text.txt").write_text("\n".join(t for t, _ in rows) + "\n")
            (folder / f"{split}_labels.txt").write_text("\n".join(str(y) for _, y in rows) + "\n")

    names = {"negative": 0, "neutral": 1, "positive": 2}
    sentiment = [(t, names[label]) for t, label in SENTIMENT_ROWS]
    write(root / "sentiment" / "semeval", sentiment)
    write(root / "sentiment" / "tweeteval", sentiment)
    for language in XLMT_LANGUAGES:
        write(root / "sentiment" / "xlmt" / language, sentiment)
    abuse = [(t, int(label == "abuse")) for t, label in ABUSE_ROWS]
    write(root / "offensive" / "tweeteval", abuse)
    write(root / "hate" / "tweeteval", abuse)
    return root


async def add_corrected_mention(
    pool: asyncpg.Pool[Any], brand: str, text: str, field: str, values: list[str]
) -> None:
    mention_id = uuid.uuid4()
    await pool.execute(
        """INSERT INTO mentions (id, source, source_id, brand, text, author, created_at,
               received_at, conversation_key, classification, sentiment, urgency, language,
               model_version, classified_at, route)
           VALUES ($1, 'x', $2, $3, $4, '{}', now(), now(), $2, '{}', 'neutral', 'low', 'en',
                   'test', now(), '{"action": "monitor"}')""",
        mention_id,
        str(mention_id),
        brand,
        text,
    )
    for value in values:  # in order: the last one is the responder's final word
        await pool.execute(
            """INSERT INTO label_corrections (mention_id, field, model_value, value, corrected_by)
               VALUES ($1, $2, 'neutral', $3, 'agent@example.com')""",
            mention_id,
            field,
            value,
        )


@pytest.fixture
async def organisation(pool: asyncpg.Pool[Any], unique: str) -> tuple[str, str]:
    org, brand = f"org-{unique}", f"tools-{unique}"
    await pool.execute("INSERT INTO organisations (id, name) VALUES ($1, 'Tools Inc')", org)
    await pool.execute(
        "INSERT INTO brands (id, name, organisation_id) VALUES ($1, 'Tools', $2)", brand, org
    )
    for copy in range(4):
        for text, label in SENTIMENT_ROWS if copy < 3 else ():
            await add_corrected_mention(pool, brand, f"{text} #{copy}", "sentiment", [label])
        for text, label in ABUSE_ROWS:
            await add_corrected_mention(
                pool, brand, f"{text} #{copy}", "abuse", ["spam", label] if copy else [label]
            )
    await add_corrected_mention(pool, brand, "buy followers cheap", "abuse", ["spam"])
    await add_corrected_mention(pool, brand, "my card was stolen", "urgency", ["critical"])
    # Another organisation's corrections never leak in.
    await pool.execute("INSERT INTO brands (id, name) VALUES ($1, 'Other')", f"other-{unique}")
    await add_corrected_mention(pool, f"other-{unique}", "great", "sentiment", ["negative"])
    return org, brand


async def test_corrections_tune_activate_and_scope_to_the_organisation(
    pool: asyncpg.Pool[Any], postgres_dsn: str, organisation: tuple[str, str], tmp_path: Path
) -> None:
    base = default_artifact_dir()
    if base is None:
        pytest.skip("no shipped artifact to tune from")
    org, brand = organisation
    rows, brands = await fetch_corrections(postgres_dsn, org)
    assert brands == [brand]
    by_field: dict[str, int] = {}
    for row in rows:
        by_field[row.field] = by_field.get(row.field, 0) + 1
        assert row.brand == brand
    assert by_field == {"sentiment": 36, "abuse": 25, "urgency": 1}
    # The latest correction wins: the copies first marked spam were then re-labelled.
    assert sum(r.value == "spam" for r in rows) == 1

    artifacts = tmp_path / "artifacts"
    outcome = train_from_corrections(
        rows,
        organisation=org,
        brands=brands,
        data=tiny_shared_dataset(tmp_path / "data"),
        base=str(base),
        seed=1,
        threads=1,
        tolerance=1.0,  # the tiny val set is noise; the gate itself is unit-tested
        artifacts_dir=artifacts,
    )
    assert outcome.activated
    assert set(outcome.holdout) == {"sentiment", "offensive"}
    for report in outcome.holdout.values():
        assert report["macro_f1"] >= report["base_macro_f1"]  # never worse on held-back rows
    config = json.loads((outcome.path / "config.json").read_text())
    assert config["scope"] == {"organisation": org, "brands": [brand]}
    assert config["corrections"]["not_learnt"] == {"abuse/spam": 1, "urgency/critical": 1}
    pointer = artifacts / "organisations" / f"{org}.txt"
    assert pointer.read_text().strip() == outcome.path.name

    from services.classifier.models.artifact import ArtifactScorer, organisation_artifacts
    from services.classifier.models.pipeline import PipelineClassifier

    scoped = organisation_artifacts(artifacts)
    assert scoped == [outcome.path]
    scorer = ArtifactScorer(base, threads=1, scoped=scoped)
    classifier = PipelineClassifier(scorer, model_version=scorer.model_version)
    text = "the drill broke after two days, awful"
    ours, theirs, nobody = classifier.classify(
        [
            ClassifierInput("1", text, brand=brand),
            ClassifierInput("2", text, brand="someone-else"),
            ClassifierInput("3", text),
        ]
    )
    assert ours.model_version == outcome.version
    assert theirs.model_version == nobody.model_version == scorer.model_version
    assert theirs.sentiment == nobody.sentiment


async def test_too_few_corrections_is_a_clear_error(
    pool: asyncpg.Pool[Any], postgres_dsn: str, unique: str, tmp_path: Path
) -> None:
    if default_artifact_dir() is None:
        pytest.skip("no shipped artifact to tune from")
    org = f"small-{unique}"
    await pool.execute("INSERT INTO organisations (id, name) VALUES ($1, 'Small')", org)
    await pool.execute(
        "INSERT INTO brands (id, name, organisation_id) VALUES ($1, 'S', $2)", f"s-{unique}", org
    )
    await add_corrected_mention(pool, f"s-{unique}", "meh", "sentiment", ["negative"])
    rows, brands = await fetch_corrections(postgres_dsn, org)
    with pytest.raises(SystemExit, match="not enough corrections"):
        train_from_corrections(
            rows,
            organisation=org,
            brands=brands,
            data=tmp_path,
            artifacts_dir=tmp_path / "artifacts",
        )

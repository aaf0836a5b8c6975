"""Per-language sentiment specialists: features, storage, routing by language, fitting."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from services.classifier.models import specialists as sp
from services.classifier.models.heads import TaskHead
from services.classifier.models.polarity import lexicon_digest
from services.classifier.training.data import Split
from services.classifier.training.fit import fit_specialists

FR_POS = ["j'adore ce service", "merci beaucoup, super équipe", "génial, vraiment top", "bravo"]
FR_NEG = ["service nul, je suis furieux", "honteux, remboursez-moi", "arnaque totale", "nul nul"]
FR_NEU = ["le magasin ouvre à 9h", "quelle est l'adresse du siège", "commande passée hier", "ok"]


def _specialist(texts: list[str]) -> sp.LanguageSpecialist:
    chars, words = sp.ngram_counts(texts)
    char_idf, word_idf = sp.fit_idf(chars, min_df=1), sp.fit_idf(words, min_df=1)
    rng = np.random.default_rng(0)
    w = rng.normal(size=(2 * sp.BLOCK_FEATURES + sp.CUE_FEATURES, 3)).astype(np.float32)
    return sp.LanguageSpecialist("fr", char_idf, word_idf, w, np.zeros(3, np.float32))


def test_tfidf_rows_are_unit_length_and_unseen_ngrams_weigh_nothing() -> None:
    train = FR_POS + FR_NEG
    chars, words = sp.ngram_counts(train)
    char_idf, word_idf = sp.fit_idf(chars), sp.fit_idf(words)
    x = sp.features(["j'adore ce service", "zzqx", ""], char_idf, word_idf, "en")
    assert x.shape[1] == 2 * sp.BLOCK_FEATURES + sp.CUE_FEATURES
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    # Two blocks, each unit length where it has any known n-gram.
    assert norms[0] == pytest.approx(np.sqrt(2), abs=1e-5)
    assert norms[1] == 0.0  # nothing seen twice in train: no feature survives MIN_DF
    assert norms[2] == 0.0
    assert (x.data > 0).all()


def test_idf_keeps_only_ngrams_seen_in_min_df_texts() -> None:
    chars, _ = sp.ngram_counts(["abc", "abd", "xyz"])
    idf = sp.fit_idf(chars, min_df=2)
    df = np.bincount(chars.indices, minlength=chars.shape[1])
    assert (idf[df >= 2] > 0).all() and (idf[df < 2] == 0).all()
    assert np.array_equal(idf, idf.astype(np.float16).astype(np.float32))  # stored exactly


def test_storage_round_trip_is_exact_and_sparse() -> None:
    model = _specialist(FR_POS + FR_NEG).rounded()
    arrays = model.to_arrays("x")
    kept = int(np.count_nonzero(model.char_idf) + np.count_nonzero(model.word_idf))
    assert len(arrays["x.cols"]) == kept < 2 * sp.BLOCK_FEATURES // 100
    again = sp.LanguageSpecialist.load("x", arrays, "fr")
    texts = [*FR_POS, "texte inconnu"]
    assert np.array_equal(model.logprobs(texts), again.logprobs(texts))


def test_polarity_cues_are_the_last_two_columns() -> None:
    chars, words = sp.ngram_counts(FR_POS + FR_NEG)
    char_idf, word_idf = sp.fit_idf(chars), sp.fit_idf(words)
    x = sp.features(["service nul, honteux", "merci, génial", "rien"], char_idf, word_idf, "fr")
    cues = x[:, -2:].toarray()
    assert np.allclose(cues, np.log1p([[0, 2], [2, 0], [0, 0]]))
    # Another language's cues are not read.
    assert sp.features(["service nul"], char_idf, word_idf, "de")[:, -2:].nnz == 0


def test_a_text_scores_the_same_alone_and_in_a_batch() -> None:
    model = _specialist(FR_POS + FR_NEG + FR_NEU).rounded()
    batch = model.logprobs(FR_NEG + FR_POS)
    for i, text in enumerate(FR_NEG + FR_POS):
        assert np.allclose(model.logprobs([text])[0], batch[i], atol=1e-12)


def test_only_rows_in_a_specialist_language_are_blended() -> None:
    model = _specialist(FR_POS + FR_NEG).rounded()
    shared = np.log(np.full((3, 3), 1 / 3))
    texts = ["j'adore ce service", "I love this", "service nul"]
    out = sp.blend_specialists(shared, texts, ["fr", "en", "und"], {"fr": model}, 0.6)
    own = model.logprobs(texts[:1])[0]
    assert np.allclose(out[0], 0.6 * own + 0.4 * shared[0])
    assert np.array_equal(out[1:], shared[1:])
    assert sp.blend_specialists(shared, texts, ["fr"] * 3, {"fr": model}, 0.0) is shared


def test_a_mixed_batch_scores_each_language_as_it_would_alone() -> None:
    """The batch's n-grams are counted once and each specialist takes its rows: the same
    numbers as scoring each language's texts on their own."""
    fr = _specialist(FR_POS + FR_NEG).rounded()
    de = sp.LanguageSpecialist("de", fr.char_idf, fr.word_idf, fr.w[:, ::-1].copy(), fr.b)
    texts = ["service nul", "I love this", "Das ist super", "merci beaucoup", "danke, alles gut"]
    langs = ["fr", "en", "de", "fr", "de"]
    shared = np.log(np.full((5, 3), 1 / 3))
    out = sp.blend_specialists(shared, texts, langs, {"fr": fr, "de": de}, 0.5)
    for model, rows in ((fr, [0, 3]), (de, [2, 4])):
        alone = model.logprobs([texts[i] for i in rows])
        assert np.array_equal(out[rows], 0.5 * alone + 0.5 * shared[rows])
    assert np.array_equal(out[1], shared[1])


def _split(texts: list[str], labels: list[int], groups: list[str]) -> Split:
    return Split(texts=list(texts), labels=list(labels), groups=list(groups))


def test_fit_specialists_learns_a_language_the_shared_head_cannot_read() -> None:
    # The shared head sees nothing (zero embedding, no n-grams): it always says neutral.
    labels3 = ("negative", "neutral", "positive")
    head = TaskHead(labels3, np.zeros((4, 3)), np.array([0.0, 1.0, 0.0]), None, None)
    fr_texts = FR_NEG + FR_NEU + FR_POS
    fr_labels = [0] * 4 + [1] * 4 + [2] * 4
    train = _split(fr_texts * 6, fr_labels * 6, ["french"] * 72)
    val_texts = [*fr_texts, "I love it", "meh", "awful"]
    val = _split(val_texts, [*fr_labels, 2, 1, 0], ["french"] * 12 + ["tweeteval"] * 3)
    emb_val = np.zeros((len(val_texts), 4))

    def macro_recall(y: np.ndarray, pred: np.ndarray) -> float:
        return float(np.mean([(pred[y == c] == c).mean() for c in range(3)]))

    choices = fit_specialists(
        head,
        train=train,
        val=val,
        emb_val=emb_val,
        ngrams_val=None,
        english_val=None,
        metric=macro_recall,
        log=lambda _: None,
    )
    assert choices["specialists"] == ["fr"] and head.specialists.keys() == {"fr"}
    assert 0 < head.specialist_weight <= 0.9
    probs = head.probs(emb_val, None, texts=val.texts, languages=val.languages())
    assert (probs[:12].argmax(axis=1) == np.array(fr_labels)).all()
    # English rows keep the shared head; without languages nothing is blended.
    assert (probs[12:].argmax(axis=1) == 1).all()
    plain = head.probs(emb_val, None)
    assert (plain.argmax(axis=1) == 1).all()


def test_config_round_trip_keeps_the_specialists() -> None:
    model = _specialist(FR_POS + FR_NEG).rounded()
    head = TaskHead(
        ("negative", "neutral", "positive"),
        np.zeros((4, 3)),
        np.zeros(3),
        None,
        None,
        specialists={"fr": model},
        specialist_weight=0.7,
    )
    config, arrays = head.to_config(), head.to_arrays("sentiment")
    assert config["specialists"] == ["fr"] and config["specialist_weight"] == 0.7
    assert config["specialist_cues"] == lexicon_digest()
    again = TaskHead.load("sentiment", config, arrays)
    assert again.specialist_weight == 0.7
    texts, langs = ["j'adore ce service", "bonjour"], ["fr", "fr"]
    emb = np.zeros((2, 4))
    assert np.array_equal(
        head.probs(emb, None, texts=texts, languages=langs),
        again.probs(emb, None, texts=texts, languages=langs),
    )


def test_a_label_missing_from_a_language_gets_a_column_anyway() -> None:
    from services.classifier.training.fit import _softmax_lr, all_labels

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4))
    y = np.where(x[:, 0] > 0, 2, 0)  # no neutral rows
    w, b = all_labels(*_softmax_lr(x, y, 1.0, 3, 1), [0, 2], 3)
    assert w.shape == (4, 3) and b[1] == -10.0 and not w[:, 1].any()
    assert ((x @ w + b).argmax(axis=1) == y).mean() > 0.9


def test_a_tuned_head_scores_its_base_exactly_and_round_trips() -> None:
    """A brand / corrections stage sits on top of the base head: the base keeps its
    English / other-language blend (alpha_other) and its specialists; for texts in the stage's
    languages the log-probs are exactly beta * base + (1 - beta) * user, over the stage's
    temperature, and texts in other languages keep the base's probabilities."""
    from scipy.sparse import csr_matrix

    from services.classifier.models.heads import TunedStage, log_softmax

    rng = np.random.default_rng(3)
    model = _specialist(FR_POS + FR_NEG).rounded()
    labels = ("negative", "neutral", "positive")
    base = TaskHead(
        labels,
        rng.normal(size=(4, 3)),
        rng.normal(size=3),
        rng.normal(size=(6, 3)).astype(np.float16),
        rng.normal(size=3),
        alpha=0.6,
        alpha_other=0.2,
        temperature=1.2,
    )
    base.specialists, base.specialist_weight = {"fr": model}, 0.6
    user_w, user_b = rng.normal(size=(4, 3)), rng.normal(size=3)
    stage = TunedStage(user_w, user_b, beta=0.3, temperature=0.9, languages=("en", "fr", "und"))
    tuned = TaskHead(**{**base.__dict__, "tuned": [stage]})

    emb = rng.normal(size=(4, 4))
    ngrams = csr_matrix(rng.random(size=(4, 6)))
    texts = ["j'adore ce service", "arnaque totale", "great stuff", "tolles Paket"]
    langs = ["fr", "fr", "en", "de"]
    english = np.array([False, False, True, False])
    base_probs = base.probs(emb, ngrams, english, texts=texts, languages=langs)
    lp_user = log_softmax(emb @ user_w + user_b)
    expected = np.exp(log_softmax((0.3 * np.log(base_probs) + 0.7 * lp_user) / 0.9))
    expected[3] = base_probs[3]  # German: not among the stage's languages
    got = tuned.probs(emb, ngrams, english, texts=texts, languages=langs)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    assert not np.allclose(got[:3], base_probs[:3])

    stored = TaskHead.load("s", tuned.to_config(), tuned.to_arrays("s"))
    assert [(t.beta, t.temperature, t.languages) for t in stored.tuned] == [
        (0.3, 0.9, ("en", "fr", "und"))
    ]
    np.testing.assert_allclose(
        stored.probs(emb, ngrams, english, texts=texts, languages=langs), got, rtol=1e-5
    )


def test_a_tuned_stage_judges_only_the_languages_it_learnt_from() -> None:
    from services.classifier.training.finetune import stage_languages, tune_head

    assert stage_languages(["en"] * 9 + ["fr"] * 5 + ["de"] * 4) == ("en", "fr", "und")
    assert stage_languages(["de", "de", "es"]) == ("de", "es")  # few rows: all of them
    rng = np.random.default_rng(5)
    labels = ("negative", "neutral", "positive")
    base = TaskHead(labels, rng.normal(size=(4, 3)) * 0.1, np.zeros(3), None, None)
    y = rng.integers(0, 3, size=200)
    emb = rng.normal(size=(200, 4)) + np.eye(3, 4)[y] * 3  # the user's rows are separable
    langs = ["en"] * 190 + ["fr"] * 10
    from scipy.sparse import csr_matrix

    tuned = tune_head(base, emb, csr_matrix((200, 6)), y.tolist(), seed=1, languages=langs)
    assert tuned.beta < 1.0 and tuned.macro_f1 > tuned.base_macro_f1
    (stage,) = tuned.head.tuned
    assert stage.languages == ("en", "fr", "und")
    other = tuned.head.probs(emb[:5], None, languages=["ja"] * 5)
    np.testing.assert_allclose(other, base.probs(emb[:5], None, languages=["ja"] * 5))


def test_the_same_stored_specialist_is_loaded_once() -> None:
    model = _specialist(FR_POS + FR_NEG).rounded()
    arrays = model.to_arrays("x")
    first = sp.LanguageSpecialist.load("x", arrays, "fr")
    assert sp.LanguageSpecialist.load("x", dict(arrays), "fr") is first
    assert sp.LanguageSpecialist.load("x", arrays, "de") is not first  # other cues
    changed = dict(arrays, **{"x.b": arrays["x.b"] + 1})
    assert sp.LanguageSpecialist.load("x", changed, "fr") is not first


def test_word_ngrams_hash_exactly_as_scikit_learn() -> None:
    """The specialists were trained on HashingVectorizer's columns; scoring hashes them with
    mmh3 instead, and every count must land in the same column."""
    from sklearn.feature_extraction.text import HashingVectorizer

    from services.classifier.models.ngrams import WordNgramHasher

    texts = [
        *FR_POS,
        *FR_NEG,
        *FR_NEU,
        "",
        "a",
        "Ünïcödé ÇA VA? très très bien 😀😀 @user http",
        "مرحبا، طلبي لم يصل بعد",
        "日本語のテキスト and English mixed",
        "I'm  so   done with you,you,you!!! #fail 2024 x2",
        "ﬁne İstanbul straße ΣΊΣΥΦΟΣ",
    ]
    for ngram_range in [(1, 2), (1, 1), (2, 3)]:
        ours = WordNgramHasher(ngram_range, sp.BLOCK_FEATURES).transform(texts)
        reference = HashingVectorizer(
            ngram_range=ngram_range,
            n_features=sp.BLOCK_FEATURES,
            alternate_sign=False,
            norm=None,
            dtype=np.float32,
        ).transform(texts)
        assert ours.shape == reference.shape
        assert ours.dtype == np.float32
        assert (ours != reference).nnz == 0
        assert ours.nnz == reference.nnz > 0


def _reading_embedding(texts: list[str], dim: int = 4) -> sp.LanguageSpecialist:
    base = _specialist(texts)
    rng = np.random.default_rng(1)
    emb_w = rng.normal(size=(dim, 3))
    return sp.LanguageSpecialist(
        "fr", base.char_idf, base.word_idf, base.w, base.b, emb_w=emb_w, emb_scale=0.5
    ).rounded()


def test_a_specialist_reading_the_embedding_adds_its_scaled_product() -> None:
    model = _reading_embedding(FR_POS + FR_NEG)
    plain = sp.LanguageSpecialist("fr", model.char_idf, model.word_idf, model.w, model.b)
    emb = np.random.default_rng(2).normal(size=(3, 4))
    texts = FR_POS[:3]
    assert model.emb_w is not None
    from services.classifier.models.heads import log_softmax

    expected = log_softmax(
        np.asarray(sp.features(texts, model.char_idf, model.word_idf, "fr") @ model.w)
        + model.b
        + (emb * 0.5) @ model.emb_w
    )
    np.testing.assert_allclose(model.logprobs(texts, emb=emb), expected, atol=1e-9)
    assert not np.allclose(model.logprobs(texts, emb=emb), plain.logprobs(texts))
    with pytest.raises(ValueError, match="embedding"):
        model.logprobs(texts)


def test_an_embedding_specialist_round_trips_and_scores_the_same_alone() -> None:
    model = _reading_embedding(FR_POS + FR_NEG + FR_NEU)
    arrays = model.to_arrays("x")
    assert arrays["x.emb_w"].dtype == np.float16 and float(arrays["x.emb_scale"]) == 0.5
    again = sp.LanguageSpecialist.load("x", arrays, "fr")
    texts = FR_NEG + FR_POS
    emb = np.random.default_rng(3).normal(size=(len(texts), 4))
    batch = again.logprobs(texts, emb=emb)
    assert np.array_equal(model.logprobs(texts, emb=emb), batch)
    for i, text in enumerate(texts):
        assert np.allclose(again.logprobs([text], emb=emb[i : i + 1])[0], batch[i], atol=1e-12)
    # The embedding block is part of the stored identity: other weights, another model.
    changed = dict(arrays, **{"x.emb_w": arrays["x.emb_w"] * 2})
    assert sp.LanguageSpecialist.load("x", changed, "fr") is not again


def test_a_mixed_batch_gives_each_specialist_its_own_rows_embeddings() -> None:
    fr = _reading_embedding(FR_POS + FR_NEG)
    texts = ["service nul", "I love this", "merci beaucoup"]
    emb = np.random.default_rng(4).normal(size=(3, 4))
    shared = np.log(np.full((3, 3), 1 / 3))
    out = sp.blend_specialists(shared, texts, ["fr", "en", "fr"], {"fr": fr}, 0.5, emb)
    alone = fr.logprobs([texts[0], texts[2]], emb=emb[[0, 2]])
    assert np.allclose(out[[0, 2]], 0.5 * alone + 0.5 * shared[[0, 2]], atol=1e-12)
    assert np.array_equal(out[1], shared[1])


def test_fit_specialists_with_embeddings_learns_what_the_ngrams_cannot_see() -> None:
    """Every train text is the same words; only the embedding tells the labels apart. The
    n-gram specialist cannot learn it, the one that reads the embedding does."""
    labels3 = ("negative", "neutral", "positive")
    labels = [0, 1, 2] * 20
    texts = ["le même texte"] * len(labels)
    emb_train = np.eye(3)[labels] * 2.0
    train = _split(texts, labels, ["french"] * len(labels))
    val = _split(texts[:6], labels[:6], ["french"] * 6)
    emb_val = emb_train[:6]

    def macro_recall(y: np.ndarray, pred: np.ndarray) -> float:
        return float(np.mean([(pred[y == c] == c).mean() for c in range(3)]))

    def fitted(with_embedding: bool) -> tuple[TaskHead, dict[str, object]]:
        head = TaskHead(labels3, np.zeros((3, 3)), np.array([0.0, 1.0, 0.0]), None, None)
        choices = fit_specialists(
            head,
            train=train,
            val=val,
            emb_val=emb_val,
            emb_train=emb_train if with_embedding else None,
            ngrams_val=None,
            english_val=None,
            metric=macro_recall,
            log=lambda _: None,
        )
        return head, choices

    head, choices = fitted(True)
    assert choices["specialist_embedding_scale"] == sp.EMBEDDING_SCALE
    assert head.specialists["fr"].reads_embedding
    probs = head.probs(emb_val, None, texts=val.texts, languages=val.languages())
    assert (probs.argmax(axis=1) == np.array(labels[:6])).all()
    config = head.to_config()
    assert config["specialist_embedding_scale"] == sp.EMBEDDING_SCALE
    again = TaskHead.load("sentiment", config, head.to_arrays("sentiment"))
    np.testing.assert_array_equal(
        again.probs(emb_val, None, texts=val.texts, languages=val.languages()), probs
    )
    ngrams_only, _ = fitted(False)
    assert not ngrams_only.specialists  # nothing to learn from the words: weight 0, none kept


def test_fit_specialists_refuses_embeddings_that_do_not_match_the_texts() -> None:
    head = TaskHead(("a", "b", "c"), np.zeros((3, 3)), np.zeros(3), None, None)
    train = _split(FR_POS, [2] * 4, ["french"] * 4)
    with pytest.raises(ValueError, match="train embeddings"):
        fit_specialists(
            head,
            train=train,
            val=train,
            emb_val=np.zeros((4, 3)),
            emb_train=np.zeros((3, 3)),
            ngrams_val=None,
            english_val=None,
            metric=lambda y, p: 0.0,
            log=lambda _: None,
        )

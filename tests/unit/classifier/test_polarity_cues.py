"""Polarity cues of the sentiment specialists: matching rules and lexicon hygiene."""

from __future__ import annotations

import pytest

from services.classifier.models.polarity import NEGATIVE, POSITIVE, matcher, polarity_counts
from services.classifier.models.text import fold


@pytest.mark.parametrize(
    ("language", "text", "counts"),
    [
        ("fr", "Service client NUL, je suis furieux !", (0, 2)),
        ("fr", "Merci, c'est GÉNIAL", (2, 0)),
        ("de", "Unverschämt, schon wieder doppelt abgebucht", (0, 1)),  # 'schon' is no cue
        ("es", "Pésimo servicio, nadie responde", (0, 1)),
        ("it", "Servizio clienti pessimo", (0, 1)),
        ("pt", "Atendimento péssimo, que vergonha", (0, 2)),
        ("ar", "خدمة سيئة للأسف", (0, 2)),  # spelling variants count once
        ("hi", "bakwas service yaar", (0, 1)),
        ("hi", "bahut badhiya yaar", (1, 0)),
        ("fr", "nullement concerné", (0, 0)),  # whole words only unless a cue ends in *
        ("en", "terrible, awful", (0, 0)),  # English has no specialist and no cues here
    ],
)
def test_counts(language: str, text: str, counts: tuple[int, int]) -> None:
    assert polarity_counts([text], language) == [counts]


NEUTRAL = {
    "fr": ["Lettre envoyée en recommandé", "Je ne le trouve nulle part", "une plante verte"],
    "de": [
        "Liebe Telekom, meine Bestellung ist bestellt",
        "Mit freundlichen Grüßen",
        "Ticket 2. Klasse, schon wieder",
        "schnellstmöglich bitte",
    ],
    "es": ["a lo mejor mañana", "mi pedido de ayer"],
    "it": ["il Consiglio dei ministri", "domani alle 9"],
    "pt": ["bom dia, boa tarde", "meu pedido de ontem"],
    "ar": ["نحتاج حلول", "طلبي من امس"],
    "hi": ["ek baar phir", "kal milte hain"],
}


@pytest.mark.parametrize(
    ("language", "text"), [(lang, text) for lang, texts in NEUTRAL.items() for text in texts]
)
def test_common_neutral_phrases_count_nothing(language: str, text: str) -> None:
    assert polarity_counts([text], language) == [(0, 0)]


def _keys(cues: tuple[str, ...]) -> list[tuple[str, bool]]:
    return [(fold(c.rstrip("*")).strip(), c.endswith("*")) for c in cues]


@pytest.mark.parametrize("language", sorted(POSITIVE))
@pytest.mark.parametrize("table", [POSITIVE, NEGATIVE], ids=["positive", "negative"])
def test_no_cue_already_covers_another(language: str, table: dict[str, tuple[str, ...]]) -> None:
    """A text would count twice: 'j adore' holds 'adore', 'scheis*' covers 'scheiss'."""
    keys = _keys(table[language])
    for i, (a, a_prefix) in enumerate(keys):
        for j, (b, _) in enumerate(keys):
            if i == j or a == b:
                continue
            words_a, words_b = a.split(), b.split()
            inside = any(
                words_b[k : k + len(words_a)] == words_a
                for k in range(len(words_b) - len(words_a) + 1)
            )
            covers = a_prefix and any(w.startswith(a) for w in words_b)
            assert not inside and not covers, (table[language][i], table[language][j])


def test_a_cue_counts_once_per_text() -> None:
    assert polarity_counts(["nul nul nul"], "fr") == [(0, 1)]


@pytest.mark.parametrize("language", sorted(POSITIVE))
def test_no_cue_is_both_positive_and_negative(language: str) -> None:
    positive = {fold(c.rstrip("*")) for c in POSITIVE[language]}
    negative = {fold(c.rstrip("*")) for c in NEGATIVE[language]}
    assert not positive & negative
    assert matcher(language).find("") == {}

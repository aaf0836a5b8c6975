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
        ("hi", "बहुत बढ़िया", (1, 0)),
        ("fr", "nullement concerné", (0, 0)),  # whole words only unless a cue ends in *
        ("en", "terrible, awful", (0, 0)),  # English has no specialist and no cues here
    ],
)
def test_counts(language: str, text: str, counts: tuple[int, int]) -> None:
    assert polarity_counts([text], language) == [counts]


def test_a_cue_counts_once_per_text() -> None:
    assert polarity_counts(["nul nul nul"], "fr") == [(0, 1)]


@pytest.mark.parametrize("language", sorted(POSITIVE))
def test_no_cue_is_both_positive_and_negative(language: str) -> None:
    positive = {fold(c.rstrip("*")) for c in POSITIVE[language]}
    negative = {fold(c.rstrip("*")) for c in NEGATIVE[language]}
    assert not positive & negative
    assert matcher(language).find("") == {}

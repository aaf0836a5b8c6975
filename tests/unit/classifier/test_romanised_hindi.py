"""Romanised Hindi / Urdu ("Hinglish", Roman Urdu) is named `hi` from marker words: lingua's
Hindi model knows Devanagari only and scatters such tweets over English, Indonesian, Finnish..."""

from __future__ import annotations

import pytest

from services.classifier.models.language import (
    ROMANISED_HINDI_STRONG,
    ROMANISED_HINDI_WEAK,
    LanguageIdentifier,
    romanised_hindi,
)


@pytest.mark.parametrize(
    ("text", "confidence"),
    [
        # two strong markers
        ("bhai kuch to karo", 1 - 0.5 ** (3 + 0.5)),  # bhai kuch karo + to
        ("yeh app kaam nahi kar rahi", 1 - 0.5 ** (3 + 1.0)),  # kaam nahi rahi + yeh kar
        # one strong and one weak
        ("Kya sai hai re", 1 - 0.5 ** (1 + 0.5)),
        ("refund kab milega? 3 din ho gaye", 1 - 0.5**2),  # kab, gaye
        ("@user Acha Hua Yeh Eid Bhi Tanha Guzar Gai", 1 - 0.5 ** (2 + 1.0)),  # hua bhi + acha yeh
    ],
)
def test_hinglish_is_named_hindi(text: str, confidence: float) -> None:
    assert romanised_hindi(text) == pytest.approx(confidence, abs=1e-4)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "nahi",  # one strong marker alone is not enough
        "hai ke ki ko se me",  # weak markers alone never are (Italian 'hai', 'ke'...)
        "Another jab at the SNP to distract us",  # English 'jab' + 'to'
        "Michelle Obama teams up with Wale to promote higher education",
        "Return to AAP, he is one of the best lawyers in the country",
        "Hai fatto bene, ke bello questo telefono",  # Italian
        "Mein Paket ist nicht angekommen",  # German
        "como rodrigo santoro se acha",  # Portuguese 'acha'
        "यह फ़ोन बहुत अच्छा है",  # Devanagari: lingua's to name
        "bhai ça marche très bien, merci",  # accented Latin: not romanised Hindi
    ],
)
def test_other_text_is_left_to_lingua(text: str) -> None:
    assert romanised_hindi(text) is None


def test_strong_markers_are_never_weak_ones() -> None:
    assert not ROMANISED_HINDI_STRONG & ROMANISED_HINDI_WEAK
    assert all(
        w == w.casefold() and w.isascii() for w in ROMANISED_HINDI_STRONG | ROMANISED_HINDI_WEAK
    )


def test_the_identifier_names_hinglish_hindi_and_a_hint_still_wins() -> None:
    identifier = LanguageIdentifier()
    hinglish, hinted = identifier.identify(["bhai mera order kab aayega"] * 2, [None, "en"])
    assert (hinglish.code, hinglish.method) == ("hi", "detected")
    assert 0.25 <= hinglish.confidence <= 1
    assert (hinted.code, hinted.method) == ("en", "hint")


def test_an_identifier_without_hindi_leaves_it_to_lingua() -> None:
    pytest.importorskip("lingua")
    (result,) = LanguageIdentifier(["ENGLISH", "FRENCH"]).identify(
        ["bhai mera order kab aayega"], [None]
    )
    assert result.code != "hi"

"""Cue folding keeps words whole in scripts whose vowel signs are combining marks."""

from __future__ import annotations

import unicodedata

from services.classifier.models.text import fold
from services.classifier.models.urgency import UrgencyScorer


def test_latin_greek_and_arabic_marks_are_still_folded_away() -> None:
    assert fold("REMBOURSÉ, s'il vous plaît!") == " rembourse s il vous plait "
    assert fold("Straße łódź") == " strasse lodz "
    assert fold("ΆΝΘΡΩΠΟΣ") == fold("ανθρωποσ") == " ανθρωποσ "
    assert fold("مَرْحَبًا") == " مرحبا "  # harakat: optional in written Arabic


def test_devanagari_words_keep_their_vowel_signs_viramas_and_nuktas() -> None:
    assert fold("मेरा खाता हैक हो गया।") == " मेरा खाता हैक हो गया "
    assert fold("क्या हुआ॥ ठीक है") == " क्या हुआ ठीक है "
    nukta = fold("क़ीमत")  # decomposes to क + nukta + ी: one word, the nukta kept
    assert nukta.split() == [unicodedata.normalize("NFKD", "क़ीमत")]


def test_thai_and_tamil_words_stay_whole() -> None:
    assert fold("บัญชีถูกแฮ็ก") == " บัญชีถูกแฮ็ก "
    assert fold("என் கணக்கு") == " என் கணக்கு "


def test_a_hindi_brand_keyword_matches_whole_words_only() -> None:
    scorer = UrgencyScorer()

    def reasons(text: str) -> list[str]:
        urgency = scorer.score(text, negative_prob=0.2, brand_urgent_keywords=("खाता",))
        return [reason.message for reason in urgency.reasons]

    assert any("खाता" in r for r in reasons("मेरा खाता बंद हो गया"))
    # 'account holder': before vowel signs were kept, both folded to broken fragments and
    # the keyword matched inside the longer word.
    assert not any("खाता" in r for r in reasons("खाताधारक सेवा"))

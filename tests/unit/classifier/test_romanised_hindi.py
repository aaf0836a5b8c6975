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
        # two different strong markers (+ weak ones)
        ("bhai kuch to karo", 1 - 0.5**2),  # bhai kuch
        ("yeh app kaam nahi kar rahi", 1 - 0.5 ** (3 + 1.0)),  # kaam nahi rahi + yeh kar
        ("refund kab milega? abhi tak nahi aaya, kya scene hai", 1 - 0.5 ** (2 + 1.5)),
        ("@user Acha Hua Yeh Eid Bhi Tanha Guzar Gai", None),  # bhi + yeh: one weak only
        ("mujhe to saala tekken 3 k sapne aate the", None),  # mujhe + 'to' is no marker
        # one strong and two different weak
        ("Kya sai hai re, ye to", 1 - 0.5 ** (1 + 1.0)),  # kya + hai ye
        ("meri toh koi help hi nai krta tha", None),  # no strong marker
        ("sehwag hota toh ab tak 4-5 chauke maar chuka hota", None),  # hota twice + toh
        ("sehwag hota toh ab tak chauke maar chuka tha", 1 - 0.5 ** (1 + 1.0)),  # hota + toh tha
        ("aapko kya lagta hai", 1 - 0.5 ** (3 + 0.5)),  # aapko kya lagta + hai
        ("acha theek hai kal milte hai", None),  # theek + hai: one weak only
        ("KYA BAAT HAI BHAI, BILKUL SAHI", 1 - 0.5 ** (3 + 0.5)),  # all capitals: no acronyms
    ],
)
def test_hinglish_needs_two_strong_markers_or_one_and_two_weak(
    text: str, confidence: float | None
) -> None:
    result = romanised_hindi(text)
    if confidence is None:
        assert result is None
    else:
        assert result == pytest.approx(confidence, abs=1e-4)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "nahi nahi nahi",  # a word counts once
        "hai ke ki ko se me",  # weak markers alone never count (Italian 'hai', Indonesian 'ke')
        # Words that are Hindi and also something else: the other meaning must not trigger.
        "My Philips Hue lights won't connect to the bridge",
        "Switching from MATLAB to Python",
        "Feeding the koi in my pond is so relaxing to me",
        "Marvin Gaye to headline tribute",
        "Amber Heard to return as Mera",
        "Another jab at the SNP to distract us",
        "Michelle Obama teams up with Wale to promote higher education",
        "Light a diya for Diwali with Abhi and Desh",
        "Bhai please help me, my order is late",
        "ella es la mera mera",
        "que mala pata, se me rompio el celular",
        "voce tera que pagar na hora",
        "hue hue hue br",
        "como rodrigo santoro se acha",
        "Hai fatto bene, ke bello questo telefono",
        "Hai ragione, mera formalita",
        "Wali kota Bandung berangkat ke Jakarta",
        "Agar tidak terlambat, berangkat ke kantor",
        "karna aku mau pergi ke pasar",
        "bocoran kisi-kisi soal ujian",
        "Kab. Karo diguncang gempa",
        "Hai kak, gaya rambut baru nih",
        "Ne hain adam",
        "Ik heb er veel baat bij na de operatie",
        "Se raha loppui",
        "Hai Romania! Medalie de aur",
        "Die Karte ist weg, mein Kaisa",
        "Gaya ng sabi ko, crispy pata na masarap",
        "tu me demande koi, koi de neuf aujourd'hui",
        "Usko pois, se on totta ja ne tulevat huomenna",  # Finnish 'usko'
        "Sunt hoti, ne fura pe fata",  # Romanian 'hoti'
        "Sirf para icin yapiyorlar, kar amaci yok ne yazik ki",  # Turkish 'sirf'
        "Merci a notre hote, il ne se plaint jamais",  # French 'hote'
        "Ta apka je super, ne? Na iPhone se da stahnout",  # Czech 'apka'
        "Nie waha sie ani chwili, idzie na kar",  # Polish 'waha'
        "Kyon-kun wa baka da ne, hai",  # Japanese romaji
        "Just finished the book. Kya is the main character, ho boy",  # a name + 'main'
        "Tried the bhut jolokia hot sauce, ho boy, the main heat",
        "Aaj Tak exit poll: AAP set to win Delhi, says Kejriwal ji",  # acronym AAP
        "email me at bhai.yaar@gmail.com about the order",
        "bhai_yaar on insta is hilarious",
        # Links and handles are not text.
        "Check this out https://example.in/news/kya-hua-aaj-bhai-kuch",
        "@bhai_kuch_nahi thanks for the follow",
        # Other scripts and accented Latin are lingua's.
        "यह फ़ोन बहुत अच्छा है",
        "bhai kuch ça marche très bien, merci",
    ],
)
def test_other_text_is_left_to_lingua(text: str) -> None:
    assert romanised_hindi(text) is None


def test_strong_markers_are_never_weak_ones() -> None:
    assert not ROMANISED_HINDI_STRONG & ROMANISED_HINDI_WEAK
    markers = ROMANISED_HINDI_STRONG | ROMANISED_HINDI_WEAK
    assert all(w == w.casefold() and w.isascii() for w in markers)


def test_the_identifier_names_hinglish_hindi_and_a_hint_still_wins() -> None:
    identifier = LanguageIdentifier()
    hinglish, hinted = identifier.identify(
        ["bhai mera order kab aayega, kuch pata?"] * 2, [None, "en"]
    )
    assert (hinglish.code, hinglish.method) == ("hi", "detected")
    assert 0.25 <= hinglish.confidence <= 1
    assert (hinted.code, hinted.method) == ("en", "hint")


def test_an_identifier_without_hindi_leaves_it_to_lingua() -> None:
    pytest.importorskip("lingua")
    (result,) = LanguageIdentifier(["ENGLISH", "FRENCH"]).identify(
        ["bhai mera order kab aayega, kuch pata?"], [None]
    )
    assert result.code != "hi"

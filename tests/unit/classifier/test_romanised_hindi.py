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
        ("bhai kuch to karo", 1 - 0.5 ** (2 + 0.5)),  # bhai kuch + karo
        ("yeh app kaam nahi kar rahi", 1 - 0.5 ** (3 + 1.0)),  # kaam nahi rahi + yeh kar
        ("refund kab milega? abhi tak nahi aaya, kya scene hai", 1 - 0.5 ** (3 + 1.5)),
        ("@user Acha Hua Yeh Eid Bhi Guzar Gai", 1 - 0.5 ** (1 + 1.0)),  # bhi + acha yeh
        ("@user Yeh Eid Bhi Tanha Guzar Gai", None),  # bhi + yeh: one weak only
        ("mujhe to saala tekken 3 k sapne aate the", None),  # mujhe + 'to' is no marker
        # one strong and two different weak
        ("Kya sai hai re, ye to", 1 - 0.5 ** (1 + 1.0)),  # kya + hai ye
        ("meri toh koi help hi nai krta tha", 1 - 0.5 ** (1 + 2.5)),  # krta + 5 weak
        ("meri toh koi help hi nai ki tha", None),  # no strong marker
        ("sehwag hota toh ab tak 4-5 chauke maar chuka hota", None),  # hota twice + toh
        ("sehwag hota toh ab tak chauke maar chuka tha", 1 - 0.5 ** (1 + 1.0)),  # hota + toh tha
        ("aapko kya lagta hai", 1 - 0.5 ** (3 + 0.5)),  # aapko kya lagta + hai
        ("acha theek hai kal milte hai", 1 - 0.5 ** (1 + 1.0)),  # theek + acha hai
        ("theek hai kal milte hai", None),  # theek + hai: one weak only
        ("KYA BAAT HAI BHAI, BILKUL SAHI", 1 - 0.5 ** (3 + 1.0)),  # all capitals: no acronyms
        # markers added from UMSAB's Hindi train tweets
        ("ghar pe sab theek hai?", 1 - 0.5 ** (3 + 1.0)),  # ghar sab theek + pe hai
        ("pehle bhi yaad dilaya tha", 1 - 0.5 ** (3 + 0.5)),  # pehle bhi yaad + tha
        ("kabhi wapas mat aana", 1 - 0.5**3),  # kabhi wapas aana
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
        # Everyday sentences of other languages, written without accents as tweets often are.
        "Kalau hujan kita tak jadi pergi ke pantai agar aman",
        "Dia bada pagi sudah berangkat ke masjid, ada laga bola nanti",
        "Ini bata merah untuk rumah baru di Karo",
        "Bu aksam kar yagacak diyorlar, sahi mi? Bana da soyle",
        "Ik heb een aap gezien, maar hij kon niet stoppen met eten",
        "Minulla on paljon rahaa mutta ei aikaa, maa on kaunis, mene jo",
        "Tak, to jest prawda, ale nie wiem co na to powiedziec",
        "Am fost pe strada si am mancat mere cu prietenii",
        "Se hai tempo, ho una domanda per te",
        "Ela nao sabe se vai na festa ou nao, que paisa",
        "Je ne sais pas si il vient par le train ce soir",
        "Jo, tak to je, ne? Uz jsem to videl",
        "Ki mondta ezt neked, ha nem te",
        "The ho ho ho of santa, ye olde shoppe, ek ek ek",
        "Nai nai nai, it was a dil pickle, maa said, woh",
        # Hindi words that are other words or names too: weak, never strong.
        "Ny kro i byen, kro",  # Danish / Norwegian 'kro', an inn
        "Ay pta, que calor",  # Spanish slang
        "Der Saal war voll",
        "Milne and Kahan tonight",
        "Go Milne!",
        "Aage kommer i morgen",
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


NOT_HINDI = [
    text
    for text in test_other_text_is_left_to_lingua.pytestmark[0].args[1]
    if text not in ("nahi nahi nahi", "hai ke ki ko se me") and "यह" not in text
]


def test_the_identifier_names_none_of_the_other_texts_hindi() -> None:
    """Through the whole identifier too, the looser bar for what lingua cannot name
    included: none of those sentences comes out Hindi."""
    pytest.importorskip("lingua")
    results = LanguageIdentifier().identify(NOT_HINDI, [None] * len(NOT_HINDI))
    assert [t for t, r in zip(NOT_HINDI, results, strict=True) if r.code == "hi"] == []


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


@pytest.mark.parametrize(
    ("text", "confidence"),
    [
        ("Tum kafar ho", None),  # weak markers only
        ("Mast hun yaar", 1 - 0.5**1),  # yaar
        ("Pata nhi", 1 - 0.5**1.5),  # nhi + pata
        ("Kyon-kun wa baka da ne, hai", None),
        ("Se on hyva idea, jo eilen", None),
        ("Kab. Karo", None),
    ],
)
def test_one_strong_marker_is_enough_where_lingua_cannot_tell(
    text: str, confidence: float | None
) -> None:
    result = romanised_hindi(text, undetermined=True)
    if confidence is None:
        assert result is None
    else:
        assert result == pytest.approx(confidence, abs=1e-4)
    assert romanised_hindi(text) is None  # never enough before lingua has read it


def test_the_identifier_names_hindi_what_lingua_leaves_undetermined() -> None:
    pytest.importorskip("lingua")
    identifier = LanguageIdentifier()
    texts = ["Mast hun yaar", "Tum kafar ho", "email me at bhai.yaar@gmail.com about the order"]
    short, weak_only, mail = identifier.identify(texts, [None] * 3)
    assert (short.code, short.method, short.confidence) == ("hi", "detected", 0.5)
    assert weak_only.code != "hi"
    assert mail.code == "en"
    # Text lingua names stays lingua's, markers or not.
    (english,) = identifier.identify(["Just finished the book. Kya is the main character"], [None])
    assert english.code == "en"

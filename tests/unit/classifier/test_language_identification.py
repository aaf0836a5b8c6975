"""Language identification reads the text's own words: links, @handles, the retweet marker and
hashtag signs are no words of any language, and short-text detectors trip over them."""

from __future__ import annotations

import pytest

from services.classifier.models.language import LanguageIdentifier
from services.classifier.models.text import normalise_for_model, own_words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Livraison encore en retard http #colis", "Livraison encore en retard"),
        ("RT @user: Le piège de la facture verte http", ": Le piège de la facture verte"),
        ("voir https://t.co/AbC123 et www.example.org/x?y=1", "voir et"),
        ("@acme_support @user", ""),
        ("Heart rt now", "Heart rt now"),  # only the upper-case marker is dropped
        ("PARTY tonight #HappyNewYear!!", "PARTY tonight !!"),
        ("Hoje tem #MasterChefBR !!!!", "Hoje tem !!!!"),
        # A hashtag stays, without its sign, where fewer than two words would be left.
        ("Ansiosa #MasterChefBR", "Ansiosa MasterChefBR"),
        ("#BlackFriday", "BlackFriday"),
        # An e-mail address goes whole: no handle is cut out of it, leaving "bhai.yaar .com".
        ("mail bhai.yaar@gmail.com or @bhai_yaar", "mail or"),
        ("write to first.last+tag@mail.example.co.in now", "write to now"),
        ("", ""),
    ],
)
def test_own_words_drops_links_handles_and_markers(text: str, words: str) -> None:
    assert own_words(text) == words


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # With the `http` placeholder lingua's trigram pass called these Portuguese (0.9999)
        # and Romanian (0.9987).
        ("La livraison est encore en retard https://t.co/x1 #colis", "fr"),
        ("RT @acme: Le piège de la facture verte https://t.co/x2", "fr"),
        ("Die Lieferung ist wieder zu spät http via @user", "de"),
        ("O pedido chegou atrasado de novo http", "pt"),
    ],
)
def test_links_and_handles_do_not_sway_the_language(
    identifier: LanguageIdentifier, text: str, code: str
) -> None:
    (result,) = identifier.identify([normalise_for_model(text)], [None])
    assert (result.code, result.method) == (code, "detected")


def test_a_text_of_links_and_handles_only_is_undetermined(identifier: LanguageIdentifier) -> None:
    texts = ["@acme http", "RT @user: https://t.co/abc", "#"]
    results = identifier.identify([normalise_for_model(t) for t in texts], [None] * 3)
    assert [(r.code, r.method) for r in results] == [("und", "undetermined")] * 3


def test_a_hint_still_wins(identifier: LanguageIdentifier) -> None:
    (result,) = identifier.identify(["@user http"], ["es"])
    assert (result.code, result.method) == ("es", "hint")

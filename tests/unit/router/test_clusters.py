"""Viral clusters: copies of one message share a key; different messages do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.router.routing.clusters import cluster_key, normalised_words, within_window

ORIGINAL = "Northwind lost my luggage AGAIN and nobody answers the phone!!"


@pytest.mark.parametrize(
    "copy",
    [
        ORIGINAL,
        "RT @angry_flyer: Northwind lost my luggage AGAIN and nobody answers the phone!!",
        "northwind lost my luggage again and nobody answers the phone",
        "Northwind lost my luggage again… and nobody answers the phone 😡😡 https://t.co/abc123",
        "@northwind_help Northwind lost my luggage AGAIN and nobody answers the phone!! #12",
        "Northwind   lost my luggage AGAIN\nand nobody answers the phone!!",
        "Northwind lost my luggage AGAIN and nobody answers the #phone",
    ],
)
def test_copies_of_one_message_share_a_cluster(copy: str) -> None:
    assert cluster_key(copy) == cluster_key(ORIGINAL) is not None


@pytest.mark.parametrize(
    "other",
    [
        "Northwind lost my luggage and nobody answers email",
        "Northwind found my luggage AGAIN and somebody answers the phone!!",
        "nobody answers the phone and Northwind lost my luggage again",
    ],
)
def test_different_messages_do_not_cluster(other: str) -> None:
    assert cluster_key(other) != cluster_key(ORIGINAL)


@pytest.mark.parametrize("short", ["thanks!", "help @northwind", "where is my refund", "", "😡"])
def test_short_texts_never_cluster(short: str) -> None:
    assert cluster_key(short) is None


def test_normalising_keeps_words_in_any_script() -> None:
    assert normalised_words("Zborul meu a fost ANULAT, ajutor!") == [
        "zborul", "meu", "a", "fost", "anulat", "ajutor",
    ]  # fmt: skip


@given(st.text(max_size=200))
def test_key_is_deterministic_and_ignores_case(text: str) -> None:
    # Case as Unicode case folding defines it: upper() then lower() is no identity (Turkish
    # dotless "ı" comes back as "i", another letter), so that is not the property.
    assert cluster_key(text) == cluster_key(text)
    assert cluster_key(text.casefold()) == cluster_key(text)


def test_key_ignores_case_in_latin_and_cyrillic() -> None:
    assert cluster_key("Our FLIGHT was CANCELLED again today") == cluster_key(
        "our flight was cancelled again today"
    )
    assert cluster_key("РЕЙС ОТМЕНИЛИ, никто не отвечает") == cluster_key(
        "рейс отменили, НИКТО НЕ ОТВЕЧАЕТ"
    )


def test_window_is_symmetric_and_bounded() -> None:
    t = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    window = timedelta(hours=6)
    assert within_window(last_mention_at=t, mention_at=t + window, window=window)
    assert within_window(last_mention_at=t, mention_at=t - timedelta(hours=1), window=window)
    assert not within_window(last_mention_at=t, mention_at=t + window + timedelta(seconds=1))

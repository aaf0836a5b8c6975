"""Ingest's pure path: validation, normalisation, brand matching, clear rejections."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas import mention_id
from services.ingest.handlers import accept_batch, accept_one, mention_event
from services.ingest.rules import Brand, BrandCatalogue
from services.ingest.rules.catalogue import fold

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CATALOGUE = BrandCatalogue(
    [
        Brand(
            "acme",
            "Acme",
            keywords=("acme", "acme air"),
            hashtags=("#acmefail",),
            handles=("@acme_help",),
        ),
        Brand("zenith", "Zenith", competitor_of="acme", keywords=("zenith",)),
        Brand("volna", "Волна", keywords=("волна",), languages=("ru",)),
    ]
)


def mention(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": "x",
        "source_id": "1890012345",
        "text": "Acme lost my bag again",
        "author": {"handle": "@ana", "followers": 42},
        "created_at": "2026-11-20T11:58:00Z",
    }
    base.update(overrides)
    return base


def test_valid_mention_gets_its_deterministic_id_and_brand() -> None:
    accepted = accept_one(mention(), catalogue=CATALOGUE, now=NOW)
    assert not isinstance(accepted, tuple)
    assert accepted.mention_id == mention_id("x", "1890012345")
    assert accepted.brand == "acme"
    assert accepted.matched_by == ["acme"]
    assert accepted.received_at == NOW


def test_explicit_unknown_brand_is_refused_naming_the_known_ones() -> None:
    code, _, details = accept_one(mention(brand="nope"), catalogue=CATALOGUE, now=NOW)  # type: ignore[misc]
    assert code == "unknown_brand"
    assert details == {"known_brands": ["acme", "volna", "zenith"]}


def test_text_matching_no_brand_is_refused_with_a_reason() -> None:
    code, _, _ = accept_one(mention(text="nothing relevant"), catalogue=CATALOGUE, now=NOW)  # type: ignore[misc]
    assert code == "no_brand_matched"


@pytest.mark.parametrize(
    "text",
    [
        "ACME lost my bag",
        "#AcmeFail again",
        "thanks @acme_help!",
        "Ácme délayed",
        "ac\u200bme is late",
    ],
)
def test_brand_terms_match_case_accent_and_zero_width_insensitively(text: str) -> None:
    assert CATALOGUE.match(text) == ["acme"]


def test_brand_term_does_not_match_inside_a_longer_word() -> None:
    assert CATALOGUE.match("acmeology conference") == []


def test_tracked_brand_comes_before_its_competitor() -> None:
    assert CATALOGUE.match("zenith is better than acme") == ["acme", "zenith"]


def test_brand_limited_to_languages_only_matches_those() -> None:
    assert CATALOGUE.match("волна опять не работает", "ru") == ["volna"]
    assert CATALOGUE.match("волна опять не работает", "uk") == []


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"created_at": "1999-01-01T00:00:00Z"}, "invalid_timestamp"),
        ({"created_at": "2030-01-01T00:00:00Z"}, "invalid_timestamp"),
        ({"created_at": "2026-11-20T11:58:00"}, "invalid_mention"),  # no time zone
        ({"text": "x" * 20_001}, "invalid_mention"),
        ({"text": "\x00\x01\x02"}, "empty_text"),
        ({"author": {"followers": 3}}, "invalid_mention"),
        ({"author": {"handle": "@a", "followers": "many"}}, "invalid_mention"),
        ({"unexpected": 1}, "invalid_mention"),
        ({"source": "X Platform!"}, "invalid_mention"),
    ],
)
def test_bad_mentions_are_refused_with_a_code(overrides: dict[str, Any], code: str) -> None:
    outcome = accept_one(mention(**overrides), catalogue=CATALOGUE, now=NOW)
    assert isinstance(outcome, tuple)
    assert outcome[0] == code


def test_non_object_item_is_refused() -> None:
    outcome = accept_one(["not", "an", "object"], catalogue=CATALOGUE, now=NOW)
    assert isinstance(outcome, tuple) and outcome[0] == "invalid_mention"


def test_control_characters_are_removed_but_newlines_kept() -> None:
    accepted = accept_one(mention(text="Acme\x07 broke\nagain\x1b"), catalogue=CATALOGUE, now=NOW)
    assert not isinstance(accepted, tuple)
    assert accepted.text == "Acme broke\nagain"


def test_batch_reports_each_item_and_keeps_the_good_ones() -> None:
    result = accept_batch(
        [mention(source_id="1"), mention(source_id="2", brand="nope"), mention(source_id="3")],
        catalogue=CATALOGUE,
        now=NOW,
    )
    assert [i for i, _ in result.accepted] == [0, 2]
    assert [(r.index, r.code) for r in result.rejected] == [(1, "unknown_brand")]


def test_replies_share_their_thread_root_conversation_key() -> None:
    root = accept_one(mention(source_id="100"), catalogue=CATALOGUE, now=NOW)
    reply = accept_one(
        mention(source_id="101", thread_id="100", parent_id="100"), catalogue=CATALOGUE, now=NOW
    )
    assert not isinstance(root, tuple) and not isinstance(reply, tuple)
    assert root.conversation_key == reply.conversation_key


def test_raw_event_id_is_the_mention_id_so_resends_are_the_same_event() -> None:
    accepted = accept_one(mention(), catalogue=CATALOGUE, now=NOW)
    assert not isinstance(accepted, tuple)
    event = mention_event(accepted)
    assert event.id == str(accepted.mention_id)
    assert event.partitionkey == accepted.conversation_key


def test_fold_handles_cyrillic_and_compatibility_forms() -> None:
    assert fold("ВОЛНА") == "волна"
    assert fold("ｆｕｌｌｗｉｄｔｈ") == "fullwidth"

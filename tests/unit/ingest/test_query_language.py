"""The tracking-rule query language: grammar, parse errors with positions, matching."""

from __future__ import annotations

import pytest

from services.ingest.rules import Brand, BrandCatalogue
from services.ingest.rules.matcher import CompiledRules, Mention
from services.ingest.rules.query import (
    And,
    Field,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    parse,
    to_text,
)

DONE_WHEN = "(acme OR #acmefail OR @acme_help) AND NOT jobs lang:fr"


def matches(query: str, text: str, lang: str | None = None, source: str | None = None) -> bool:
    return CompiledRules({"b": parse(query)}).match(Mention.of(text, lang, source)) == ["b"]


def test_issue_example_parses_into_the_expected_tree() -> None:
    assert parse(DONE_WHEN) == And(
        (
            Or((Term("text", "acme"), Term("hashtag", "#acmefail"), Term("handle", "@acme_help"))),
            Not(Term("text", "jobs")),
            Field("lang", "fr"),
        )
    )


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Acme a perdu ma valise", "fr", True),
        ("#AcmeFail encore une fois", "fr-FR", True),
        ("merci @acme_help", "fr", True),
        ("Acme recrute: jobs à Paris", "fr", False),
        ("Acme lost my bag", "en", False),
        ("Acme lost my bag", None, False),
        ("acmeology est nul", "fr", False),
    ],
)
def test_issue_example_matches_exactly_the_french_mentions(
    text: str, lang: str | None, expected: bool
) -> None:
    assert matches(DONE_WHEN, text, lang) is expected


def test_not_binds_tighter_than_and_and_and_tighter_than_or() -> None:
    assert parse("a OR b c") == Or((Term("text", "a"), And((Term("text", "b"), Term("text", "c")))))
    assert parse("NOT a b") == And((Not(Term("text", "a")), Term("text", "b")))
    assert parse("-jobs acme") == And((Not(Term("text", "jobs")), Term("text", "acme")))


def test_lower_case_operators_are_ordinary_words() -> None:
    assert parse("rock and roll") == And(
        (Term("text", "rock"), Term("text", "and"), Term("text", "roll"))
    )


def test_quoted_phrase_matches_words_in_order_across_any_whitespace() -> None:
    assert matches('"acme air"', "flew ACME\n  Air today")
    assert not matches('"acme air"', "air acme")


def test_prefix_wildcard_matches_word_starts_only() -> None:
    assert matches("refund*", "still waiting for my REFUNDS")
    assert matches("refund*", "refund please")
    assert not matches("refund*", "nonrefundable ticket")


def test_hashtag_and_handle_are_their_own_tokens() -> None:
    assert matches("#acme", "love #Acme!")
    assert not matches("#acme", "love #acmefail")
    assert not matches("acme", "love #acme")
    assert matches("@acme", "cc @ACME.")


def test_source_field_restricts_the_platform() -> None:
    assert matches("acme source:reddit", "acme", source="reddit")
    assert not matches("acme source:reddit", "acme", source="x")


@pytest.mark.parametrize(
    "text",
    ["ÁCME délai", "ac\u200bme", "\u202eacme", "ＡＣＭＥ", "acme\ufe0f"],
)
def test_matching_ignores_case_accents_width_and_invisible_characters(text: str) -> None:
    assert matches("acme", text)


def test_cyrillic_and_spaceless_scripts_match() -> None:
    assert matches("волна", "ВОЛНА опять не работает")
    assert matches("スカイベラ", "昨日スカイベラの便が遅れた")


def test_emoji_terms_match() -> None:
    assert matches('"acme 🔥"', "acme 🔥 sale")


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("", 0, "empty"),
        ("acme AND", 8, "expected a term"),
        ("(acme OR zenith", 15, "expected ')'"),
        ("acme)", 4, "unexpected"),
        ('acme "air', 5, "unterminated"),
        ("re*", 0, "at least 3"),
        ("ac*me", 0, "only allowed at the end"),
        ("acme lang:", 5, "lang: needs a value"),
        ("OR acme", 0, "expected a term"),
        ("#", 0, "needs a name"),
    ],
)
def test_parse_errors_say_what_and_where(query: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        parse(query)
    assert error.value.position == position
    assert message in error.value.message
    assert error.value.pointer(query).splitlines()[-1].index("^") == position


def test_absurdly_deep_nesting_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(QuerySyntaxError, match="nested deeper"):
        parse("(" * 500 + "acme" + ")" * 500)
    with pytest.raises(QuerySyntaxError, match="nested deeper"):
        parse("NOT " * 500 + "acme")


def test_printing_is_canonical() -> None:
    assert to_text(parse(DONE_WHEN)) == "(acme OR #acmefail OR @acme_help) AND NOT jobs AND lang:fr"
    assert to_text(parse('"AND" "acme air" refund*')) == 'and AND "acme air" AND refund*'


def test_brand_query_decides_over_its_keywords() -> None:
    catalogue = BrandCatalogue(
        [
            Brand("acme", "Acme", keywords=("acme",), query="acme -jobs"),
            Brand("zenith", "Zenith", competitor_of="acme", query="zenith* OR #zen"),
        ]
    )
    assert catalogue.match("acme jobs fair") == []
    assert catalogue.match("acme is late, zeniths too") == ["acme", "zenith"]


def test_a_stored_query_that_does_not_parse_disables_only_that_brand() -> None:
    catalogue = BrandCatalogue(
        [Brand("acme", "Acme", query="(acme"), Brand("zen", "Zen", keywords=("zen",))]
    )
    assert "acme" in catalogue.errors
    assert catalogue.match("acme zen") == ["zen"]

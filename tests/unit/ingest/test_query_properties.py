"""Property-based tests: parse -> print -> parse is the identity; the compiled matcher agrees
with the naive reference matcher on random queries and texts; the parser never crashes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.rules.matcher import CompiledRules, Mention
from services.ingest.rules.query import (
    And,
    Field,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    parse,
    to_text,
)
from tests.unit.ingest.reference_matcher import naive_match

# A small vocabulary makes hits likely; odd characters make the boundaries interesting.
WORDS = ["acme", "air", "refund", "refunds", "jobs", "волна", "ácme", "スカイ", "a_b", "x1"]
TEXT_PIECES = [*WORDS, " ", "  ", "#", "@", "-", ".", "'", "\u200b", "É", "\n", "ßa", "🔥"]


def term_values() -> st.SearchStrategy[Term]:
    word = st.sampled_from(WORDS)
    return st.one_of(
        word.map(lambda w: parse(w)),
        st.lists(word, min_size=2, max_size=3).map(lambda ws: parse('"' + " ".join(ws) + '"')),
        word.filter(lambda w: len(w) >= 3 and w.isalpha()).map(lambda w: parse(w + "*")),
        word.map(lambda w: parse("#" + w)),
        word.map(lambda w: parse("@" + w)),
    )  # type: ignore[return-value]


fields = st.builds(
    Field, st.sampled_from(["lang", "source"]), st.sampled_from(["fr", "en", "x", "reddit"])
)
leaves = st.one_of(term_values(), fields)


def trees() -> st.SearchStrategy[Node]:
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            children.map(Not),
            st.lists(children, min_size=2, max_size=4).map(lambda c: And(tuple(c))),
            st.lists(children, min_size=2, max_size=4).map(lambda c: Or(tuple(c))),
        ),
        max_leaves=12,
    )


texts = st.lists(st.sampled_from(TEXT_PIECES), max_size=12).map("".join)


@given(trees())
def test_parse_print_parse_is_the_identity(tree: Node) -> None:
    assert parse(to_text(tree)) == tree


@given(st.text(max_size=60))
def test_printing_any_parsed_query_reads_back_the_same(query: str) -> None:
    try:
        tree = parse(query)
    except QuerySyntaxError:
        return
    assert parse(to_text(tree)) == tree


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(trees(), min_size=1, max_size=5),
    texts,
    st.sampled_from([None, "fr", "en-GB"]),
    st.sampled_from([None, "x", "reddit"]),
)
def test_compiled_matcher_agrees_with_the_naive_reference(
    queries: list[Node], text: str, lang: str | None, source: str | None
) -> None:
    rules = CompiledRules({f"b{i}": q for i, q in enumerate(queries)})
    mention = Mention.of(text, lang, source)
    expected = [
        f"b{i}" for i, q in enumerate(queries) if naive_match(q, text, mention.lang, source)
    ]
    assert rules.match(mention) == expected


QUERY_PIECES = [
    "AND", "OR", "NOT", "-", "(", ")", '"', "acme", "air", "#acme", "@acme", "ref*", "refund*",
    "lang:fr", "source:x", "lang:", ":", "*", "a*", "\u200b", "ＡＣＭＥ", " ", " ", "  ",
]  # fmt: skip


@settings(max_examples=500)
@given(st.lists(st.sampled_from(QUERY_PIECES), max_size=25).map("".join))
def test_parser_fuzz_only_ever_raises_a_positioned_syntax_error(query: str) -> None:
    try:
        tree = parse(query)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= len(query)
        return
    assert parse(to_text(tree)) == tree

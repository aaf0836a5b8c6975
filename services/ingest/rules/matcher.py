"""Many brands' queries compiled into one term scan; evaluates only the queries it must.

Why Aho-Corasick (`pyahocorasick`, a maintained C extension): 1,000 brands x 20 terms is
20,000 patterns, and a regex alternation of that size backtracks per position while the
automaton finds every occurrence of every term in one pass over the text, whatever the
number of terms. A hit is then kept only if it sits on word boundaries (or is a prefix
wildcard), and only the queries of brands that had a hit, or that can match with no term
at all (e.g. `NOT jobs`), are evaluated. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import ahocorasick

from services.ingest.rules.query import (
    And,
    Field,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    needs_a_term,
    parse,
    terms,
)
from services.ingest.rules.text import is_spaceless, is_word_char, match_form

_NO_START_BEFORE = frozenset("#@")
_NO_START_BEFORE_OR_WORD = frozenset("#@_")


@dataclass(frozen=True)
class Mention:
    """What a rule looks at: the text in matching form, the language hint and the source."""

    text: str
    lang: str | None = None
    source: str | None = None

    @classmethod
    def of(
        cls,
        text: str,
        lang: str | None = None,
        source: str | None = None,
        *,
        folded: str | None = None,
    ) -> Mention:
        primary = lang.split("-")[0].split("_")[0].lower() if lang else None
        return cls(match_form(text) if folded is None else folded, primary or None, source)


def starts_on_boundary(text: str, start: int, first: str) -> bool:
    """A term may not begin inside a word, nor right after "#" or "@" (a hashtag or handle
    is its own token: `acme` does not match `#acme`)."""
    if start == 0 or is_spaceless(first):
        return True
    before = text[start - 1]
    return not (is_word_char(before) or before in _NO_START_BEFORE)


def ends_on_boundary(text: str, end: int, last: str) -> bool:
    """`end` is exclusive. A whole-word term may not be followed by a word character."""
    return end == len(text) or is_spaceless(last) or not is_word_char(text[end])


Predicate = Callable[[set[Term], Mention], bool]


def compile_query(node: Node) -> Predicate:
    """The query as nested closures, built once: evaluation then does no type dispatch, and
    an OR of plain terms (the shape of every keyword list) is one set intersection."""
    if isinstance(node, Term):
        return lambda hits, _: node in hits
    if isinstance(node, Field):
        value = node.value
        if node.name == "lang":
            return lambda _, mention: mention.lang == value
        return lambda _, mention: mention.source == value
    if isinstance(node, Not):
        child = compile_query(node.child)
        return lambda hits, mention: not child(hits, mention)
    plain = frozenset(c for c in node.children if isinstance(c, Term))
    rest = tuple(compile_query(c) for c in node.children if not isinstance(c, Term))
    if isinstance(node, Or):
        if not rest:
            return lambda hits, _: not plain.isdisjoint(hits)
        return lambda hits, mention: (
            not plain.isdisjoint(hits) or any(p(hits, mention) for p in rest)
        )
    return lambda hits, mention: plain <= hits and all(p(hits, mention) for p in rest)


def evaluate(node: Node, hits: set[Term], mention: Mention) -> bool:
    """The query's truth for a mention whose present terms are `hits`."""
    if isinstance(node, Term):
        return node in hits
    if isinstance(node, Field):
        actual = mention.lang if node.name == "lang" else mention.source
        return actual == node.value
    if isinstance(node, Not):
        return not evaluate(node.child, hits, mention)
    if isinstance(node, And):
        return all(evaluate(child, hits, mention) for child in node.children)
    return any(evaluate(child, hits, mention) for child in node.children)


class CompiledRules:
    """Immutable: brand id -> query tree, compiled into one automaton over all their terms."""

    def __init__(self, queries: Mapping[str, Node]) -> None:
        self.queries = dict(queries)
        self._predicates = {b: compile_query(q) for b, q in self.queries.items()}
        self._always = [b for b, q in self.queries.items() if not needs_a_term(q)]
        # pattern string -> the terms it stands for (an exact word and a prefix can share it)
        owners: dict[str, dict[Term, set[str]]] = {}
        for brand_id, query in self.queries.items():
            for term in terms(query):
                owners.setdefault(term.value, {}).setdefault(term, set()).add(brand_id)
        self._automaton: ahocorasick.Automaton | None = None
        if owners:
            automaton = ahocorasick.Automaton()
            for pattern, by_term in owners.items():
                entry = tuple((term, frozenset(brands)) for term, brands in by_term.items())
                # Boundary rules depend only on the pattern's first and last characters.
                free = (is_spaceless(pattern[0]), is_spaceless(pattern[-1]))
                automaton.add_word(pattern, (len(pattern), free, entry))
            automaton.make_automaton()
            self._automaton = automaton

    def scan(self, text: str) -> tuple[set[Term], set[str]]:
        """Terms present in `text` (matching form) and the brands that own them."""
        hits: set[Term] = set()
        brands: set[str] = set()
        if self._automaton is None:
            return hits, brands
        end = len(text)
        for last_index, (length, (free_start, free_end), entry) in self._automaton.iter(text):
            start = last_index - length + 1
            if start and not free_start:
                before = text[start - 1]
                if before.isalnum() or before in _NO_START_BEFORE_OR_WORD:
                    continue
            after = last_index + 1
            whole = after == end or free_end or not is_word_char(text[after])
            for term, owners in entry:
                if (whole or term.kind == "prefix") and term not in hits:
                    hits.add(term)
                    brands |= owners
        return hits, brands

    def match(self, mention: Mention) -> list[str]:
        """Brand ids whose query matches, in id order."""
        hits, candidates = self.scan(mention.text)
        candidates.update(self._always)
        predicates = self._predicates
        return sorted(b for b in candidates if predicates[b](hits, mention))


def any_of(values: Iterable[str]) -> Node | None:
    """The implicit query of a brand without one: any of its keywords, #hashtags, @handles."""
    children: list[Node] = []
    for value in values:
        quoted = value.strip().replace('"', " ")
        if not quoted.strip():
            continue
        try:
            node = parse(quoted if quoted[0] in "#@" and " " not in quoted else f'"{quoted}"')
        except QuerySyntaxError:
            continue
        if node not in children:
            children.append(node)
    if not children:
        return None
    return children[0] if len(children) == 1 else Or(tuple(children))

"""A deliberately naive matcher: one regex per term, the tree walked directly. The compiled
matcher (Aho-Corasick scan + candidate brands) must agree with it on every input."""

from __future__ import annotations

import re

from services.ingest.rules.query import And, Field, Node, Not, Term
from services.ingest.rules.text import is_spaceless, match_form


def term_present(term: Term, text: str) -> bool:
    value = term.value
    before = "" if is_spaceless(value[0]) else r"(?<![\w#@])"
    after = "" if term.kind == "prefix" or is_spaceless(value[-1]) else r"(?!\w)"
    return re.search(before + re.escape(value) + after, text) is not None


def naive_match(node: Node, text: str, lang: str | None, source: str | None) -> bool:
    folded = match_form(text)

    def walk(n: Node) -> bool:
        if isinstance(n, Term):
            return term_present(n, folded)
        if isinstance(n, Field):
            return (lang if n.name == "lang" else source) == n.value
        if isinstance(n, Not):
            return not walk(n.child)
        if isinstance(n, And):
            return all(walk(c) for c in n.children)
        return any(walk(c) for c in n.children)

    return walk(node)

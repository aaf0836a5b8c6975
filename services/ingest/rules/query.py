"""The tracking-rule query language: parse a brand's query into a tree, print it back.

Grammar (operators are upper case; a lower-case "and" is an ordinary word):

    query    := or_expr
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := unary (["AND"] unary)*          juxtaposition means AND
    unary    := ("NOT" | "-") unary | primary   "-" only when glued to what follows: -jobs
    primary  := "(" or_expr ")" | term
    term     := '"' phrase '"'                  exact words in order: "acme air"
              | word                            whole word: acme (not acmeology)
              | word "*"                        prefix wildcard: refund* (3+ characters)
              | "#" tag | "@" handle            the hashtag / handle token itself
              | "lang:" code | "source:" name   the mention's language hint / platform

NOT binds tighter than AND, AND tighter than OR. Term values are stored in matching form
(`fold`), so `ACME` and `acme` are the same query. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from services.ingest.rules.text import fold

TermKind = Literal["text", "prefix", "hashtag", "handle"]
FieldName = Literal["lang", "source"]

MAX_QUERY_CHARS = 4000
MAX_DEPTH = 50  # deeper nesting is a mistake or an attack, never a real rule
MIN_PREFIX_CHARS = 3  # "a*" would match half the language
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_SPECIAL = frozenset('()"')
_FIELD_VALUE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `position` is the 0-based character offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at position {position})")
        self.message = message
        self.position = position

    def pointer(self, query: str) -> str:
        """The query with a caret under the offending character, for humans."""
        return f"{query}\n{' ' * self.position}^ {self.message}"


@dataclass(frozen=True)
class Term:
    kind: TermKind
    value: str  # matching form; hashtags keep their "#", handles their "@"


@dataclass(frozen=True)
class Field:
    name: FieldName
    value: str


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Field | Not | And | Or


@dataclass(frozen=True)
class _Token:
    kind: Literal["(", ")", "AND", "OR", "NOT", "-", "phrase", "word", "end"]
    text: str
    position: int


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, i))  # type: ignore[arg-type]
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError("unterminated quoted phrase", i)
            tokens.append(_Token("phrase", query[i + 1 : end], i))
            i = end + 1
        elif ch == "-" and i + 1 < n and not query[i + 1].isspace() and query[i + 1] != ")":
            tokens.append(_Token("-", ch, i))
            i += 1
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in _SPECIAL:
                i += 1
            word = query[start:i]
            kind = word if word in _OPERATORS else "word"
            tokens.append(_Token(kind, word, start))  # type: ignore[arg-type]
    tokens.append(_Token("end", "", n))
    return tokens


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = _tokens(query)
        self.at = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def or_expr(self, depth: int) -> Node:
        children = [self.and_expr(depth)]
        while self.peek().kind == "OR":
            self.take()
            children.append(self.and_expr(depth))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self, depth: int) -> Node:
        children = [self.unary(depth)]
        while True:
            token = self.peek()
            if token.kind == "AND":
                self.take()
            elif token.kind in ("end", ")", "OR"):
                break
            children.append(self.unary(depth))
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise QuerySyntaxError(f"nested deeper than {MAX_DEPTH} levels", self.peek().position)
        if self.peek().kind in ("NOT", "-"):
            self.take()
            return Not(self.unary(depth + 1))
        return self.primary(depth)

    def primary(self, depth: int) -> Node:
        token = self.take()
        if token.kind == "(":
            node = self.or_expr(depth + 1)
            closing = self.take()
            if closing.kind != ")":
                raise QuerySyntaxError(
                    f"expected ')' to close the '(' at position {token.position}",
                    closing.position,
                )
            return node
        if token.kind == "phrase":
            return _phrase(token)
        if token.kind == "word":
            return _word(token)
        found = "the end of the query" if token.kind == "end" else repr(token.text)
        raise QuerySyntaxError(f"expected a term, found {found}", token.position)


def _phrase(token: _Token) -> Term:
    return Term("text", _value(token.text, token.position))


def _value(raw: str, position: int) -> str:
    """Matching form of a term's text; refuses what could never be matched or printed."""
    value = " ".join(fold(raw).split())
    if not value:
        raise QuerySyntaxError("the term is empty once normalised", position)
    if '"' in value:
        raise QuerySyntaxError('a term cannot contain a quote character "', position)
    return value


def _word(token: _Token) -> Node:
    raw, position = token.text, token.position
    key, colon, rest = raw.partition(":")
    if colon and key.lower() in ("lang", "source"):
        value = fold(rest)
        if not _FIELD_VALUE.match(value):
            raise QuerySyntaxError(f"{key.lower()}: needs a value such as fr or x", position)
        return Field(key.lower(), value)  # type: ignore[arg-type]
    value = _value(raw, position)
    if " " in value or "(" in value or ")" in value:
        # Compatibility characters can fold into a space or a bracket: then it is a phrase.
        return Term("text", value)
    if "*" in value[:-1]:
        raise QuerySyntaxError("a wildcard * is only allowed at the end of a word", position)
    if value.endswith("*"):
        stem = value[:-1]
        if len(stem) < MIN_PREFIX_CHARS or not _bare_word_reads_back(stem):
            raise QuerySyntaxError(
                f"a prefix wildcard needs at least {MIN_PREFIX_CHARS} letters before *", position
            )
        return Term("prefix", stem)
    if value[0] in "#@":
        if len(value) < 2:
            raise QuerySyntaxError(f"{value} needs a name after it", position)
        return Term("hashtag" if value[0] == "#" else "handle", value)
    return Term("text", value)


def parse(query: str) -> Node:
    """The query's tree; raises QuerySyntaxError with the position of the first problem."""
    if len(query) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"longer than {MAX_QUERY_CHARS} characters", MAX_QUERY_CHARS)
    parser = _Parser(query)
    if parser.peek().kind == "end":
        raise QuerySyntaxError("the query is empty", 0)
    node = parser.or_expr(0)
    token = parser.peek()
    if token.kind != "end":
        raise QuerySyntaxError(f"unexpected {token.text!r}", token.position)
    return node


def to_text(node: Node) -> str:
    """Canonical text of a tree: `parse(to_text(tree)) == tree`."""
    if isinstance(node, Term):
        return _term_text(node)
    if isinstance(node, Field):
        return f"{node.name}:{node.value}"
    if isinstance(node, Not):
        return f"NOT {_grouped(node.child)}"
    separator = " AND " if isinstance(node, And) else " OR "
    return separator.join(_grouped(child) for child in node.children)


def _grouped(node: Node) -> str:
    text = to_text(node)
    return f"({text})" if isinstance(node, And | Or) else text


def _term_text(term: Term) -> str:
    if term.kind == "prefix":
        return f"{term.value}*"
    if term.kind in ("hashtag", "handle") or _bare_word_reads_back(term.value):
        return term.value
    return f'"{term.value}"'


def _bare_word_reads_back(value: str) -> bool:
    return (
        value not in _OPERATORS
        and not any(ch.isspace() or ch in _SPECIAL for ch in value)
        and value[0] not in "-#@"
        and "*" not in value
        and value.split(":", 1)[0] not in ("lang", "source")
    )


def terms(node: Node) -> list[Term]:
    """Every term of the tree, in order (repeats included)."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Field):
        return []
    if isinstance(node, Not):
        return terms(node.child)
    return [t for child in node.children for t in terms(child)]


def needs_a_term(node: Node) -> bool:
    """True when the query can only match a text containing one of its terms, so a mention
    with no term hit never needs evaluating (the common case, and what makes matching fast)."""
    if isinstance(node, Term):
        return True
    if isinstance(node, Field | Not):
        return False
    if isinstance(node, And):
        return any(needs_a_term(child) for child in node.children)
    return all(needs_a_term(child) for child in node.children)

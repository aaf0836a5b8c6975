"""The brand catalogue: which brands a mention is about.

A brand with a tracking query (`brands.query`, see `rules/query.py`) is matched by that
query alone. A brand without one matches when any of its keywords, #hashtags or @handles
occurs as a whole token, limited to its languages if it lists some. Competitors are brands
too (`competitor_of`), so share of voice counts them the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from services.ingest.rules.matcher import CompiledRules, Mention, any_of
from services.ingest.rules.query import Node, QuerySyntaxError, parse
from services.ingest.rules.text import fold

__all__ = ["Brand", "BrandCatalogue", "fold"]


@dataclass(frozen=True)
class Brand:
    id: str
    name: str
    competitor_of: str | None = None
    keywords: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    urgent_keywords: tuple[str, ...] = ()
    languages: tuple[str, ...] = field(default=())
    query: str | None = None

    def terms(self) -> list[str]:
        return [*self.keywords, *self.hashtags, *self.handles]

    def rule(self) -> Node | None:
        """The brand's query tree: its own query, or the implicit one from its terms.
        Raises QuerySyntaxError for a stored query that does not parse."""
        if self.query and self.query.strip():
            return parse(self.query)
        return any_of(self.terms())

    def language_ok(self, lang: str | None) -> bool:
        """A brand without a query may be limited to languages; a mention without a language
        hint still matches it. A brand with a query says `lang:` itself."""
        if self.query or not self.languages or lang is None:
            return True
        return fold(lang).split("-")[0] in {fold(language) for language in self.languages}


class BrandCatalogue:
    """Immutable snapshot of the configured brands, compiled once for matching."""

    def __init__(self, brands: Sequence[Brand]) -> None:
        self.brands = {brand.id: brand for brand in brands}
        self._ids = sorted(self.brands)
        self.errors: dict[str, QuerySyntaxError] = {}
        queries: dict[str, Node] = {}
        for brand in brands:
            try:
                rule = brand.rule()
            except QuerySyntaxError as exc:  # refused when stored; never crash on an old row
                self.errors[brand.id] = exc
                continue
            if rule is not None:
                queries[brand.id] = rule
        self.rules = CompiledRules(queries)

    def ids(self) -> list[str]:
        return list(self._ids)

    def __contains__(self, brand_id: object) -> bool:
        return brand_id in self.brands

    def match(
        self,
        text: str,
        lang: str | None = None,
        source: str | None = None,
        *,
        folded: str | None = None,
    ) -> list[str]:
        """Brands whose rules match: tracked brands first, then competitors. `folded`, when
        the caller already has it, is `match_form(text)`."""
        matched = [
            b
            for b in self.rules.match(Mention.of(text, lang, source, folded=folded))
            if self.brands[b].language_ok(lang)
        ]
        return sorted(matched, key=lambda b: (self.brands[b].competitor_of is not None, b))

"""The brand catalogue and its term matcher (keywords, phrases, #hashtags, @handles).

Matching runs on Unicode-normalised text: NFKC, case-folded, diacritics removed, zero-width
and bidi control characters dropped, so "NORTHWİND", "northwind" and "nőrthwind" all match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Zero-width characters, soft hyphen and bidi controls: invisible, and used to dodge filters.
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def fold(text: str) -> str:
    """Comparison form of a text: NFKC, invisible characters removed, casefolded, no accents."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


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

    def terms(self) -> list[str]:
        return [*self.keywords, *self.hashtags, *self.handles]


class BrandCatalogue:
    """Immutable snapshot of the configured brands, compiled once for matching."""

    def __init__(self, brands: Sequence[Brand]) -> None:
        self.brands = {brand.id: brand for brand in brands}
        self._patterns = {brand.id: _compile(brand.terms()) for brand in brands if brand.terms()}

    def ids(self) -> list[str]:
        return sorted(self.brands)

    def __contains__(self, brand_id: object) -> bool:
        return brand_id in self.brands

    def match(self, text: str, lang: str | None = None) -> list[str]:
        """Brands whose terms occur in `text`: tracked brands first, then competitors."""
        folded = fold(text)
        matched = [
            brand_id
            for brand_id, pattern in self._patterns.items()
            if pattern.search(folded) and self._language_ok(brand_id, lang)
        ]
        return sorted(matched, key=lambda b: (self.brands[b].competitor_of is not None, b))

    def _language_ok(self, brand_id: str, lang: str | None) -> bool:
        languages = self.brands[brand_id].languages
        return not languages or lang is None or lang in languages


def _compile(terms: Iterable[str]) -> re.Pattern[str]:
    # A term matches as a whole token: "acme" matches "Acme's" but not "acmeology".
    alternatives = sorted(
        {re.escape(fold(term.strip())) for term in terms if term.strip()}, key=len, reverse=True
    )
    return re.compile(r"(?<![\w#@])(?:" + "|".join(alternatives) + r")(?!\w)")

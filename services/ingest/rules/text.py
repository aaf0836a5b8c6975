"""Unicode-normalised matching form of a text, shared by rules and the texts they scan.

NFKC (full-width and compatibility forms), invisible characters removed, case-folded,
diacritics removed, whitespace collapsed: "NORTHWİND", "northwind", "nőrthwind" and
"north\u200bwind" all read "northwind". Pure.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import cache

# Zero-width characters, soft hyphen, bidi marks and controls, emoji variation selectors:
# invisible, and used to dodge filters ("ac\u200bme") or to reorder what a human sees.
_INVISIBLE = dict.fromkeys(
    [
        0x00AD,
        0x061C,
        0x180E,
        0x200B,
        0x200C,
        0x200D,
        0x200E,
        0x200F,
        0x2060,
        0xFEFF,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        *range(0xFE00, 0xFE10),
    ]
)

# Scripts written without spaces between words: a term in them cannot require a word
# boundary, or "スカイベラ" would never match inside a Japanese sentence.
_SPACELESS = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x9FFF),  # CJK radicals, kana, CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3FFFF),  # CJK extensions
)


@cache
def _dropped() -> dict[int, None]:
    """Invisible characters and every combining mark (built once, on first use: a scan of
    all code points takes a moment). One `str.translate` is 3x faster than a filter loop."""
    marks = [cp for cp in range(sys.maxunicode + 1) if unicodedata.combining(chr(cp))]
    return {**_INVISIBLE, **dict.fromkeys(marks)}


def fold(text: str) -> str:
    """Comparison form of a text: NFKC, invisible characters removed, casefolded, no accents."""
    if text.isascii():  # the common case, ten times faster
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold()
    stripped = unicodedata.normalize("NFD", text).translate(_dropped())
    # Recompose: Hangul and a few scripts decompose into non-combining jamo.
    return unicodedata.normalize("NFC", stripped)


def match_form(text: str) -> str:
    """What rules are matched against: folded, runs of whitespace as one space."""
    return " ".join(fold(text).split())


def is_word_char(ch: str) -> bool:
    """The same notion of "word character" as the regex `\\w`."""
    return ch.isalnum() or ch == "_"


def is_spaceless(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _SPACELESS)

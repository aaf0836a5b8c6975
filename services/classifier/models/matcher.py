"""Multi-pattern cue matching on folded text (see `text.fold`).

Why Aho-Corasick (`pyahocorasick`) and not one regex per category: there are several hundred
cues across ten languages and a dozen categories; one automaton finds all of them in a single
linear pass over the text, whatever the number of patterns, so a 10k-char message costs the
same as scanning it once. A regex alternation backtracks per position and per category.
Word boundaries come from `fold`, which reduces the text to words separated by single spaces:
a cue `"sue"` is searched as `" sue "`, and a prefix cue `"hack*"` as `" hack"` (matches
hacked, hacker, hacking).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ahocorasick

from services.classifier.models.text import fold


@dataclass(frozen=True)
class CueHit:
    category: str
    cue: str


def _key(cue: str) -> str:
    folded = fold(cue.rstrip("*")).strip()
    if not folded:
        raise ValueError(f"cue {cue!r} is empty once folded")
    return " " + folded + ("" if cue.endswith("*") else " ")


class CueMatcher:
    """Finds which categories' cues occur in a text. Built once; `find` is thread-safe."""

    def __init__(self, cues: Mapping[str, Iterable[str]]) -> None:
        self._automaton = ahocorasick.Automaton()
        table: dict[str, list[CueHit]] = {}
        for category, phrases in cues.items():
            for phrase in phrases:
                hits = table.setdefault(_key(phrase), [])
                # Spellings that fold alike ('للأسف' / 'للاسف') are one cue, found once.
                if all(hit.category != category for hit in hits):
                    hits.append(CueHit(category, phrase.rstrip("*")))
        for key, hits in table.items():
            self._automaton.add_word(key, tuple(hits))
        self._empty = not table
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, text: str, *, folded: bool = False) -> dict[str, list[str]]:
        """Category -> cues found (first occurrence order, no duplicates)."""
        if self._empty:
            return {}
        haystack = text if folded else fold(text)
        found: dict[str, list[str]] = {}
        for _end, hits in self._automaton.iter(haystack):
            for hit in hits:
                cues = found.setdefault(hit.category, [])
                if hit.cue not in cues:
                    cues.append(hit.cue)
        return found

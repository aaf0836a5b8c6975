"""Text hygiene shared by every model: never raise, bound the work, normalise for matching."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Models see at most this many characters. A tweet is < 300 chars; long posts carry their
# sentiment early, and bounding the input keeps a 100k-char message from stalling a batch.
MODEL_MAX_CHARS = 2_000
# Cue matching (urgency, spam, lexicons) looks a little further: a threat buried at the end of
# a long complaint still counts, but the work stays linear and bounded.
MATCH_MAX_CHARS = 10_000

_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
_WS = re.compile(r"\s+")
# Scripts whose vowel signs, viramas and nuktas are part of a word (Devanagari and the other
# Indic scripts, Sinhala, Thai, Lao, Tibetan, Myanmar, Khmer): their combining marks are
# neither stripped like Latin accents nor word breaks. Their sentence marks (dandas and the
# like) still break words.
_ABUGIDA = "\u0900-\u0dff\u0e00-\u0fff\u1000-\u109f\u1780-\u17ff"
_SENTENCE_MARKS = "\u0964\u0965\u0e2f\u0e5a\u0e5b\u0f0d-\u0f12\u104a\u104b\u17d4-\u17d6"
_NON_WORD = re.compile(rf"(?:[^\w$%€£{_ABUGIDA}]|[{_SENTENCE_MARKS}])+")
_IN_ABUGIDA = re.compile(rf"[{_ABUGIDA}]")
_URL = re.compile(r"(?:https?://\S+|www\.\S+|\bhttp\b)", re.IGNORECASE)
_HANDLE = re.compile(r"@\w{1,30}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def clean(text: str | None, max_chars: int = MODEL_MAX_CHARS) -> str:
    """Drop control / bidi-override characters, collapse whitespace, cut to `max_chars`.

    Bidi overrides (U+202A..U+202E, U+2066..U+2069) are removed because they only change
    display order and are a known trick to hide words from filters; RTL letters themselves
    are kept.
    """
    if not text:
        return ""
    text = text[: max_chars * 2]  # cheap pre-cut before the regexes run
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (from JSON escapes) break tokenizers
        text = text.encode("utf-8", "replace").decode("utf-8")
    text = _CONTROL.sub(" ", text)
    text = _WS.sub(" ", text).strip()
    return text[:max_chars]


_RETWEET = re.compile(r"\bRT\b")  # the retweet marker; upper case only ('rt' is a word)
_HASHTAG = re.compile(r"#[^\W_]\w*")
_WORD = re.compile(r"[^\W\d_]{2,}")


def own_words(text: str) -> str:
    """What language identification should read: the text without links (and the `http`
    placeholder they are normalised to), e-mail addresses, @handles, the retweet marker and
    hashtag signs.
    None of those is a word of the text's language, and they mislead short-text detectors:
    lingua's trigram model called "l'éolien volant : des éoliennes en altitude http"
    Portuguese (0.99), and French without the `http`.
    Hashtags go too where at least two words of two letters or more are left: a tag is
    mostly a show's or a brand's name ("#MasterChefBR" made lingua call short Portuguese
    tweets Romanian or Danish); a text made of little else keeps them, without the sign."""
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)  # before the handles: "bhai.yaar@gmail.com" is no text
    text = _HANDLE.sub(" ", text)
    text = _RETWEET.sub(" ", text)
    untagged = _HASHTAG.sub(" ", text)
    if len(_WORD.findall(untagged)) >= 2:
        text = untagged
    return _WS.sub(" ", text.replace("#", " ")).strip()


def normalise_for_model(text: str | None) -> str:
    """What the trained models and VADER see: handles and links replaced the way the
    training data was prepared (`@user`, `http`), so train and serve agree."""
    text = clean(text)
    text = _URL.sub("http", text)
    return _HANDLE.sub("@user", text)


@lru_cache(maxsize=1024)  # spam and the polarity cues fold the same texts of a batch
def fold(text: str | None, max_chars: int = MATCH_MAX_CHARS) -> str:
    """Casefold, strip accents, keep word characters, pad with spaces: ' my card was hacked '.

    Matching cues on this form makes 'Remboursé', 'rembourse' and 'REMBOURSÉ' equal and turns
    word boundaries into plain spaces, so a substring automaton can match whole words. Vowel
    signs of Indic, Thai and similar scripts stay in their words ('खाता' stays one word).
    """
    text = clean(text, max_chars).casefold()
    if not text.isascii():  # ASCII has nothing to decompose (most tweets: ~2x faster)
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(
            ch
            for ch in decomposed
            if not unicodedata.combining(ch) or _IN_ABUGIDA.match(ch) is not None
        )
        # Polish/Scandinavian letters without a decomposition: fold to their base letter.
        text = text.translate(_EXTRA_FOLD)
    return " " + _NON_WORD.sub(" ", text).strip() + " "


_EXTRA_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})


def count_urls(text: str) -> int:
    return len(_URL.findall(text))


def count_handles(text: str) -> int:
    return len(_HANDLE.findall(text))

"""Language identification: the platform hint when it is a valid code, else lingua.

lingua (lingua-language-detector) ships its n-gram models in the wheel, works offline and is
the most accurate open detector on short texts. Two detectors over the same ~26 languages:
- low-accuracy mode (trigrams only, ~4k texts/s on 2 cores) decides when it is confident;
- high-accuracy mode (1- to 5-grams, ~1.2k texts/s) re-checks only the ambiguous rest, which
  is where short tweets land. Measured on UMSAB val fr/de: low 0.90, cascade ≈ high 0.97.
Restricting the candidate set avoids the classic short-text confusions with rare languages
(a two-word English tweet "detected" as Latin or Tagalog). Detection reads the text's own
words (`text.own_words`: no links, `http` placeholders, e-mail addresses, @handles, `RT`,
hashtags), which swayed the trigram pass: UMSAB val French named French 0.944 -> 0.994,
German 0.892 -> 0.923.

lingua's Hindi model knows Devanagari only, and Hindi (and Urdu) on social media is mostly
written in Latin letters ("Hinglish", Roman Urdu): `romanised_hindi` names those `hi` from
marker words before lingua sees them, and with a lower bar (one strong marker) the short ones
lingua has read and could not name.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from schemas.mention import Language
from services.classifier.models.text import clean, own_words

if TYPE_CHECKING:
    from lingua import LanguageDetector

DETECTED_LANGUAGES = (
    "ENGLISH FRENCH GERMAN SPANISH PORTUGUESE ITALIAN DUTCH ROMANIAN RUSSIAN FINNISH POLISH "
    "SWEDISH DANISH BOKMAL TURKISH ARABIC HINDI JAPANESE CHINESE KOREAN UKRAINIAN GREEK HEBREW "
    "INDONESIAN CZECH HUNGARIAN"
).split()

# All ISO 639-1 codes, to validate platform hints (Twitter also sends 'und', 'qme', 'zxx').
_ISO_639_1 = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu
    cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho
    hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv
    kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr
    nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq
    sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh
    yi yo za zh zu""".split()
)
_LEGACY = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv"}

LOW_MODE_CONFIDENT = 0.9  # low-mode top confidence above which we skip the high-accuracy pass
MIN_CONFIDENCE = 0.25  # below this the text is too short/mixed to name a language
DETECT_MAX_CHARS = 1_000  # the first 1k chars decide; keeps 100k-char posts cheap

# Romanised Hindi / Urdu. Unhinted, lingua put UMSAB's Hindi val tweets (all in Latin letters)
# on en 156, und 85, id 24, fi 19, nl 9 ... of 324. STRONG: frequent Hindi / Urdu words that
# are, as far as we know, no common word or name in the Latin-script languages detected here
# (every one but 'hamara' in at least 5 times as large a share of UMSAB's 1,839 Hindi train
# tweets as of the en / fr / de / es / it / pt train splits', the 48k SemEval and the
# OffensEval and HatEval train tweets; most in 6 or more of them). WEAK: ones that collide, or
# that are short enough to: Indonesian 'agar' / 'karna' / 'kisi' / 'bata' / 'bada' / 'laga' /
# 'karo' (the regency), Turkish 'hain' / 'sirf' / 'sahi' / 'dil' / 'bana', Finnish 'raha' /
# 'meri' / 'usko' / 'maa' / 'mene' / 'pakka', Dutch 'baar' / 'kon', Spanish / Portuguese
# 'mera' / 'pata' / 'tera' / 'acha' / 'paisa' / 'jao', Spanish 'pta' (slang), German 'saal',
# Danish / Norwegian 'kro' (an inn), Romanian 'hoti', French 'hote' (hôte), Czech / Polish
# 'apka', Polish 'waha', Javanese 'kiye', Japanese 'kyon' / 'kyu', English 'hue' / 'koi' /
# 'matlab' / 'jab' / 'mere' / 'yeh' / 'hone' / 'woh', German 'mein', Italian 'hai' / 'ho',
# names such as 'Abhi', 'Desh', 'Diya', 'Dena', 'Naya', 'Aage', 'Milne', 'Kahan'. Left out:
# Indonesian 'gaya' / 'wali', Dutch 'baat' / 'naam' / 'maar', Romanian 'aur', German 'karte',
# Polish / Czech / Indonesian 'tak'; 'main' (English, French, Malay, the river). WEAK words
# count only beside a strong one, and then two of them are needed.
ROMANISED_HINDI_STRONG = frozenset(
    """aaj aana aapka aapke aapki aapko aapne aaya aaye aayega accha achha aisi apko apna apne
    apni baap bachpan bahot bahut banaya bhai bhaijaan bhi bhul bilkul bohot chahiye dekh
    dekhna dekhne dekho deta duniya galti gayi ghar gya gye gyi hamara hamare hamari hamesha
    hoga hogi hota humara humare humari humko iska iske iski itna jagah jaisa jaise jaye
    jayega jyada kaam kabhi kaise kaisi karke karne kaun kharab khud khush kitna kitne kiya
    krna krne krta krte kuch kya kyonki kyuki kyun kyunki ladki lagta lekin liya liye mujhe
    nahi nahin nhi padega paise pasand pehle phir pyaar pyar rahe rahi rakh saath sab sabko
    sabse sakta sakte samajh sath skta soch theek thik thodi tujhe tumhara tumhare tumhari
    tumhe unka unki unko upar uska uske uski usse walo wapas yaad yaar yaha yahan yahi yehi
    zindagi""".split()
)
ROMANISED_HINDI_WEAK = frozenset(
    """aage aap aata abhi acha agar aisa aise apka apke apki aya baad baar bada bana bata bhut
    chal dena desh dete dil diya ek hai hain ho hone hoon hote hoti hu hue hui hum jab jao
    ji jo ka kab kahan kar karna karo ke ki kisi kiye ko koi kon kr kro kyon kyu laga maa
    matlab mein mene mera mere meri milne na nai naya ne paisa pakka par pata pe pta raha
    rha rhe saal sahi se sirf tera teri tha thi toh tum unke usko waha wahan waise wala wale
    woh yar ye yeh""".split()
)
_WORDS = re.compile(r"[^\W\d_]+")


def normalise_hint(hint: str | None) -> str | None:
    """'en-GB' -> 'en', 'IN' -> 'id'; None for missing, undetermined or invalid hints."""
    if not hint:
        return None
    code = hint.strip().replace("_", "-").split("-")[0].lower()
    code = _LEGACY.get(code, code)
    return code if code in _ISO_639_1 else None


class LanguageIdentifier:
    """Thread-safe; the detectors are built lazily on first use (no work at import)."""

    def __init__(self, languages: Sequence[str] = DETECTED_LANGUAGES) -> None:
        self._languages = tuple(languages)
        self._hindi = "HINDI" in self._languages
        self._lock = threading.Lock()
        self._fast: LanguageDetector | None = None
        self._full: LanguageDetector | None = None
        self._preloaded = False

    def preload(self) -> None:
        """Load every language's models now (~3.4 s and a few hundred MB on the benchmark
        machine) rather than each on the first text that needs it, which stalls that batch
        (~0.5 s measured mid-stream). For services; a one-off command can stay lazy."""
        with self._lock:
            if not self._preloaded:
                self._fast, self._full = self._build(preload=True)
                self._preloaded = True

    def _detectors(self) -> tuple[LanguageDetector, LanguageDetector]:
        with self._lock:
            if self._fast is None or self._full is None:
                self._fast, self._full = self._build(preload=False)
            return self._fast, self._full

    def _build(self, *, preload: bool) -> tuple[LanguageDetector, LanguageDetector]:
        from lingua import Language as LinguaLanguage
        from lingua import LanguageDetectorBuilder

        langs = [getattr(LinguaLanguage, name) for name in self._languages]
        fast = LanguageDetectorBuilder.from_languages(*langs).with_low_accuracy_mode()
        full = LanguageDetectorBuilder.from_languages(*langs)
        if preload:
            fast = fast.with_preloaded_language_models()
            full = full.with_preloaded_language_models()
        return fast.build(), full.build()

    def identify(self, texts: Sequence[str], hints: Sequence[str | None]) -> list[Language]:
        results: list[Language | None] = [None] * len(texts)
        todo: list[int] = []
        snippets: list[str] = []
        for i, (text, hint) in enumerate(zip(texts, hints, strict=True)):
            code = normalise_hint(hint)
            if code is not None:
                results[i] = Language(code=code, confidence=1.0, method="hint")
                continue
            # Links, handles and hashtag signs are no words of the text's language.
            snippet = clean(own_words(text[: 2 * DETECT_MAX_CHARS]), DETECT_MAX_CHARS)
            if not any(ch.isalpha() for ch in snippet):
                results[i] = Language(code="und", confidence=0.0, method="undetermined")
            elif self._hindi and (hindi := romanised_hindi(snippet)):
                results[i] = Language(code="hi", confidence=hindi, method="detected")
            else:
                todo.append(i)
                snippets.append(snippet)
        if todo:
            fast, full = self._detectors()
            first = fast.compute_language_confidence_values_in_parallel(snippets)
            unsure = [k for k, values in enumerate(first) if _top(values)[1] < LOW_MODE_CONFIDENT]
            if unsure:
                second = full.compute_language_confidence_values_in_parallel(
                    [snippets[k] for k in unsure]
                )
                for k, values in zip(unsure, second, strict=True):
                    first[k] = values
            for k, values in enumerate(first):
                code, confidence = _top(values)
                if code is None or confidence < MIN_CONFIDENCE:
                    hindi = self._hindi and romanised_hindi(snippets[k], undetermined=True)
                    results[todo[k]] = (
                        Language(code="hi", confidence=hindi, method="detected")
                        if hindi
                        else Language(
                            code="und", confidence=round(confidence, 4), method="undetermined"
                        )
                    )
                else:
                    results[todo[k]] = Language(
                        code=code, confidence=round(confidence, 4), method="detected"
                    )
        return [r for r in results if r is not None]


def romanised_hindi(text: str, *, undetermined: bool = False) -> float | None:
    """How sure the marker words make it that `text` is Hindi or Urdu in Latin letters; None
    when they do not. Links, @handles, user names and acronyms are ignored, each word counts
    once, and it takes two different strong markers, or one strong and two different weak
    ones; a letter outside ASCII (another script, or accented Latin) leaves the text to
    lingua. Each strong marker halves the remaining doubt, each weak one shrinks it by a
    factor of sqrt(2).

    `undetermined`: lingua has read the text and could not name its language (too short or
    mixed: "Mast hun yaar", "Pata nhi"); then one strong marker is enough, weak ones alone
    never ("Tum kafar ho" stays undetermined)."""
    if (
        not undetermined
        and not {w.casefold() for w in _WORDS.findall(text)} & ROMANISED_HINDI_STRONG
    ):
        return None  # most texts: no strong marker anywhere, links and handles included
    shouting = text.isupper()
    kept = [
        token
        for token in text.split()
        # Links, handles, e-mail addresses, user names are no words of the text's language,
        # and a short all-capitals token in a text that is not all capitals is an acronym (AAP).
        if not any(c in token for c in "@_/") and (shouting or not _acronym(token))
    ]
    words = {w.casefold() for w in _WORDS.findall(" ".join(kept))}
    if not all(w.isascii() for w in words):
        return None
    strong = len(words & ROMANISED_HINDI_STRONG)
    weak = len(words & ROMANISED_HINDI_WEAK)
    enough = strong >= 1 if undetermined else strong >= 2 or (strong == 1 and weak >= 2)
    return round(1.0 - 0.5 ** (strong + weak / 2), 4) if enough else None


def _acronym(token: str) -> bool:
    letters = "".join(_WORDS.findall(token))
    return 2 <= len(letters) <= 5 and letters.isupper()


def _top(values: Sequence[object]) -> tuple[str | None, float]:
    if not values:
        return None, 0.0
    best = values[0]
    confidence = float(best.value)  # type: ignore[attr-defined]
    if confidence <= 0.0:
        return None, 0.0
    return best.language.iso_code_639_1.name.lower(), min(1.0, confidence)  # type: ignore[attr-defined]

"""Sentiment polarity cues for the languages with a sentiment specialist (ar, de, es, fr, hi,
it, pt): words and short phrases that say "good" or "bad" about a product, a service or a day.

The specialists learn from ~1.8k tweets per language, general chatter more than customer care,
so common complaint words ('pessimo', 'nul', 'Katastrophe') can be rare or missing in their
train data. The count of positive and of negative cues in a text are two extra features of the
specialist: their weights are learned from the same train tweets, so the lexicon only says
which words share a polarity, not how much that counts.

Matched by `matcher.CueMatcher` on folded text (case and accents ignored, `*` = prefix). Words
whose polarity flips with context or that collide across languages are left out ('bien',
'gut' alone are kept only where mostly positive). Hindi is listed romanised (as most Hindi
tweets are written) and in Devanagari.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from services.classifier.models.matcher import CueMatcher
from services.classifier.models.text import fold

# fmt: off
POSITIVE: dict[str, tuple[str, ...]] = {
    "fr": (
        "merci", "genial*", "super", "parfait*", "excellent*", "magnifique*", "adore", "j adore",
        "top", "bravo", "felicitation*", "heureux", "heureuse", "content", "contente", "ravi",
        "ravie", "recommande", "formidable*", "incroyable*", "trop bien", "tres bien", "bon",
        "bonne", "meilleur*", "sympa", "agreable*", "satisfait*", "rapide", "efficace*", "cool",
        "enfin", "merveilleu*", "love", "j aime",
    ),
    "de": (
        "danke", "dankeschon", "super", "toll*", "klasse", "perfekt*", "ausgezeichnet*",
        "wunderbar*", "wunderschon*", "gut", "sehr gut", "prima", "genial*", "zufrieden*",
        "freue", "freut", "freude", "liebe", "lieben", "empfehle*", "hervorragend*", "spitze",
        "top", "beste*", "schnell*", "freundlich*", "gerne wieder", "endlich", "geil",
        "gluck*", "glucklich*",
    ),
    "es": (
        "gracias", "genial*", "excelente*", "perfect*", "me encanta", "encanta", "encantad*",
        "maravillos*", "buen", "buena", "buenisim*", "mejor", "feliz", "felices", "contento",
        "contenta", "recomiendo", "recomendable", "increible*", "fantastic*", "estupend*",
        "guay", "bien", "rapido", "rapida", "amable*", "satisfech*", "enhorabuena", "felicidades",
        "bravo", "amo", "te quiero",
    ),
    "it": (
        "grazie", "fantastic*", "perfett*", "ottim*", "eccellent*", "bellissim*", "bello",
        "bella", "bravo", "bravi", "brava", "complimenti", "adoro", "felice", "felici",
        "content*", "soddisfatt*", "consiglio", "stupend*", "meraviglios*", "splendid*", "super",
        "top", "buon", "buono", "buona", "migliore", "veloce", "gentil*", "finalmente", "amo",
    ),
    "pt": (
        "obrigad*", "valeu", "otim*", "excelente*", "perfeit*", "adorei", "adoro", "amei",
        "amo", "maravilhos*", "incrivel", "incriveis", "fantastic*", "feliz", "felizes",
        "satisfeit*", "recomendo", "parabens", "bom", "boa", "melhor", "lind*", "show",
        "top", "rapido", "rapida", "gentil*", "sensacional*", "demais", "massa",
    ),
    "ar": (
        "شكرا", "شكرًا", "ممتاز*", "رائع*", "جميل*", "جميله", "احسن", "أحسن", "افضل", "أفضل",
        "سعيد*", "مبروك", "الحمد لله", "حلو*", "عظيم*", "احب", "أحب", "بحب", "يسلمو", "تسلم",
        "ابداع", "إبداع", "مبدع*", "موفق*", "الله يعطيك العافيه", "فرحان*",
    ),
    "hi": (
        "accha", "achha", "acha", "achhi", "acchi", "badhiya", "badiya", "mast", "zabardast",
        "shandar", "shaandaar", "khush", "dhanyavad", "dhanyawad", "shukriya", "pyaar",
        "pyar", "behtareen", "behtarin", "kamaal", "kamal", "sundar", "wah", "waah",
        "अच्छा", "अच्छी", "बढ़िया", "शानदार", "खुश", "धन्यवाद", "शुक्रिया", "प्यार",
        "बेहतरीन", "कमाल", "सुंदर", "वाह",
    ),
}

NEGATIVE: dict[str, tuple[str, ...]] = {
    "fr": (
        "nul", "nulle", "nuls", "honte", "honteu*", "scandal*", "inadmissible", "inacceptable",
        "arnaque*", "escro*", "decu", "decue", "decevant*", "deception", "horrible*",
        "affreu*", "catastroph*", "lamentable*", "pitoyable*", "pire", "marre", "en ai marre",
        "furieu*", "enerve*", "colere", "triste*", "nulle part", "jamais recu", "toujours pas",
        "rembourse*", "plainte", "bug*", "plante", "panne", "merde", "degueulasse",
        "inutile*", "mauvais*", "mediocre*", "lent", "lente",
    ),
    "de": (
        "schlecht*", "schlimm*", "katastroph*", "enttausch*", "frech*", "unverschamt*",
        "skandal*", "schande", "abzocke*", "betrug*", "nervig*", "argerlich*",
        "sauer", "wutend*", "traurig*", "furchtbar*", "schrecklich*", "mies*", "peinlich*",
        "nie wieder", "immer noch nicht", "kein service", "keine antwort", "mist", "scheiss*",
        "scheis*", "kacke", "nutzlos*", "unmoglich*", "langsam*", "stort", "storung*",
        "absturz*", "sturzt ab", "kaputt*", "defekt*",
    ),
    "es": (
        "pesim*", "fatal", "horrible*", "terrible*", "asco", "asqueros*", "verguenza",
        "vergonzos*", "estafa*", "estafador*", "timo", "decepcion*", "decepcionad*", "peor",
        "malo", "mala", "malisim*", "desastre*", "indignant*", "indignad*", "harto", "harta",
        "enfadad*", "cabread*", "triste*", "lamentable*", "inaceptable", "nunca llego",
        "sigo esperando", "reembolso", "no funciona", "se cae", "caido", "lento", "lenta",
        "mierda", "inutil*", "odio",
    ),
    "it": (
        "pessim*", "schifo", "schifos*", "vergogna", "vergognos*", "truffa*", "truffator*",
        "delus*", "deludent*", "orribil*", "terribil*", "disastro*", "peggio", "peggiore",
        "brutto", "brutta", "male", "inaccettabil*", "scandalo*", "scandalos*", "arrabbiat*",
        "incazzat*", "triste*", "stufo", "stufa", "mai arrivato", "mai arrivata", "rimborso",
        "non funziona", "bloccat*", "lento", "lenta", "merda", "inutil*", "odio", "ridicol*",
    ),
    "pt": (
        "pessim*", "horrivel", "horriveis", "terrivel", "terriveis", "vergonha", "vergonhos*",
        "golpe*", "fraude*", "decepcao", "decepcionad*", "pior", "ruim", "ruins", "lixo",
        "porcaria*", "desastre*", "absurdo*", "ridicul*", "raiva", "irritad*", "revoltad*",
        "triste*", "cansad*", "nunca chegou", "ate agora nada", "reembolso", "nao funciona",
        "trava", "travando", "lento", "lenta", "merda", "inutil", "odeio", "descaso",
    ),
    "ar": (
        "سيء", "سيئ", "سيئه", "سيئة", "زفت", "فاشل*", "اسوا", "أسوأ", "خايس", "حرامي*", "نصب",
        "نصابين", "كذاب*", "كذب", "مقرف*", "حزين*", "زعلان*", "للاسف", "للأسف", "خساره",
        "خسارة", "فضيحه", "فضيحة", "ظلم", "قرف", "تعبان*", "مشكله", "مشكلة", "لا يعمل",
        "معطل*", "بطيء", "حسبي الله",
    ),
    "hi": (
        "bekar", "bekaar", "bakwas", "bakwaas", "ghatiya", "ganda", "gandi", "bura", "buri",
        "pagal", "chor", "dhokha", "dhoka", "sharam", "sharm", "nafrat", "dukh", "dukhi",
        "pareshan", "gussa", "faltu", "bewakoof", "bevkoof", "jhooth", "jhoot", "barbaad",
        "बेकार", "बकवास", "घटिया", "गंदा", "बुरा", "बुरी", "चोर", "धोखा", "शर्म", "नफरत",
        "दुख", "परेशान", "गुस्सा", "फालतू", "झूठ", "बर्बाद",
    ),
}
# fmt: on


@cache
def matcher(language: str) -> CueMatcher:
    """The positive / negative cue matcher of one language (empty for others)."""
    return CueMatcher(
        {
            "positive": _distinct(POSITIVE.get(language, ())),
            "negative": _distinct(NEGATIVE.get(language, ())),
        }
    )


def _distinct(cues: tuple[str, ...]) -> list[str]:
    """One cue per folded form: spelling variants ('للأسف' / 'للاسف') count as one cue."""
    seen: dict[str, str] = {}
    for cue in cues:
        seen.setdefault(fold(cue.rstrip("*")) + ("*" if cue.endswith("*") else ""), cue)
    return list(seen.values())


def polarity_counts(texts: list[str], language: str) -> list[tuple[int, int]]:
    """(distinct positive cues, distinct negative cues) found in each text."""
    m = matcher(language)
    out = []
    for text in texts:
        found = m.find(text)
        out.append((len(found.get("positive", ())), len(found.get("negative", ()))))
    return out


def lexicon_digest() -> str:
    """Names this lexicon in an artifact: a model trained on other cues reads other features."""
    blob = json.dumps([POSITIVE, NEGATIVE], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


def cue_features(texts: list[str], language: str) -> list[tuple[float, float]]:
    """The specialist's two cue features: log(1 + count) of positive and of negative cues."""
    import math

    return [(math.log1p(p), math.log1p(n)) for p, n in polarity_counts(texts, language)]

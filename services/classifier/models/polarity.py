"""Sentiment polarity cues for the languages with a sentiment specialist (ar, de, es, fr, hi,
it, pt): words and short phrases that say "good" or "bad" about a product, a service or a day.

The specialists learn from ~1.8k tweets per language, general chatter more than customer care,
so common complaint words ('pessimo', 'nul', 'Katastrophe') can be rare or missing in their
train data. The count of positive and of negative cues in a text are two extra features of the
specialist: their weights are learned from the same train tweets, so the lexicon only says
which words share a polarity, not how much that counts.

Matched by `matcher.CueMatcher` on folded text (case and accents ignored, `*` = prefix). Left
out: words that fold onto common neutral ones ('schön' -> 'schon' = already; 'beste*' would
match 'Bestellung'), greetings and set phrases ('bom dia', 'Liebe Telekom', 'mit freundlichen
Grüßen', 'a lo mejor', 'nulle part', 'envoyé en recommandé'), words that are also nouns or
titles ('plante', 'Consiglio dei ministri'), and cues another cue of the list already covers
(a text would count twice). Hindi is listed romanised only, as most Hindi tweets are written.
Devanagari cues were dropped while `fold` cut words at their vowel signs ('बुरा' matched
'बार'); it keeps them whole now, so they could return, but the lexicon's digest is part of
the shipped specialists: adding cues means retraining. tests/unit/classifier/
test_polarity_cues.py holds the neutral phrases that must count nothing.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from services.classifier.models.matcher import CueMatcher

# fmt: off
POSITIVE: dict[str, tuple[str, ...]] = {
    "fr": (
        "merci", "genial*", "super", "parfait*", "excellent*", "magnifique*", "adore", "top",
        "bravo", "felicitation*", "heureux", "heureuse", "content", "contente", "ravi", "ravie",
        "je recommande", "formidable*", "incroyable*", "trop bien", "tres bien", "meilleur*",
        "sympa", "agreable*", "satisfait*", "efficace*", "cool", "merveilleu*", "j aime",
    ),
    "de": (
        "danke", "dankeschon", "super", "toll", "tolle", "toller", "tolles", "perfekt*",
        "ausgezeichnet*", "wunderbar*", "wunderschon*", "gut", "prima", "genial*", "zufrieden*",
        "freue", "freut", "freude", "empfehle*", "hervorragend*", "spitze", "top", "beste",
        "besten", "bester", "bestes", "gerne wieder", "geil", "glucklich*",
    ),
    "es": (
        "gracias", "genial*", "excelente*", "perfect*", "encanta", "encantad*", "maravillos*",
        "buen", "buena", "buenisim*", "feliz", "felices", "contento", "contenta", "recomiendo",
        "recomendable", "increible*", "fantastic*", "estupend*", "guay", "amable*",
        "satisfech*", "enhorabuena", "felicidades", "bravo", "te quiero",
    ),
    "it": (
        "grazie", "fantastic*", "perfett*", "ottim*", "eccellent*", "bellissim*", "bello",
        "bella", "bravo", "bravi", "brava", "complimenti", "adoro", "felice", "felici",
        "contento", "contenta", "contenti", "soddisfatt*", "lo consiglio", "stupend*",
        "meraviglios*", "splendid*", "super", "top", "buonissim*", "migliore", "gentil*",
    ),
    "pt": (
        "obrigad*", "valeu", "otim*", "excelente*", "perfeit*", "adorei", "adoro", "amei",
        "maravilhos*", "incrivel", "incriveis", "fantastic*", "feliz", "felizes",
        "satisfeit*", "recomendo", "parabens", "muito bom", "muito boa", "melhor", "lindo",
        "linda", "top", "gentil*", "sensacional*",
    ),
    "ar": (
        "شكرا", "ممتاز*", "رائع*", "جميل*", "احسن", "افضل", "سعيد*", "مبروك", "الحمد لله",
        "حلو", "حلوه", "حلوة", "عظيم*", "احب", "بحب", "يسلمو", "تسلم", "ابداع", "مبدع*",
        "موفق*", "الله يعطيك العافيه", "فرحان*",
    ),
    "hi": (
        "accha", "achha", "acha", "achhi", "acchi", "badhiya", "badiya", "mast", "zabardast",
        "shandar", "shaandaar", "khush", "dhanyavad", "dhanyawad", "shukriya", "pyaar",
        "pyar", "behtareen", "behtarin", "kamaal", "kamal", "sundar", "wah", "waah",
    ),
}

NEGATIVE: dict[str, tuple[str, ...]] = {
    "fr": (
        "nul", "nuls", "honte", "honteu*", "scandal*", "inadmissible", "inacceptable",
        "arnaque*", "escro*", "decu", "decue", "decevant*", "deception", "horrible*",
        "affreu*", "catastroph*", "lamentable*", "pitoyable*", "pire", "marre", "furieu*",
        "enerve*", "colere", "triste*", "jamais recu", "toujours pas", "rembourse*",
        "plainte", "bug", "bugs", "bugue", "panne", "merde", "degueulasse", "inutile*",
        "mauvais*", "mediocre*",
    ),
    "de": (
        "schlecht*", "schlimm*", "katastroph*", "enttausch*", "frech*", "unverschamt*",
        "skandal*", "schande", "abzocke*", "betrug*", "nervig*", "argerlich*", "sauer",
        "wutend*", "traurig*", "furchtbar*", "schrecklich*", "mies*", "peinlich*",
        "nie wieder", "immer noch nicht", "kein service", "keine antwort", "mist", "scheis*",
        "kacke", "nutzlos*", "unmoglich*", "storung*", "absturz*", "sturzt ab", "kaputt*",
        "defekt*",
    ),
    "es": (
        "pesim*", "fatal", "horrible*", "terrible*", "asco", "asqueros*", "verguenza",
        "vergonzos*", "estafa*", "timo", "decepcion*", "peor", "malo", "mala", "malisim*",
        "desastre*", "indignant*", "indignad*", "harto", "harta", "enfadad*", "cabread*",
        "triste*", "lamentable*", "inaceptable", "nunca llego", "sigo esperando", "reembolso",
        "no funciona", "se cae", "mierda", "inutil*", "odio",
    ),
    "it": (
        "pessim*", "schifo", "schifos*", "vergogna", "vergognos*", "truffa*", "delus*",
        "deludent*", "orribil*", "terribil*", "disastro*", "peggio", "peggiore",
        "inaccettabil*", "scandalo*", "arrabbiat*", "incazzat*", "triste*", "stufo", "stufa",
        "mai arrivato", "mai arrivata", "rimborso", "non funziona", "bloccat*", "merda",
        "inutil*", "odio", "ridicol*",
    ),
    "pt": (
        "pessim*", "horrivel", "horriveis", "terrivel", "terriveis", "vergonha", "vergonhos*",
        "golpe*", "fraude*", "decepcao", "decepcionad*", "pior", "ruim", "ruins", "lixo",
        "porcaria*", "desastre*", "absurdo*", "ridicul*", "raiva", "irritad*", "revoltad*",
        "triste*", "nunca chegou", "ate agora nada", "reembolso", "nao funciona", "trava",
        "travando", "merda", "inutil", "odeio", "descaso",
    ),
    "ar": (
        "سيء", "سيئ", "سيئه", "سيئة", "زفت", "فاشل*", "اسوا", "أسوأ", "خايس", "حرامي*", "نصب",
        "نصابين", "كذاب*", "كذب", "مقرف*", "حزين*", "زعلان*", "للاسف", "خساره", "فضيحه",
        "ظلم", "قرف", "تعبان*", "مشكله", "مشكلة", "لا يعمل", "معطل*", "بطيء", "حسبي الله",
    ),
    "hi": (
        "bekar", "bekaar", "bakwas", "bakwaas", "ghatiya", "ganda", "gandi", "bura", "buri",
        "pagal", "chor", "dhokha", "dhoka", "sharam", "sharm", "nafrat", "dukh", "dukhi",
        "pareshan", "gussa", "faltu", "bewakoof", "bevkoof", "jhooth", "jhoot", "barbaad",
    ),
}
# fmt: on


@cache
def matcher(language: str) -> CueMatcher:
    """The positive / negative cue matcher of one language (empty for others)."""
    return CueMatcher(
        {"positive": POSITIVE.get(language, ()), "negative": NEGATIVE.get(language, ())}
    )


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

"""Offensive / hate baseline from a small multilingual lexicon (used by the `vader` baseline).

This is the floor the trained heads must beat, not a moderation policy. Three lists:
- `profanity`: swearing (offensive, not necessarily aimed at anyone);
- `insult`: words or phrases aimed at a person ("you idiot");
- `dehumanising`: language that treats a group as vermin or calls for its removal or harm,
  the core of most hate-speech definitions (HatEval's included).
Slurs are deliberately not enumerated here; the trained hate head learns them from data.
Negative-but-civil feedback ("worst service ever, I want a refund") hits none of the lists, so
it does not score as abuse.
"""

from __future__ import annotations

import math

from services.classifier.models.matcher import CueMatcher
from services.classifier.models.text import fold

# fmt: off
ABUSE_LEXICON: dict[str, tuple[str, ...]] = {
    "profanity": (
        "fuck*", "shit*", "bullshit", "bitch*", "asshole*", "bastard*", "crap", "damn",
        "dick", "dickhead*", "piss*", "wtf", "stfu", "motherfucker*", "cunt*", "twat*",
        "merde", "putain", "bordel", "connard*", "connasse", "salope*", "encule*",
        "scheisse", "scheiss*", "arschloch*", "verdammt", "fick*",
        "mierda", "joder", "puta*", "cabron*", "gilipollas",
        "porra", "caralho", "foda*", "merda", "cazzo", "vaffanculo", "stronz*",
        "dracu", "блять", "бля", "сука", "хуй*", "пизд*",
        "vittu*", "perkele", "saatana", "kurwa*", "chuj*", "pierdol*", "jeban*",
    ),
    "insult": (
        "idiot*", "stupid", "moron*", "dumb", "loser*", "pathetic", "clown*", "retard*",
        "shut up", "piece of shit", "you suck", "go to hell", "scum*", "garbage human",
        "idiote*", "imbecile*", "cretin*", "abruti*", "ta gueule", "dummkopf", "vollidiot*",
        "halt die fresse", "idiota*", "imbecil*", "estupid*", "burro", "otario", "idioti",
        "cretino", "tampit*", "идиот*", "дебил*", "тупой", "idiootti", "debil*",
    ),
    "dehumanising": (
        "vermin", "subhuman*", "sub human", "parasites", "cockroaches", "savages",
        "invaders", "infestation", "go back to your country", "go back where you came from",
        "send them back", "deport them all", "kill them all", "should be shot",
        "should be hanged", "gas them", "exterminate", "wipe them out", "not human",
        "sous hommes", "renvoyez les", "untermensch*", "abschieben", "ungeziefer",
        "invasores", "alimanas", "fuera de aqui", "parassiti", "invasori",
    ),
}
# fmt: on


class LexiconAbuseScorer:
    """Offensive and hate probabilities from lexicon hits; built once, `score` is pure."""

    def __init__(self) -> None:
        self._matcher = CueMatcher(ABUSE_LEXICON)

    def score(self, text: str) -> tuple[float, float]:
        found = self._matcher.find(fold(text), folded=True)
        profanity = len(found.get("profanity", ()))
        insult = len(found.get("insult", ()))
        dehumanising = len(found.get("dehumanising", ()))
        # One swear word alone is ~0.6 offensive (TweetEval annotators mostly flag profanity);
        # an insult aimed at someone or a dehumanising phrase pushes it above 0.8.
        z_off = -2.2 + 2.6 * min(profanity, 2) + 3.0 * min(insult, 2) + 3.0 * min(dehumanising, 2)
        # Hate needs a group-directed dehumanising phrase; swearing only nudges it.
        z_hate = -3.0 + 3.2 * min(dehumanising, 2) + 0.4 * min(profanity + insult, 3)
        return _sigmoid(z_off), _sigmoid(z_hate)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))

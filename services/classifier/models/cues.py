"""Intent cues for urgency, in en, fr, de, es, pt, it, ro, ru, fi, pl, romanised Hindi / Urdu
(plus a few nl, sv).

Matched by `matcher.CueMatcher` on folded text: case and accents do not matter, a trailing `*`
is a prefix (stem) match, anything else must be whole words. Words that are ambiguous alone are
only listed inside phrases ('is down', 'see you in court'), and cues that collide across
languages are left out (Polish 'sad' = court vs English 'sad'; German 'brand' = fire).
"""

from __future__ import annotations

# fmt: off
INTENT_CUES: dict[str, tuple[str, ...]] = {
    "legal_threat": (
        # en
        "lawyer*", "attorney*", "sue", "suing", "sued", "lawsuit*", "legal action",
        "see you in court", "to court", "class action", "small claims", "ombudsman",
        "trading standards", "consumer protection", "report you to", "file a complaint",
        "cease and desist",
        # fr
        "avocat*", "poursuite*", "plainte", "porter plainte", "tribunal", "mise en demeure",
        "action en justice", "ufc que choisir",
        # de
        "anwalt*", "rechtsanwalt*", "klage*", "verklagen", "gericht*", "verbraucherzentrale",
        "abmahnung", "strafanzeige", "anzeige erstatten",
        # es
        "abogad*", "demanda*", "denunci*", "juicio", "tribunal*", "accion legal",
        # pt
        "advogad*", "processar", "processo judicial", "procon", "justica", "reclame aqui",
        # it
        "avvocat*", "denuncia*", "querela", "tribunale", "causa legale", "codacons",
        # ro
        "avocat", "instanta", "proces", "plangere", "protectia consumatorului", "anpc",
        # ru
        "юрист*", "адвокат*", "суд", "в суд", "иск", "претензи*", "роспотребнадзор",
        # fi
        "asianajaja*", "oikeuteen", "haastaa", "kuluttajariita*", "kuluttajaneuvon*",
        # pl
        "prawnik*", "adwokat*", "pozew", "pozwe*", "do sadu", "w sadzie", "sadem", "uokik",
        "rzecznik konsument*",
        # nl, sv
        "advocaat", "rechtszaak", "advokat*", "stamning",
        # hi (romanised)
        "consumer court", "consumer forum", "case karunga", "case kar dunga", "case karenge",
        "court jaunga", "police complaint", "fir karunga", "fir darj",
    ),
    "safety": (
        # en
        "injur*", "hurt me", "hurt my", "burned", "burnt", "caught fire", "on fire", "explod*",
        "electrocut*", "poison*", "food poisoning", "allergic reaction", "anaphyla*",
        "hospital*", "emergency room", "choking", "bleeding", "unsafe", "dangerous",
        "smoke coming", "overheat*", "suicid*", "kill myself", "self harm",
        # fr
        "blesse*", "brule*", "incendie", "explose*", "intoxication", "empoisonn*", "hopital",
        "urgences", "dangereux", "dangereuse", "allergique", "rappel produit",
        # de
        "verletz*", "verbrannt", "verbrennung*", "explodiert", "vergiftung*", "krankenhaus",
        "notaufnahme", "gefahrlich", "lebensgefahr*", "allergische",
        # es
        "herid*", "lesion*", "quemad*", "incendio", "explot*", "intoxicacion", "envenen*",
        "urgencias", "peligros*", "alergica",
        # pt
        "ferid*", "queimad*", "explodiu", "intoxicacao", "pronto socorro", "perigos*",
        # it
        "ferit*", "ustion*", "bruciat*", "esplos*", "intossicazione", "avvelenat*", "ospedale",
        "pronto soccorso", "pericolos*",
        # ro
        "ranit*", "arsur*", "incendiu", "a explodat", "intoxicat*", "spital*", "periculos*",
        # ru
        "травм*", "ожог*", "пожар", "взорвал*", "отравлен*", "больниц*", "опасн*",
        # fi
        "loukkaantu*", "palovamm*", "tulipalo", "rajahti", "myrkytys", "sairaala*",
        "vaarallinen",
        # pl
        "obrazen*", "poparzen*", "pozar", "wybuch*", "zatrucie", "szpital*", "niebezpieczn*",
        # hi (romanised)
        "aag lag gayi", "aag lag gai", "aag lagi", "phat gaya", "phat gayi", "blast ho gaya",
        "jal gaya", "jal gayi", "current laga", "chot lagi", "zeher",
    ),
    "account_security": (
        # en
        "hack*", "fraud*", "scam*", "phishing", "stolen", "identity theft", "compromised",
        "unauthorised", "unauthorized", "charged twice", "someone logged into", "2fa",
        # fr
        "pirate*", "piratage", "fraude*", "arnaque*", "escroquerie", "vol de donnees",
        "usurpation", "prelevement non autorise",
        # de
        "gehackt", "betrug*", "betruger*", "gestohlen", "identitatsdiebstahl",
        "unberechtigte abbuchung",
        # es
        "hackearon", "hackeado", "estafa*", "robo de identidad", "robaron", "cargo no autorizado",
        # pt
        "hackearam", "golpe", "roubaram", "clonado", "clonaram",
        # it
        "hackerato", "truffa*", "frode", "rubato", "furto di identita",
        "addebito non autorizzato",
        # ro
        "spart", "frauda", "inselatorie", "teapa", "furat*",
        # ru
        "взлом*", "мошенни*", "украли", "списали", "фишинг",
        # fi
        "hakkeroi*", "huijau*", "huijari*", "petos", "varastettu",
        # pl
        "zhakowan*", "oszust*", "wyludzeni*", "kradziez", "ukradli",
        # hi (romanised; 'hack*' above covers "account hack ho gaya")
        "paise kat gaye", "paisa kat gaya", "paise kat gye", "paise kaat liye", "dhokha",
        "dhokhe*", "chori ho gaya", "chori ho gayi", "otp maang*",
    ),
    "outage": (
        # en
        "outage", "down again", "servers are down", "website is down", "network is down",
        "service down", "not working",
        "doesnt work", "doesn t work", "stopped working", "can t log in", "cant log in",
        "cannot log in", "can t login", "unable to log in", "no service", "no signal",
        "no internet", "no power", "error 500", "site is down", "app is down",
        # fr
        "panne", "ne marche plus", "ne fonctionne plus", "ne fonctionne pas", "hors service",
        "impossible de me connecter", "plus de reseau", "plus d internet",
        # de
        "storung*", "ausfall", "funktioniert nicht", "geht nicht", "kein netz", "kein internet",
        "nicht erreichbar",
        # es
        "caido", "caida", "no funciona", "sin servicio", "sin internet", "sin luz",
        # pt
        "fora do ar", "nao funciona", "sem sinal", "sem internet", "sem servico",
        # it
        "disservizio", "non funziona", "fuori servizio", "senza linea",
        # ro
        "nu functioneaza", "nu merge", "fara semnal", "fara internet",
        # ru
        "не работает", "сбой", "нет связи", "нет интернета",
        # fi
        "ei toimi", "hairio*", "katko*",
        # pl
        "awaria", "nie dziala", "brak zasiegu", "brak internetu",
        # hi (romanised)
        "kaam nahi kar raha", "kaam nahi kar rahi", "kaam nhi kar raha", "kaam nhi kar rahi",
        "nahi chal raha", "nahi chal rahi", "nhi chal raha", "nhi chal rahi",
        "login nahi ho raha", "login nhi ho raha", "network nahi", "signal nahi",
        "light chali gayi", "bijli nahi",
    ),
    "cancellation": (
        # en
        "cancel my", "cancelling my", "canceling my", "close my account", "switching to",
        "never again", "unsubscribe", "leaving you", "done with you", "taking my business",
        # fr
        "resilier", "resiliation", "desabonn*", "je change d operateur", "plus jamais",
        # de
        "kundigen", "kundige", "kundigung", "nie wieder", "wechsle zu",
        # es
        "cancelar mi", "darme de baja", "dar de baja", "nunca mas", "me cambio a",
        # pt
        "cancelar meu", "cancelar minha", "nunca mais", "vou trocar de",
        # it
        "disdire", "disdetta", "mai piu",
        # ro
        "reziliez", "reziliere", "nu mai cumpar",
        # ru
        "расторгнуть", "отказаться от", "больше никогда", "ухожу к",
        # fi
        "irtisano*", "en ikina",
        # pl
        "rezygnuj*", "wypowiedzenie", "nigdy wiecej",
        # hi (romanised)
        "band kar do", "band karwa", "cancel kar do", "port kar raha", "port kar dunga",
        "port karwa",
        "chhod raha", "chod raha", "chhod dunga", "chod dunga", "dobara nahi",
    ),
    "refund": (
        # en
        "refund*", "money back", "chargeback", "reimburse*", "compensation", "overcharged",
        # fr
        "rembours*", "dedommagement", "geste commercial",
        # de
        "erstattung", "ruckerstattung", "geld zuruck", "entschadigung",
        # es
        "reembols*", "devolucion", "devuelvan mi dinero", "indemnizacion",
        # pt
        "estorno", "devolucao", "meu dinheiro de volta",
        # it
        "rimbors*", "soldi indietro", "risarcimento",
        # ro
        "rambursa*", "banii inapoi", "despagubire",
        # ru
        "вернуть деньги", "верните деньги", "возврат*", "компенсац*",
        # fi
        "hyvity*", "rahat takaisin", "korvaus*",
        # pl
        "zwrot pieniedzy", "zwrot", "reklamacj*", "odszkodowani*",
        # hi (romanised)
        "paisa wapas", "paise wapas", "paisa vapas", "paise vapas", "paise lautao",
        "paisa lautao",
    ),
    "press": (
        # en
        "journalist", "reporter", "press inquiry", "media inquiry", "for a story",
        "writing a story", "comment for", "on the record", "going to the press",
        "going to the media",
        # fr
        "journaliste", "demande presse", "la presse", "les medias",
        # de
        "journalist*", "presseanfrage", "die presse", "die medien",
        # es
        "periodista", "la prensa", "los medios",
        # pt
        "jornalista", "a imprensa",
        # it
        "giornalista", "la stampa", "i giornali",
        # ro
        "jurnalist*", "presei",
        # ru
        "журналист*", "сми",
        # fi
        "toimittaja*", "lehdisto*",
        # pl
        "dziennikarz*", "prasa", "do mediow",
        # hi (romanised)
        "patrakar", "akhbar",
    ),
}
# fmt: on

"""Urgency decision table: signals in, level and reason codes out.

Default points: safety 4; legal, account security, press 3; outage 2; cancellation, refund 1;
brand keyword 3; negative 1 / strongly negative 2; high reach 1 / very high 2; busy thread 1 /
viral thread 2. Levels: >= 5 critical, >= 3 high, >= 1 normal, else low.
"""

from __future__ import annotations

import pytest

from services.classifier.models.urgency import (
    UrgencyScorer,
    UrgencySettings,
    UrgencySignals,
    UrgencyThresholds,
    score_urgency,
)

DEFAULT = UrgencyThresholds()

# (case, signals, expected level, expected reason codes in order)
TABLE = [
    ("neutral, nothing else", UrgencySignals(0.1), "low", []),
    ("just under negative", UrgencySignals(0.49), "low", []),
    ("negative", UrgencySignals(0.5), "normal", ["negative_sentiment"]),
    ("strongly negative", UrgencySignals(0.8), "normal", ["strongly_negative"]),
    ("refund alone", UrgencySignals(0.2, {"refund": ["refund"]}), "normal", ["refund"]),
    ("outage alone", UrgencySignals(0.2, {"outage": ["is down"]}), "normal", ["outage"]),
    (
        "outage and negative",
        UrgencySignals(0.6, {"outage": ["is down"]}),
        "high",
        ["outage", "negative_sentiment"],
    ),
    (
        "legal threat alone",
        UrgencySignals(0.3, {"legal_threat": ["lawyer"]}),
        "high",
        ["legal_threat"],
    ),
    (
        "legal threat, strongly negative",
        UrgencySignals(0.9, {"legal_threat": ["lawyer"]}),
        "critical",
        ["legal_threat", "strongly_negative"],
    ),
    ("safety alone", UrgencySignals(0.2, {"safety": ["burned"]}), "high", ["safety"]),
    (
        "safety and negative",
        UrgencySignals(0.55, {"safety": ["burned"]}),
        "critical",
        ["safety", "negative_sentiment"],
    ),
    (
        "account security and refund",
        UrgencySignals(0.4, {"account_security": ["hack"], "refund": ["refund"]}),
        "high",
        ["account_security", "refund"],
    ),
    ("press alone", UrgencySignals(0.1, {"press": ["journalist"]}), "high", ["press"]),
    ("high reach alone", UrgencySignals(0.1, author_followers=10_000), "normal", ["high_reach"]),
    ("reach just under", UrgencySignals(0.1, author_followers=9_999), "low", []),
    (
        "very high reach, strongly negative",
        UrgencySignals(0.85, author_followers=150_000),
        "high",
        ["strongly_negative", "very_high_reach"],
    ),
    (
        "churn from a public figure in a viral thread",
        UrgencySignals(
            0.7,
            {"cancellation": ["cancel my"]},
            author_followers=500_000,
            thread_recent_mentions=25,
        ),
        "critical",
        ["cancellation", "negative_sentiment", "very_high_reach", "viral_thread"],
    ),
    ("busy thread", UrgencySignals(0.1, thread_recent_mentions=5), "normal", ["busy_thread"]),
    ("thread below busy", UrgencySignals(0.1, thread_recent_mentions=4), "low", []),
    (
        "brand keyword and negative",
        UrgencySignals(0.6, brand_keywords_found=["recall"]),
        "high",
        ["brand_keyword", "negative_sentiment"],
    ),
    ("unknown followers / thread", UrgencySignals(0.1, {}, None, None), "low", []),
]


@pytest.mark.parametrize(
    ("signals", "level", "codes"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE]
)
def test_urgency_decision_table(signals: UrgencySignals, level: str, codes: list[str]) -> None:
    urgency = score_urgency(signals, DEFAULT)
    assert urgency.level == level
    assert [r.code for r in urgency.reasons] == codes
    assert all(r.message for r in urgency.reasons)


def test_reason_messages_name_the_cue_and_numbers() -> None:
    urgency = score_urgency(
        UrgencySignals(0.93, {"legal_threat": ["lawyer"]}, author_followers=120_000), DEFAULT
    )
    messages = " | ".join(r.message for r in urgency.reasons)
    assert "'lawyer'" in messages
    assert "p=0.93" in messages
    assert "120,000 followers" in messages


def test_per_brand_thresholds_override_the_default() -> None:
    strict = UrgencyThresholds(high_reach_followers=1_000, high_points=1)
    scorer = UrgencyScorer(UrgencySettings(per_brand={"acme": strict}))
    text = "hello there"
    assert (
        scorer.score(text, negative_prob=0.1, brand="acme", author_followers=2_000).level == "high"
    )
    assert (
        scorer.score(text, negative_prob=0.1, brand="other", author_followers=2_000).level == "low"
    )
    assert scorer.score(text, negative_prob=0.1, brand=None, author_followers=2_000).level == "low"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I'm calling my lawyer about this", "legal_threat"),
        ("Je vais porter plainte contre vous", "legal_threat"),
        ("Ich werde Sie verklagen", "legal_threat"),
        ("Voy a llamar a mi abogado", "legal_threat"),
        ("Vou processar vocês", "legal_threat"),
        ("Chiamo il mio avvocato", "legal_threat"),
        ("Vă dau în judecată, merg la ANPC", "legal_threat"),
        ("Подам в суд на вас", "legal_threat"),
        ("Haastan teidät oikeuteen", "legal_threat"),
        ("Idę z tym do sądu", "legal_threat"),
        ("The charger caught fire and my son was BURNED", "safety"),
        ("Mon téléphone a explosé, je suis brûlée", "safety"),
        ("Mein Konto wurde gehackt", "account_security"),
        ("Мой аккаунт взломали", "account_security"),
        ("Moje konto zostało zhakowane", "account_security"),
        ("Internet ei toimi taas", "outage"),
        ("La app no funciona desde ayer", "outage"),
        ("Je veux résilier mon abonnement", "cancellation"),
        ("Ich kündige meinen Vertrag", "cancellation"),
        ("Voglio un rimborso", "refund"),
        ("Quero o estorno do valor", "refund"),
        ("I'm a journalist writing a story on your data leak", "press"),
        # romanised Hindi / Urdu
        ("consumer court mein case karunga", "legal_threat"),
        ("charger mein aag lag gayi bhai", "safety"),
        ("mere account se paise kat gaye, kisi ne otp maanga tha", "account_security"),
        ("app 2 din se kaam nahi kar raha", "outage"),
        ("bas, connection band kar do, port karwa raha hu", "cancellation"),
        ("mera paisa wapas karo", "refund"),
    ],
)
def test_intent_cues_in_several_languages(text: str, category: str) -> None:
    signals = UrgencyScorer().signals(text, negative_prob=0.0)
    assert category in signals.intents


@pytest.mark.parametrize(
    "text",
    [
        "I love my new phone, the camera is great",
        "So sad the season is over",  # Polish 'sąd' (court) must not fire on English 'sad'
        "Our brand new store opens today",  # German 'Brand' (fire) is not a cue
        "Prices are down this week!",  # 'down' alone is not an outage
        "bhai kya mast phone hai, camera bahut accha hai",  # everyday Hinglish
        "The band played all night at the port, Kar Wai filmed it",
        "A fir tree in the garden",
    ],
)
def test_everyday_text_raises_no_intent(text: str) -> None:
    assert UrgencyScorer().signals(text, negative_prob=0.0).intents == {}


def test_brand_keywords_match_case_and_accent_insensitively() -> None:
    scorer = UrgencyScorer()
    urgency = scorer.score(
        "Le RAPPEL du modèle X arrive quand ?",
        negative_prob=0.2,
        brand_urgent_keywords=("rappel", "modele x*"),
    )
    assert [r.code for r in urgency.reasons] == ["brand_keyword"]
    assert urgency.level == "high"


def test_scoring_is_deterministic() -> None:
    scorer = UrgencyScorer()
    text = "Hacked account!! refund me or I sue. Journalist here."
    runs = {
        scorer.score(text, negative_prob=0.77, author_followers=50_000).model_dump_json()
        for _ in range(5)
    }
    assert len(runs) == 1

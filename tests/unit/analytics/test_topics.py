"""Top terms, hashtags, phrases and authors: tokenisation across scripts, stop words, ties."""

from __future__ import annotations

from services.api.analytics.topics import Post, influential_authors, tokenise, top_topics


def test_tokenise_drops_links_and_handles_and_keeps_hashtags_apart() -> None:
    tokens = tokenise("@SkyVela_help Flight CANCELLED again #SkyVelaFail https://t.co/x1 ✈️🔥")
    assert tokens.words == ["flight", "cancelled", "again"]
    assert tokens.hashtags == ["#skyvelafail"]


def test_tokenise_keeps_words_in_any_script_and_folds_case_and_width() -> None:
    assert tokenise("Рейс ОТМЕНИЛИ, опять").words == ["рейс", "отменили", "опять"]
    assert tokenise("Zborul a fost ANULAT!").words == ["zborul", "a", "fost", "anulat"]
    assert tokenise("ＦＬＩＧＨＴ l'avion n’est").words == ["flight", "l'avion", "n’est"]
    assert tokenise("لا أحد يرد").words == ["لا", "أحد", "يرد"]


def test_text_without_spaces_is_counted_in_character_bigrams() -> None:
    assert tokenise("航班取消").words == ["航班", "班取", "取消"]


def test_stop_words_of_the_mention_language_and_english_are_left_out() -> None:
    posts = [
        Post("Le remboursement est refusé et personne ne répond", "fr"),
        Post("The flight is cancelled and nobody answers", "en"),
        Post("Lentoni peruttiin eikä kukaan vastaa", "fi"),
    ]
    terms = dict(top_topics(posts).terms)
    assert {
        "remboursement",
        "refusé",
        "flight",
        "cancelled",
        "lentoni",
        "peruttiin",
    } <= terms.keys()
    assert not {"le", "est", "et", "the", "is", "and", "eikä"} & terms.keys()


def test_counts_once_per_post_ties_alphabetical_and_excludes_the_brand() -> None:
    posts = [
        Post("refund refund refund skyvela", "en"),
        Post("refund delayed skyvela", "en"),
        Post("delayed baggage", "en"),
        Post("baggage lost", "en"),
    ]
    summary = top_topics(posts, limit=3, exclude=["SkyVela"])
    assert summary.terms == [("baggage", 2), ("delayed", 2), ("refund", 2)]


def test_phrases_are_repeated_adjacent_content_words() -> None:
    posts = [
        Post("My lost luggage is still missing", "en"),
        Post("lost luggage again, thanks for nothing", "en"),
        Post("I lost my luggage", "en"),  # "my" splits it: not the phrase
    ]
    assert top_topics(posts).phrases == [("lost luggage", 2)]


def test_hashtags_are_counted_per_post_and_folded() -> None:
    posts = [Post("#Outage #outage down", "en"), Post("#OUTAGE again #help", "en")]
    assert top_topics(posts).hashtags == [("#outage", 2), ("#help", 1)]


def test_influential_authors_rank_by_reach_then_volume() -> None:
    rows = [
        ("@news", 250_000, "neutral"),
        ("@ana", 1_200, "negative"),
        ("@ana", 1_300, "negative"),
        ("@bob", 1_300, "positive"),
        ("", 9_999_999, "negative"),  # no handle: not an author we can name
        ("@carl", None, "negative"),
    ]
    authors = influential_authors(rows, limit=3)
    assert [(a.handle, a.followers, a.mentions, a.negative) for a in authors] == [
        ("@news", 250_000, 1, 0),
        ("@ana", 1_300, 2, 2),
        ("@bob", 1_300, 1, 0),
    ]

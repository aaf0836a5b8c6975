"""Odd text never breaks `classify`, and the same input gives the same output."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest

from services.classifier.commands import LazyReplica, classify_stream
from services.classifier.models import Classifier, ClassifierInput, load_classifier

ODD_TEXTS = [
    "",
    "   \n\t ",
    "😀🔥💯🙏",
    "مرحبا، الخدمة سيئة جدا",  # RTL Arabic
    "שלום, השירות גרוע",  # RTL Hebrew
    "\u202eevil bidi override\u202c and \u200b zero width",
    "control \x00\x01\x07\x1b chars",
    "x" * 100_000,
    "word " * 20_000,
    "Mixed スクリプト and Кириллица et français 中文",
    "@user @user @user http http",
    "\ud83d",  # lone surrogate
    "ｆｕｌｌｗｉｄｔｈ ＴＥＸＴ",
    "a",
]


@pytest.fixture(scope="module")
def vader() -> Classifier:
    return load_classifier("vader")


def test_odd_texts_are_classified_without_error(vader: Classifier) -> None:
    items = [ClassifierInput(id=str(i), text=t) for i, t in enumerate(ODD_TEXTS)]
    results = vader.classify(items)
    assert len(results) == len(items)
    for result in results:
        assert abs(sum(result.sentiment.scores.values()) - 1.0) < 1e-3
        assert 0.0 <= result.abuse.spam <= 1.0
        assert result.model_version == vader.model_version
        json.dumps(result.model_dump(mode="json"))  # serialisable, even with odd input


def test_empty_and_emoji_only_text_have_no_language(vader: Classifier) -> None:
    results = vader.classify([ClassifierInput("1", ""), ClassifierInput("2", "😀😀")])
    assert [r.language.code for r in results] == ["und", "und"]
    assert results[0].sentiment.label == "neutral"


def test_valid_platform_hint_wins_and_invalid_one_is_ignored(vader: Classifier) -> None:
    text = "Das ist wirklich ein sehr guter Kundenservice, danke euch allen!"
    hinted, invalid, regional = vader.classify(
        [
            ClassifierInput("1", text, lang_hint="fr"),
            ClassifierInput("2", text, lang_hint="und"),
            ClassifierInput("3", text, lang_hint="pt-BR"),
        ]
    )
    assert (hinted.language.code, hinted.language.method) == ("fr", "hint")
    assert (invalid.language.code, invalid.language.method) == ("de", "detected")
    assert regional.language.code == "pt"


def test_duplicates_in_a_batch_get_identical_results(vader: Classifier) -> None:
    text = "Worst airline ever, lost my bag again"
    results = vader.classify([ClassifierInput(str(i), text) for i in range(5)])
    assert len({r.model_dump_json() for r in results}) == 1


def test_language_is_identified_once_per_distinct_text_and_hint(
    vader: Classifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    identifier = vader._languages  # type: ignore[attr-defined]
    seen: list[list[str]] = []
    real = identifier.identify

    def counting(texts: list[str], hints: list[str | None]) -> list[object]:
        seen.append(list(texts))
        return real(texts, hints)

    monkeypatch.setattr(identifier, "identify", counting)
    storm = "RT @brand your app logged me out again and again"
    items = [ClassifierInput(str(i), storm) for i in range(20)]
    items += [ClassifierInput("hinted", storm, lang_hint="en-GB")]
    items += [ClassifierInput("other", "Das Paket ist nie angekommen")]
    results = vader.classify(items)
    assert len(seen) == 1 and len(seen[0]) == 3  # no hint, hint "en", the German text
    assert [r.language.method for r in results[:21]] == ["detected"] * 20 + ["hint"]
    assert results[-1].language.code == "de"


def test_same_input_same_output_across_calls(vader: Classifier) -> None:
    items = [ClassifierInput(str(i), t) for i, t in enumerate(ODD_TEXTS[:6])]
    first = [r.model_dump_json() for r in vader.classify(items)]
    second = [r.model_dump_json() for r in vader.classify(list(reversed(items)))]
    assert first == list(reversed(second))


def test_spam_and_civil_negative_feedback(vader: Classifier) -> None:
    spam, civil = vader.classify(
        [
            ClassifierInput(
                "1",
                "FREE GIVEAWAY!!! DM me to claim your bitcoin http://x.co #win #free #crypto",
                author_followers=0,
            ),
            ClassifierInput("2", "Very disappointed, the delivery was late and nobody answered."),
        ]
    )
    assert spam.abuse.spam > 0.8
    assert civil.abuse.spam < 0.3
    assert civil.abuse.offensive < 0.5 and civil.abuse.hate < 0.5


def test_classify_stream_answers_bad_lines_and_keeps_order(vader: Classifier) -> None:
    source = io.StringIO(
        '{"id": "a", "text": "I love it", "lang": "en"}\n'
        "not json\n"
        "[1, 2]\n"
        '{"id": "b", "text": "I hate it", "author_followers": 20000, "brand": "acme"}\n'
        '{"id": "c", "text": "huge", "author_followers": 1e999}\n'  # infinity
    )
    sink = io.StringIO()
    done, rejected = classify_stream([vader], source, sink)
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert (done, rejected) == (2, 3)
    assert [line["id"] for line in lines] == ["a", "2", "3", "b", "5"]
    assert "infinity" in lines[4]["error"]
    assert set(lines[0]) == {"id", "sentiment", "language", "abuse", "urgency", "model_version"}
    assert lines[3]["sentiment"]["label"] == "negative"


def test_classify_stream_keeps_input_order_when_replicas_finish_out_of_order(
    vader: Classifier,
) -> None:
    later_batch_done = threading.Event()

    class Replica:
        model_version = vader.model_version

        def __init__(self) -> None:
            self.batches = 0

        def classify(self, items: list[ClassifierInput]) -> list[Any]:
            self.batches += 1
            if items[0].id == "m0":  # the first batch ends only after a later one
                assert later_batch_done.wait(timeout=10)
            else:
                later_batch_done.set()
            return vader.classify(items)

    lines = [json.dumps({"id": f"m{i}", "text": f"text {i}", "lang": "en"}) for i in range(7)]
    lines.insert(3, "not json")  # line 4
    replicas = [Replica(), Replica()]
    sink = io.StringIO()
    source = io.StringIO("\n".join(lines) + "\n")
    assert classify_stream(replicas, source, sink, batch_size=2) == (7, 1)
    ids = [json.loads(line)["id"] for line in sink.getvalue().splitlines()]
    assert ids == ["m0", "m1", "m2", "4", "m3", "m4", "m5", "m6"]
    assert all(replica.batches for replica in replicas)


def test_classify_stream_keeps_bad_lines_out_of_the_model_without_splitting_batches(
    vader: Classifier,
) -> None:
    sizes: list[int] = []

    class Replica:
        model_version = vader.model_version

        def classify(self, items: list[ClassifierInput]) -> list[Any]:
            sizes.append(len(items))
            return vader.classify(items)

    good = [json.dumps({"id": f"m{i}", "text": "ok"}) for i in range(6)]
    lines = [good[0], "oops", *good[1:4], "[]", "{", *good[4:], "[1]", "]"]
    sink = io.StringIO()
    source = io.StringIO("\n".join(lines) + "\n")
    assert classify_stream([Replica()], source, sink, batch_size=4) == (6, 5)
    ids = [json.loads(line)["id"] for line in sink.getvalue().splitlines()]
    assert ids == ["m0", "2", "m1", "m2", "m3", "6", "7", "m4", "m5", "10", "11"]
    assert sizes == [3, 2, 1]  # batches of 4 lines: the rejected ones never reach the model


def test_classify_stream_fails_loudly_when_a_replica_fails(vader: Classifier) -> None:
    class Broken:
        model_version = "broken"

        def classify(self, items: list[ClassifierInput]) -> list[Any]:
            raise RuntimeError("model exploded")

    source = io.StringIO("".join(f'{{"id": "{i}", "text": "t"}}\n' for i in range(10)))
    with pytest.raises(RuntimeError, match="model exploded"):
        classify_stream([Broken(), Broken()], source, io.StringIO(), batch_size=2)


def test_a_lazy_replica_loads_only_when_a_second_batch_needs_it(vader: Classifier) -> None:
    loads: list[int] = []
    second_batch_done = threading.Event()

    class Held:  # the loaded replica holds the first batch until another batch is done
        model_version = vader.model_version

        def classify(self, items: list[ClassifierInput]) -> list[Any]:
            if items[0].id == "0":
                assert second_batch_done.wait(timeout=10)
            return vader.classify(items)

    class Marking:  # what the lazy replica loads
        model_version = vader.model_version

        def classify(self, items: list[ClassifierInput]) -> list[Any]:
            second_batch_done.set()
            return vader.classify(items)

    def load() -> Any:
        loads.append(1)
        return Marking()

    def run(n: int, first: Any) -> list[str]:
        source = io.StringIO("".join(f'{{"id": "{i}", "text": "fine"}}\n' for i in range(n)))
        sink = io.StringIO()
        replicas = [first, LazyReplica(load, vader.model_version)]
        assert classify_stream(replicas, source, sink, batch_size=4) == (n, 0)
        return [json.loads(line)["id"] for line in sink.getvalue().splitlines()]

    assert run(3, vader) == ["0", "1", "2"]  # one batch: the loaded replica takes it
    assert loads == []
    assert run(40, Held()) == [str(i) for i in range(40)]  # needs both: loads once
    assert loads == [1]

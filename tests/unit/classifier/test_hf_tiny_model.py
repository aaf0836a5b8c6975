"""Bring-your-own-model path, offline, on a tiny random BERT the test builds and saves."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.classifier.models import ClassifierInput, load_classifier
from services.classifier.models.hf import map_labels

WORDS = ["love", "hate", "great", "bad", "service", "the", "is", "i", "it", "you", "!", ".", ","]


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: None) -> Path:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    path = tmp_path_factory.mktemp("tiny-bert")
    vocab = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *WORDS,
        *(f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"),
    ]
    vocab += list("abcdefghijklmnopqrstuvwxyz")
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizerFast(
        vocab_file=str(path / "vocab.txt"), do_lower_case=True
    )
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=512,
        num_labels=3,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2},
    )
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def monkeypatch_module() -> object:
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")  # prove nothing is fetched
    mp.setenv("TRANSFORMERS_OFFLINE", "1")
    yield
    mp.undo()


def test_tiny_local_model_loads_and_classifies_offline(tiny_model_dir: Path) -> None:
    classifier = load_classifier(str(tiny_model_dir), threads=1)
    assert classifier.model_version == f"hf:{tiny_model_dir}"
    items = [
        ClassifierInput("1", "I love the service!"),
        ClassifierInput("2", "I hate it"),
        ClassifierInput("3", ""),
        ClassifierInput("4", "x" * 5_000),
        ClassifierInput("5", "😀 مرحبا mixed"),
    ]
    first = classifier.classify(items)
    assert len(first) == len(items)
    for result in first:
        assert abs(sum(result.sentiment.scores.values()) - 1) < 1e-3
        assert result.sentiment.label in ("negative", "neutral", "positive")
    again = classifier.classify(items)
    assert [r.model_dump_json() for r in first] == [r.model_dump_json() for r in again]


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        (
            {0: "negative", 1: "neutral", 2: "positive"},
            {0: "negative", 1: "neutral", 2: "positive"},
        ),
        ({0: "NEGATIVE", 1: "POSITIVE"}, {0: "negative", 1: "positive"}),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, {0: "negative", 1: "neutral", 2: "positive"}),
        ({0: "1 star", 1: "3 stars", 2: "5 stars"}, {0: "negative", 1: "neutral", 2: "positive"}),
        ({0: "non-offensive", 1: "offensive"}, {1: "offensive"}),
        ({0: "not_hate", 1: "hate"}, {1: "hate"}),
    ],
)
def test_label_mapping_from_id2label(id2label: dict[int, str], expected: dict[int, str]) -> None:
    assert map_labels(id2label) == expected

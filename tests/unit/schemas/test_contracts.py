"""The contracts package: checked-in schemas match the models; golden events stay valid."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import jsonschema
import pytest

from schemas import (
    MENTION_RAW_V1,
    EventDecodeError,
    decode,
    encode,
    mention_id,
)
from schemas.envelope import binary_headers
from schemas.generate import EXAMPLES_DIR, JSON_DIR, rendered

GOLDEN = sorted(EXAMPLES_DIR.glob("*.json"))


def test_checked_in_json_schemas_match_the_models() -> None:
    expected = rendered()
    actual = {p.name: p.read_text(encoding="utf-8") for p in JSON_DIR.glob("*.schema.json")}
    assert set(actual) == set(expected), "run `make schemas` and commit schemas/json"
    for name, text in expected.items():
        assert actual[name] == text, f"{name} drifted from its model: run `make schemas`"


@pytest.mark.parametrize("example", GOLDEN, ids=lambda p: p.stem)
def test_golden_event_decodes_into_its_model(example: Path) -> None:
    event = decode(example.read_bytes())
    assert event.type == example.stem
    assert json.loads(encode(event)) == json.loads(example.read_text(encoding="utf-8"))


@pytest.mark.parametrize("example", GOLDEN, ids=lambda p: p.stem)
def test_golden_event_validates_against_its_json_schema(example: Path) -> None:
    schema = json.loads((JSON_DIR / f"{example.stem}.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(example.read_text(encoding="utf-8")), schema)


def test_every_registered_type_has_a_checked_in_schema() -> None:
    from schemas import EVENT_TYPES

    for event_type in EVENT_TYPES:
        assert (JSON_DIR / f"{event_type}.schema.json").exists()


def test_mention_id_is_deterministic_per_source_and_platform_id() -> None:
    assert mention_id("x", "123") == mention_id("x", "123")
    assert mention_id("X ", " 123") == mention_id("x", "123")
    assert mention_id("x", "123") != mention_id("mastodon", "123")
    assert mention_id("x", "123").version == 5


def test_binary_mode_with_ce_headers_decodes_like_structured_mode() -> None:
    structured = (EXAMPLES_DIR / f"{MENTION_RAW_V1}.json").read_bytes()
    event = decode(structured)
    data_only = json.dumps(json.loads(structured)["data"]).encode()
    assert decode(data_only, binary_headers(event)) == event


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (b"not json", "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        (None, "invalid_json"),
        (b"[1, 2]", "invalid_event"),
        (b'{"type": "earshot.unknown.v9"}', "unknown_type"),
        (b'{"type": "earshot.mention.raw.v1", "id": "x"}', "invalid_event"),
        (b"{" + b" " * 1_100_000 + b"}", "too_large"),
    ],
)
def test_undecodable_messages_raise_with_a_dead_letter_code(value: bytes | None, code: str) -> None:
    with pytest.raises(EventDecodeError) as error:
        decode(value)
    assert error.value.code == code


def test_event_on_the_wrong_topic_is_refused() -> None:
    raw = (EXAMPLES_DIR / f"{MENTION_RAW_V1}.json").read_bytes()
    with pytest.raises(EventDecodeError, match="does not belong"):
        decode(raw, topic="mentions.classified")


def test_unknown_field_in_data_is_refused() -> None:
    body = json.loads((EXAMPLES_DIR / f"{MENTION_RAW_V1}.json").read_text(encoding="utf-8"))
    body["data"]["surprise"] = str(uuid.uuid4())
    with pytest.raises(EventDecodeError, match="surprise"):
        decode(json.dumps(body).encode())

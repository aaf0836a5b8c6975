"""Hostile input gets a clear 4xx with the reason (per item in a batch), never a crash, and a
batch is never half-accepted: every accepted item is produced, every other one is named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.dedup import flag_copies
from services.ingest.handlers import accept_batch, accept_one
from services.ingest.rules import BrandCatalogue
from tests.unit.ingest.conftest import BRANDS, mention

CATALOGUE = BrandCatalogue(BRANDS)


async def post(client: Any, body: bytes | str) -> Any:
    raw = body.encode() if isinstance(body, str) else body
    return await client.post(
        "/v1/mentions", content=raw, headers={"content-type": "application/json"}
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b'{"text": "\xff\xfe broken utf-8"}', 400, "invalid_json"),
        (b"", 400, "invalid_json"),
        (b"[]", 422, "empty_batch"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "invalid_json"),
        (b"42", 422, "invalid_mention"),
        (b"null", 422, "invalid_mention"),
        (b'"a string"', 422, "invalid_mention"),
        (b'{"source": NaN}', 422, "invalid_mention"),
    ],
)
async def test_bodies_that_are_not_mentions_get_a_reason(
    make_ingest: Any, body: bytes, status: int, code: str
) -> None:
    harness, client = make_ingest()
    response = await post(client, body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert harness.produced() == []


async def test_body_over_the_limit_is_413_before_parsing(make_ingest: Any) -> None:
    _, client = make_ingest(ingest_max_body_bytes=4096)
    response = await post(client, json.dumps(mention(text="acme " * 2000)))
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


async def test_huge_batch_is_refused_whole(make_ingest: Any) -> None:
    harness, client = make_ingest(ingest_max_batch=10)
    items = [mention(source_id=str(i)) for i in range(11)]
    response = await client.post("/v1/mentions", json=items)
    assert response.status_code == 413 and response.json()["error"]["code"] == "batch_too_large"
    assert harness.produced() == []


async def test_mixed_batch_accepts_the_good_and_names_each_bad_item(make_ingest: Any) -> None:
    harness, client = make_ingest()
    items: list[Any] = [
        mention(source_id="1"),
        mention(source_id="2", text="x" * 100_000),
        mention(source_id="3", created_at="9999-12-31T23:59:59Z"),
        mention(source_id="4", followers="many"),
        mention(source_id="5", text="\u200b\u200d\u202e\x00"),
        "just a string",
        mention(source_id="7", author={"handle": "@a\ud800"}),
        mention(source_id="8", text="ACME \u202egnirts desrever"),
        {"a": {"b": {"c": [[[[[[[[[[1]]]]]]]]]]}}},
    ]
    response = await client.post("/v1/mentions", content=json.dumps(items))
    assert response.status_code == 202, response.text
    body = response.json()
    assert [a["index"] for a in body["accepted"]] == [0, 7]
    codes = {r["index"]: r["error"]["code"] for r in body["rejected"]}
    assert codes == {
        1: "invalid_mention",
        2: "invalid_timestamp",
        3: "invalid_mention",
        4: "empty_text",
        5: "invalid_mention",
        6: "invalid_mention",  # a lone surrogate is not text
        8: "invalid_mention",
    }
    assert all(r["error"]["message"] for r in body["rejected"])
    assert len(harness.produced()) == 2


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<script>", "https://a b", " java\tscript:x"]
)
def test_only_web_links_are_accepted_as_url(url: str) -> None:
    outcome = accept_one(mention(url=url), catalogue=CATALOGUE, now=_now())
    assert isinstance(outcome, tuple) and outcome[0] == "invalid_mention"


def test_bidi_overrides_are_removed_from_the_stored_text() -> None:
    accepted = accept_one(
        mention(text="ACME \u202egnirts\u202c ok"), catalogue=CATALOGUE, now=_now()
    )
    assert not isinstance(accepted, tuple)
    assert accepted.text == "ACME gnirts ok"


def test_zero_width_characters_do_not_hide_a_brand() -> None:
    accepted = accept_one(
        mention(text="a\u200bc\u200dm\u2060e is down"), catalogue=CATALOGUE, now=_now()
    )
    assert not isinstance(accepted, tuple) and accepted.brand == "acme"


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
mention_like = st.fixed_dictionaries(
    {},
    optional={
        "source": st.one_of(st.just("x"), json_values),
        "source_id": st.one_of(st.text(max_size=5), json_values),
        "text": st.one_of(st.text(max_size=50), st.just("acme"), json_values),
        "author": st.one_of(st.fixed_dictionaries({"handle": st.text(max_size=5)}), json_values),
        "created_at": st.one_of(st.datetimes().map(lambda d: d.isoformat() + "Z"), json_values),
        "thread_id": json_values,
        "repost_of": json_values,
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(mention_like, json_values), min_size=1, max_size=8))
def test_any_batch_is_split_exactly_into_accepted_and_rejected(items: list[Any]) -> None:
    result = accept_batch(items, catalogue=CATALOGUE, now=_now())
    indexes = sorted([i for i, _ in result.accepted] + [r.index for r in result.rejected])
    assert indexes == list(range(len(items)))
    for _, accepted in result.accepted:
        accepted.model_dump_json().encode("utf-8")  # producible: no lone surrogates
    for rejection in result.rejected:
        json.dumps(rejection.details)  # the reason can always be sent back


def test_reposts_and_copies_are_flagged_and_linked() -> None:
    text = "Acme cancelled my flight and nobody answers the phone"
    batch = accept_batch(
        [
            mention(source_id="1", text=text),
            mention(source_id="2", text=text.upper()),
            mention(source_id="3", text=text, repost_of="1"),
            mention(source_id="4", text="acme ok"),
            mention(source_id="5", text="acme ok"),
        ],
        catalogue=CATALOGUE,
        now=_now(),
    )
    mentions = [m for _, m in batch.accepted]
    flagged, first = flag_copies(mentions, {})
    original = str(mentions[0].mention_id)
    assert (flagged[0].copy_of, flagged[0].repost_of) == (None, None)
    assert str(flagged[1].copy_of) == original
    assert (str(flagged[2].repost_of), flagged[2].copy_of) == (original, None)
    assert flagged[2].conversation_key == flagged[0].conversation_key
    assert flagged[4].copy_of is None  # too short to be a copy rather than a chance
    assert list(first.values()) == [original]
    again, _ = flag_copies(mentions[:1], first)  # the same item resent is not its own copy
    assert again[0].matched_by == ["acme"]

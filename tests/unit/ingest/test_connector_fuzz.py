"""Connectors on arbitrary JSON, and on recorded payloads with fields swapped for junk: they
return mention dicts or raise one of the errors the webhook endpoint answers with 422."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.api import CONVERTER_ERRORS
from services.ingest.connectors import PLATFORMS
from services.ingest.handlers import accept_batch
from services.ingest.rules import BrandCatalogue
from tests.unit.ingest.conftest import BRANDS

FIXTURES = Path(__file__).parents[2] / "fixtures" / "ingest"
JSON_PLATFORMS = sorted(p for p, c in PLATFORMS.items() if c.body == "json")
CATALOGUE = BrandCatalogue(BRANDS)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)


def recorded() -> list[tuple[str, Any]]:
    out = []
    for path in sorted(FIXTURES.glob("*/*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        for one in (
            payload if isinstance(payload, list) and path.parent.name != "reddit" else [payload]
        ):
            out.append((path.parent.name, one))
    return out


RECORDED = recorded()


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def convert_safely(platform: str, payload: Any) -> None:
    try:
        items = PLATFORMS[platform].convert(payload)
    except CONVERTER_ERRORS:
        return
    assert isinstance(items, list) and all(isinstance(i, dict) for i in items)
    result = accept_batch(items, catalogue=CATALOGUE, now=NOW)
    assert len(result.accepted) + len(result.rejected) == len(items)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(JSON_PLATFORMS), json_values)
def test_arbitrary_json_never_escapes_as_an_unexpected_error(platform: str, payload: Any) -> None:
    convert_safely(platform, payload)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), json_values)
def test_recorded_payloads_with_a_field_replaced_by_junk(data: st.DataObject, junk: Any) -> None:
    platform, original = data.draw(st.sampled_from(RECORDED))
    payload = copy.deepcopy(original)
    where = data.draw(st.sampled_from(paths(payload)))
    target = payload
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = junk
    convert_safely(platform, payload)

"""Schemathesis against ingest's OpenAPI: whatever it sends, ingest never answers 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from services.ingest.settings import IngestSettings
from tests.unit.ingest.conftest import IngestHarness

# Signed sources and a tight rate limit put the 401/429 paths under the fuzzer too.
HARNESS = IngestHarness(
    IngestSettings(
        bus="memory",
        ingest_webhook_secrets={"x": "secret", "facebook": "app-secret"},
        ingest_rate_per_source=50,
        ingest_burst_per_source=200,
        ingest_max_body_bytes=256 * 1024,
    )
)
schema = schemathesis.openapi.from_asgi("/openapi.json", HARNESS.app)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_ingest_never_answers_5xx(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error])

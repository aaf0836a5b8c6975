"""Schemathesis against the API's published OpenAPI, on a real `earshot serve api` process and
the session's PostgreSQL: whatever it sends, logged in as an admin, nothing answers 5xx."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.integration.pipeline import earshot_bin, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def api_server(postgres_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    data_dir = tmp_path_factory.mktemp("api-fuzz")
    env = {
        **os.environ,
        "EARSHOT_DATABASE_URL": postgres_dsn,
        "EARSHOT_BUS": "memory",
        "EARSHOT_DATA_DIR": str(data_dir),
        "EARSHOT_API_DEV_MODE": "true",  # seeds the demo logins the fuzzer uses
        "EARSHOT_LOG_FORMAT": "text",
    }
    log = Path(data_dir) / "api.log"
    process = subprocess.Popen(
        [earshot_bin(), "serve", "api", "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"api did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    try:
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        assert "Traceback" not in log.read_text(), log.read_text()[-5000:]


@pytest.fixture(scope="module")
def admin_headers(api_server: str) -> dict[str, str]:
    login = httpx.post(
        f"{api_server}/v1/auth/token",
        data={"username": "admin@demo.earshot", "password": "earshot-admin"},
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


@pytest.fixture(scope="module")
def api_schema(api_server: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{api_server}/openapi.json")


# The event stream never ends by design (each call would wait out its timeout); everything
# else is fuzzed. The filter goes on the lazy schema: one set on the fixture's schema is not
# applied to the parametrized test.
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/v1/events")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_5xx(case: schemathesis.Case, admin_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=admin_headers, checks=[not_a_server_error])

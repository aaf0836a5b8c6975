"""`earshot run` on a fresh data folder: demo flowing, a posted mention becomes a case."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.integration.pipeline import earshot_bin, free_port, wait_for, wait_ready

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_embedded_mode_turns_a_negative_mention_into_a_case_with_sla(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "EARSHOT_LOG_FORMAT": "text", "EARSHOT_DEMO_RATE": "50"}
    log = tmp_path / "run.log"
    process = subprocess.Popen(
        [earshot_bin(), "run", "--port", str(port), "--data-dir", str(tmp_path / "var")],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        await wait_ready(port, process, timeout=120)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            # Embedded mode seeds the demo logins (printed at start-up) for the API and console.
            login = await http.post(
                "/v1/auth/token",
                data={"username": "responder@demo.earshot", "password": "earshot-responder"},
            )
            assert login.status_code == 200, login.text
            http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            assert "responder@demo.earshot" in log.read_text()
            brands = (await http.get("/v1/brands")).json()["items"]
            assert len(brands) >= 4
            source_id = f"smoke-{datetime.now(UTC).timestamp()}"
            response = await http.post(
                "/v1/mentions",
                json={
                    "source": "x",
                    "source_id": source_id,
                    "brand": brands[0]["id"],
                    "text": "Charged twice and nobody answers. Worst service ever, refund me.",
                    "author": {"handle": "@smoke", "followers": 321},
                    "created_at": datetime.now(UTC).isoformat(),
                },
            )
            assert response.status_code == 202, response.text

            async def our_case() -> dict | None:
                page = (
                    await http.get("/v1/cases", params={"brand": brands[0]["id"], "limit": 200})
                ).json()
                return next(
                    (c for c in page["items"] if c["conversation_key"].endswith(f"|{source_id}")),
                    None,
                )

            case = await wait_for(our_case, timeout=60, what="the posted mention's case")
            assert case["sla_due_at"] and case["team"] == "support" and case["status"] == "open"
            detail = (await http.get(f"/v1/cases/{case['id']}")).json()
            assert detail["mentions"][0]["classification"]["sentiment"]["label"] == "negative"

            async def demo_cases() -> int:
                return len((await http.get("/v1/cases", params={"limit": 200})).json()["items"])

            assert await wait_for(demo_cases, timeout=60, what="demo cases") > 1
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert "stopped" in log.read_text()

"""Embedded mode keeps the guarantees: kill -9 `earshot run` mid-stream, start it again on the
same data folder, and every accepted mention is routed exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from services.shared.db.embedded import start_embedded_postgres
from services.shared.db.pool import create_pool
from tests.integration.pipeline import (
    assert_exactly_once,
    earshot_bin,
    free_port,
    stored_count,
    synthetic_mentions,
    wait_for,
    wait_ready,
)
from tests.support.postgres import stop_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TOTAL = 400


def start_run(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "EARSHOT_LOG_FORMAT": "text", "EARSHOT_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [earshot_bin(), "run", "--no-demo", "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def test_kill_9_of_the_embedded_process_loses_nothing(tmp_path: Path) -> None:
    data_dir, brand = tmp_path / "var", "crashco"
    config = tmp_path / "brand.yaml"
    config.write_text(f"brands:\n  - id: {brand}\n    name: CrashCo\n    keywords: [{brand}]\n")
    env = {**os.environ, "EARSHOT_DATA_DIR": str(data_dir)}
    subprocess.run([earshot_bin(), "config", "load", str(config)], env=env, check=True)

    port = free_port()
    process = start_run(data_dir, port, tmp_path / "run1.log")
    pool = None
    try:
        await wait_ready(port, process, timeout=120)
        items = synthetic_mentions(brand, TOTAL, tag=brand, seed=3)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            for start in range(0, TOTAL, 100):
                response = await http.post("/v1/mentions", json=items[start : start + 100])
                assert response.status_code == 202, response.text
        pool = await create_pool(start_embedded_postgres(data_dir / "postgres", stop_at_exit=False))
        process.send_signal(signal.SIGKILL)  # accepted mentions are now only in the durable log
        process.wait()
        routed_at_kill = await stored_count(pool, brand)
        assert routed_at_kill < TOTAL, "everything was routed before the kill: nothing was tested"

        process = start_run(data_dir, port, tmp_path / "run2.log")
        await wait_ready(port, process, timeout=120)

        async def all_routed() -> bool:
            return await stored_count(pool, brand) >= TOTAL

        await wait_for(all_routed, timeout=180, what="every accepted mention routed")
        await assert_exactly_once(pool, brand, [i["source_id"] for i in items])
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
        if pool is not None:
            await pool.close()
        stop_postgres(data_dir / "postgres")

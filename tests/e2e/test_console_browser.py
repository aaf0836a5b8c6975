"""The console in real headless Chromium (Debian's, driven by Playwright): a responder logs in,
sees a new case arrive live, claims it, answers, and watches the SLA clock stop.

Screenshots of each step go to test-artifacts/console/.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.integration.pipeline import earshot_bin, free_port, wait_ready

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "console"


@pytest.fixture
def earshot(tmp_path: Path):
    if not Path(CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium: run tests/e2e/ensure_chromium.sh")
    port = free_port()
    # A small demo burst and a slow replay keep the unassigned queue short and the page calm.
    env = {
        **os.environ,
        "EARSHOT_LOG_FORMAT": "text",
        "EARSHOT_DEMO_BURST": "3",
        "EARSHOT_DEMO_RATE": "0.2",
    }
    log = tmp_path / "run.log"
    process = subprocess.Popen(
        [earshot_bin(), "run", "--port", str(port), "--data-dir", str(tmp_path / "var")],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        yield port, process
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


async def test_responder_sees_a_case_arrive_live_claims_it_answers_and_the_clock_stops(
    earshot: tuple[int, subprocess.Popen],
) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    port, process = earshot
    base = f"http://127.0.0.1:{port}"
    await wait_ready(port, process, timeout=120)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    phrase = f"engine smoke e2e-{datetime.now(UTC).strftime('%H%M%S%f')}"

    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        # A lead watches the team board in a second session of their own.
        lead = await browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            await page.goto(f"{base}/console")
            await page.wait_for_url("**/console/login")
            await page.fill("input[name=username]", "responder@demo.earshot")
            await page.fill("input[name=password]", "earshot-responder")
            await page.click("button[type=submit]")
            await page.wait_for_selector("#who:has-text('responder@demo.earshot')")
            await page.click("[data-tab=unassigned]")
            await lead.goto(f"{base}/console/login")
            await lead.fill("input[name=username]", "lead@demo.earshot")
            await lead.fill("input[name=password]", "earshot-lead")
            await lead.click("button[type=submit]")
            await lead.wait_for_selector("#who:has-text('lead@demo.earshot')")
            await lead.goto(f"{base}/console#/team")
            await lead.wait_for_selector("main[data-view=team] h2")
            await lead.wait_for_selector("#live.on", timeout=15_000)
            await page.wait_for_selector("#live.on", timeout=15_000)
            await page.screenshot(path=ARTIFACTS / "1-unassigned-queue.png", full_page=True)

            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                response = await http.post(
                    "/v1/mentions",
                    json={
                        "source": "x",
                        "source_id": phrase.replace(" ", "-"),
                        "brand": "skyvela",
                        "text": f"@skyvela_help smoke in the cabin on my flight, crew ignored us, "
                        f"awful and dangerous ({phrase})",
                        "author": {"handle": "@e2e", "followers": 50},
                        "created_at": datetime.now(UTC).isoformat(),
                    },
                )
                assert response.status_code == 202, response.text

            # No reload: the live stream refreshes the queue when the case opens.
            row = page.locator("tr.case-row", has_text=phrase)
            await row.wait_for(timeout=60_000)
            await page.screenshot(path=ARTIFACTS / "2-case-arrived-live.png", full_page=True)
            clock = row.locator("[data-clock]")
            assert await clock.get_attribute("data-stopped") == ""
            await row.click()

            await page.wait_for_selector("#claim")
            await page.click("#claim")
            await page.wait_for_selector("#assignee:has-text('responder@demo.earshot')")
            assert await page.locator("#claim").count() == 0
            # The lead's board shows the new load without a reload.
            await lead.wait_for_selector(
                "main[data-view=team] td:has-text('Rosa Responder') ~ td:has-text('1 / 10')",
                timeout=15_000,
            )
            await lead.screenshot(path=ARTIFACTS / "3b-lead-team-board-live.png", full_page=True)
            running = page.locator("#case-clock .clock")
            assert await running.get_attribute("class") in ("clock ok", "clock warning")
            await page.screenshot(path=ARTIFACTS / "3-claimed.png", full_page=True)

            await page.fill(
                "#reply", "So sorry! The crew lead is on it, please DM us your booking reference."
            )
            await page.click("#send")
            await page.wait_for_selector("#case-clock .clock.met", timeout=15_000)
            stopped = await page.text_content("#case-clock .clock")
            assert stopped is not None and stopped.startswith("✓ answered in")
            await page.wait_for_selector(".mention.reply:has-text('crew lead is on it')")
            await page.screenshot(path=ARTIFACTS / "4-answered-clock-stopped.png", full_page=True)
            # The stopped clock stays stopped as time passes.
            await page.wait_for_timeout(1500)
            assert await page.text_content("#case-clock .clock") == stopped

            for view in ("team", "mentions", "moderation", "dashboard"):
                await page.goto(f"{base}/console#/{view}")
                await page.wait_for_selector(f"main[data-view={view}] h2")
                await page.screenshot(path=ARTIFACTS / f"5-{view}.png", full_page=True)
            assert errors == []
        finally:
            await page.screenshot(path=ARTIFACTS / "last.png", full_page=True)
            await browser.close()

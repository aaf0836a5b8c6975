"""The console's files are served by the API, and nothing else from the server's disk."""

from __future__ import annotations

import httpx
import pytest

from tests.integration import test_api_support as support

# The shared fixtures, bound here so pytest finds them for this module.
api_app = support.api_app
client = support.client

pytestmark = [pytest.mark.postgres]


async def test_console_pages_and_assets_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/")).headers["location"] == "/console"
    page = await client.get("/console")
    assert page.status_code == 200 and "console.js" in page.text
    assert "text/html" in page.headers["content-type"]
    login = await client.get("/console/login")
    assert login.status_code == 200 and 'name="password"' in login.text
    script = await client.get("/console/static/console.js")
    assert script.status_code == 200 and "text/javascript" in script.headers["content-type"]


@pytest.mark.parametrize(
    "name", ["..%2Fmain.py", "%2E%2E%2Fsettings.py", "index.py", ".hidden.js", "missing.css"]
)
async def test_nothing_outside_the_console_folder_is_served(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.get(f"/console/static/{name}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"

"""The environment variables the README documents are exactly the settings the code reads."""

from __future__ import annotations

from pathlib import Path

from services.api.analytics.settings import AlertSettings
from services.api.settings import ApiSettings
from services.classifier.settings import ClassifierSettings
from services.embedded import EmbeddedSettings
from services.ingest.settings import IngestSettings
from services.router.settings import RouterSettings
from services.shared.settings import AbuseSettings, EarshotSettings, env_table

README = Path(__file__).parents[2] / "README.md"
OWNERS: list = [
    ("all", EarshotSettings),
    ("ingest", IngestSettings),
    ("classifier", ClassifierSettings),
    ("router", RouterSettings),
    ("router, api", AbuseSettings),
    ("api", ApiSettings),
    ("api", AlertSettings),
    ("`earshot run`", EmbeddedSettings),
]


def test_readme_settings_table_matches_the_settings_classes() -> None:
    text = README.read_text(encoding="utf-8")
    documented = text.split("<!-- settings:start -->\n")[1].split("\n<!-- settings:end -->")[0]
    assert documented == env_table(OWNERS), (
        "README settings table is stale; paste the output of "
        "`python -c 'from tests.unit.test_readme_settings import table; print(table())'`"
    )


def table() -> str:
    return env_table(OWNERS)

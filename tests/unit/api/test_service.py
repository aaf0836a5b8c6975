"""The API component refuses to start without a usable secret outside dev mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.api.auth import SecretRefused
from services.api.main import ApiService
from services.api.settings import ApiSettings
from services.shared.runtime import Resources
from services.shared.settings import EarshotSettings


def resources(tmp_path: Path, **settings: Any) -> Resources:
    shared = EarshotSettings(data_dir=tmp_path, **settings)
    return Resources(settings=shared, bus=None, pool=None, dsn="")  # type: ignore[arg-type]


def test_a_real_database_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(SecretRefused, match="EARSHOT_API_SECRET"):
        ApiService(
            resources(tmp_path, database_url="postgresql://db/earshot"), ApiSettings(api_secret="")
        )


def test_embedded_postgres_means_dev_mode_with_a_generated_secret(tmp_path: Path) -> None:
    service = ApiService(resources(tmp_path), ApiSettings(api_secret=""))
    assert service.dev_mode
    assert (tmp_path / "api-secret").exists()


def test_dev_mode_can_be_switched_off_explicitly(tmp_path: Path) -> None:
    with pytest.raises(SecretRefused):
        ApiService(resources(tmp_path), ApiSettings(api_secret="", api_dev_mode=False))

"""`earshot train --adapter-from`: reusing an artifact's encoder adapter, checked by digest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from services.classifier.models import artifact_dir, default_artifact_dir
from services.classifier.models.encoder import ADAPTER_FILE
from services.classifier.training.run import _reused_adapter


@pytest.fixture
def shipped() -> Path:
    path = default_artifact_dir()
    if path is None or not (path / ADAPTER_FILE).is_file():
        pytest.skip("the shipped artifact has no adapter")
    return path


def test_artifact_dir_takes_default_a_version_or_a_path(shipped: Path) -> None:
    assert artifact_dir("default") == shipped
    assert artifact_dir(shipped.name).resolve() == shipped.resolve()
    assert artifact_dir(str(shipped)) == shipped
    with pytest.raises(FileNotFoundError, match="no classifier artifact"):
        artifact_dir("no-such-version")


def test_reused_adapter_keeps_its_record_and_says_where_it_came_from(
    shipped: Path, tmp_path: Path
) -> None:
    # An artifact that trained its adapter itself: the record names it and its command.
    trained = tmp_path / "trained"
    shutil.copytree(shipped, trained)
    config = json.loads((trained / "config.json").read_text(encoding="utf-8"))
    config["version"], config["command"] = "trained-here", "earshot train --data d"
    for key in ("reused_from", "reused_from_command"):
        config["encoder"]["adapter"].pop(key, None)
    (trained / "config.json").write_text(json.dumps(config), encoding="utf-8")
    path, record = _reused_adapter(trained)
    assert path == trained / ADAPTER_FILE
    assert record["digest"] == config["encoder"]["adapter"]["digest"]
    assert record["reused_from"] == "trained-here"
    assert record["reused_from_command"] == "earshot train --data d"
    # Reusing it again still names the artifact that trained it, not the one it came through.
    config["version"], config["encoder"]["adapter"] = "second", record
    (trained / "config.json").write_text(json.dumps(config), encoding="utf-8")
    _, again = _reused_adapter(trained)
    assert again["reused_from"] == "trained-here"


def test_a_changed_adapter_file_is_refused(shipped: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(shipped, copy)
    (copy / ADAPTER_FILE).write_bytes((copy / ADAPTER_FILE).read_bytes()[:-7] + b"changed")
    with pytest.raises(ValueError, match="does not match the digest"):
        _reused_adapter(copy)
    config = json.loads((copy / "config.json").read_text(encoding="utf-8"))
    del config["encoder"]["adapter"]
    (copy / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ValueError, match="no encoder adapter"):
        _reused_adapter(copy)


def test_a_shallow_adapter_is_not_reused_deeper(shipped: Path, tmp_path: Path) -> None:
    from services.classifier.training.run import train_from_shared

    shallow = tmp_path / "shallow"
    shutil.copytree(shipped, shallow)
    config = json.loads((shallow / "config.json").read_text(encoding="utf-8"))
    config["encoder"]["adapter"]["depth"] = 2
    (shallow / "config.json").write_text(json.dumps(config), encoding="utf-8")
    # Refused before the data is read: the folder given as data does not even exist.
    with pytest.raises(ValueError, match="trained on 2 encoder blocks; --depth 3"):
        train_from_shared(tmp_path / "no-data", adapter_from=shallow, depth=3)
    with pytest.raises(ValueError, match=r"depth must be 1\.\.6, got 7"):
        train_from_shared(tmp_path / "no-data", adapter=False, depth=7)

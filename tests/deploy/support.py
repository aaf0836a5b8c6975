"""What the deploy tests share: the repo paths, rendered overlays, schema validation, settings."""

from __future__ import annotations

import copy
import functools
import importlib
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from pydantic_settings import BaseSettings

from tests.deploy import kustomize_lite

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "prod")
CRD_SCHEMAS = K8S / "crd-schemas"
# Kubernetes versions the built-in kinds are validated against (kubernetes-validate's schemas):
# the oldest we support and the newest the package ships.
KUBERNETES_VERSIONS = ("1.31", "latest")
SERVICES = ("ingest", "classifier", "router", "api")

Manifest = dict[str, Any]


@functools.cache
def _rendered(overlay: str) -> tuple[str, ...]:
    return tuple(json.dumps(m) for m in kustomize_lite.build(K8S / "overlays" / overlay))


def rendered(overlay: str) -> list[Manifest]:
    """The overlay's manifests, rendered once per test run (a fresh copy for every caller)."""
    return [json.loads(m) for m in _rendered(overlay)]


def by_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def is_builtin(manifest: Manifest) -> bool:
    group = manifest["apiVersion"].rpartition("/")[0]
    return (
        group == ""
        or group.endswith(".k8s.io")
        or group in {"apps", "batch", "policy", "autoscaling"}
    )


def crd_schema_path(manifest: Manifest) -> Path:
    group, _, version = manifest["apiVersion"].rpartition("/")
    return CRD_SCHEMAS / group / f"{manifest['kind']}_{version}.json"


def strict(schema: Any) -> Any:
    """The API server's strict field validation: listed properties only, unless the schema
    preserves unknown fields or says what extra keys may hold."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) for key, value in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@functools.cache
def _crd_validator(path: Path) -> jsonschema.protocols.Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema = strict({k: v for k, v in schema.items() if not k.startswith("x-earshot")})
    # Every object's metadata is checked by the API server's ObjectMeta rules, not the CRD.
    schema.setdefault("properties", {})["metadata"] = {"type": "object"}
    validator_class = jsonschema.validators.validator_for(
        schema, default=jsonschema.Draft7Validator
    )
    return validator_class(schema)


def crd_errors(manifest: Manifest) -> list[str]:
    validator = _crd_validator(crd_schema_path(manifest))
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(copy.deepcopy(manifest))
    ]


def earshot_settings() -> set[str]:
    """Every EARSHOT_* variable the code reads: the settings classes' fields, plus the few
    read straight from the environment (e.g. EARSHOT_CACHE for the encoder cache)."""
    names: set[str] = set()
    modules = sorted(REPO.glob("services/**/settings.py"))
    for path in modules:
        module = importlib.import_module(".".join(path.relative_to(REPO).with_suffix("").parts))
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseSettings)
                and value.model_config.get("env_prefix") == "EARSHOT_"
            ):
                names |= {f"EARSHOT_{field.upper()}" for field in value.model_fields}
    for path in REPO.glob("services/**/*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"environ\.get\(\s*\"(EARSHOT_[A-Z0-9_]+)\"", text))
    return names


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def consumer_group(service: str) -> str:
    """The consumer group a service's code uses (GROUP = "..." in its main.py)."""
    text = (REPO / "services" / service / "main.py").read_text(encoding="utf-8")
    match = re.search(r'^GROUP = "([^"]+)"', text, re.MULTILINE)
    assert match, f"no GROUP in services/{service}/main.py"
    return match.group(1)

"""Every manifest the overlays render is valid: built-in kinds against the Kubernetes schemas of
the `kubernetes-validate` package, custom resources against the CRD schemas vendored under
deploy/k8s/crd-schemas/ (strictly: unknown fields are errors). Offline, no cluster."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.deploy import kustomize_lite
from tests.deploy.support import (
    K8S,
    KUBERNETES_VERSIONS,
    OVERLAYS,
    by_kind,
    crd_errors,
    crd_schema_path,
    is_builtin,
    rendered,
)


def _version(name: str) -> str:
    return kubernetes_validate.latest_version() if name == "latest" else name


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("k8s_version", KUBERNETES_VERSIONS)
def test_builtin_manifests_validate_against_kubernetes_schemas(
    overlay: str, k8s_version: str
) -> None:
    failures = []
    for manifest in rendered(overlay):
        if not is_builtin(manifest):
            continue
        try:
            kubernetes_validate.validate(manifest, _version(k8s_version), strict=True)
        except kubernetes_validate.ValidationError as error:
            where = "/".join(str(p) for p in error.path)
            failures.append(f"{manifest['kind']}/{manifest['metadata']['name']} {where}: {error}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources_validate_against_vendored_crd_schemas(overlay: str) -> None:
    failures = []
    for manifest in rendered(overlay):
        if is_builtin(manifest):
            continue
        assert crd_schema_path(manifest).is_file(), (
            f"no schema for {manifest['apiVersion']} {manifest['kind']}: vendor it "
            "(deploy/k8s/crd-schemas/README.md)"
        )
        failures += [
            f"{manifest['kind']}/{manifest['metadata']['name']} {e}" for e in crd_errors(manifest)
        ]
    assert not failures, "\n".join(failures)


def test_crd_validation_rejects_a_misspelt_field() -> None:
    """The CRD check has teeth: a typo the API server would refuse fails here too."""
    scaled = copy.deepcopy(by_kind(rendered("prod"), "ScaledObject")["earshot-classifier"])
    scaled["spec"]["maxReplicasCount"] = scaled["spec"].pop("maxReplicaCount")
    assert any("maxReplicasCount" in e for e in crd_errors(scaled))

    topic = copy.deepcopy(by_kind(rendered("prod"), "KafkaTopic")["mentions-raw"])
    topic["spec"]["partitions"] = 0
    assert crd_errors(topic)


def test_builtin_validation_rejects_a_misspelt_field() -> None:
    deployment = copy.deepcopy(by_kind(rendered("prod"), "Deployment")["earshot-api"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_resources_are_unique_and_namespaced(overlay: str) -> None:
    manifests = rendered(overlay)
    namespaces = by_kind(manifests, "Namespace")
    assert len(namespaces) == 1
    (namespace,) = namespaces
    keys = [(m["apiVersion"], m["kind"], m["metadata"]["name"]) for m in manifests]
    assert len(keys) == len(set(keys))
    for manifest in manifests:
        if manifest["kind"] != "Namespace":
            assert manifest["metadata"]["namespace"] == namespace, manifest["metadata"]["name"]


@pytest.mark.skipif(
    not (os.environ.get("KUSTOMIZE") or shutil.which("kustomize")),
    reason="the real kustomize binary is not on PATH (set KUSTOMIZE=/path/to/kustomize)",
)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_renderer_matches_real_kustomize(overlay: str) -> None:
    binary = os.environ.get("KUSTOMIZE") or shutil.which("kustomize")
    assert binary
    output = subprocess.run(
        [binary, "build", str(K8S / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout

    def key(m: dict) -> tuple[str, str]:
        return m["kind"], m["metadata"]["name"]

    real = sorted((d for d in yaml.safe_load_all(output) if d), key=key)
    assert sorted(rendered(overlay), key=key) == real


def test_renderer_refuses_fields_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("namePrefix: x-\nresources: []\n")
    with pytest.raises(kustomize_lite.KustomizeError, match="namePrefix"):
        kustomize_lite.build(tmp_path)


def test_renderer_refuses_a_patch_that_matches_nothing(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [cm.yaml]\npatches:\n  - target: {kind: ConfigMap, name: b}\n"
        "    patch: '[{op: add, path: /data, value: {}}]'\n"
    )
    with pytest.raises(kustomize_lite.KustomizeError, match="matches nothing"):
        kustomize_lite.build(tmp_path)


def test_standalone_jobs_validate_and_use_the_migrate_network_identity() -> None:
    """deploy/k8s/jobs/ holds one-off Jobs applied by hand (not part of an overlay)."""
    jobs = sorted((K8S / "jobs").glob("*.yaml"))
    assert jobs
    for path in jobs:
        for manifest in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            kubernetes_validate.validate(
                manifest, kubernetes_validate.latest_version(), strict=True
            )
            labels = manifest["spec"]["template"]["metadata"]["labels"]
            assert labels["app.kubernetes.io/component"] == "migrate", path.name

"""A small, pure-Python `kustomize build` for the features deploy/k8s uses, so the tests render
the overlays offline with nothing but PyYAML.

Supported kustomization fields: `resources` (files and folders with a kustomization.yaml),
`namespace`, `labels` (without selectors or templates), `images`, `replicas` and `patches`
(strategic-merge patches from a file or inline, JSON 6902 patches with a `target` by kind, name
and label selector). Any other field raises, so the renderer cannot silently diverge from
kustomize; where the real `kustomize` binary is on PATH, a test also compares the two outputs.

    python -m tests.deploy.kustomize_lite build deploy/k8s/overlays/prod
    python -m tests.deploy.kustomize_lite prometheusrule   # regenerate the PrometheusRule
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

Manifest = dict[str, Any]

SUPPORTED = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "images",
    "replicas",
    "patches",
}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
}
# Strategic merge: lists of these fields merge item by item on the key; other lists replace.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "topologySpreadConstraints": "topologyKey",
}
WORKLOADS_WITH_REPLICAS = {"Deployment", "StatefulSet", "ReplicaSet"}


class KustomizeError(Exception):
    pass


def load_yaml_documents(path: Path) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def build(directory: Path) -> list[Manifest]:
    """The manifests `kustomize build directory` produces (order: resources in file order)."""
    directory = Path(directory)
    kustomization_file = directory / "kustomization.yaml"
    if not kustomization_file.is_file():
        raise KustomizeError(f"{directory}: no kustomization.yaml")
    kustomization = yaml.safe_load(kustomization_file.read_text(encoding="utf-8")) or {}
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise KustomizeError(f"{kustomization_file}: unsupported fields {sorted(unknown)}")

    manifests: list[Manifest] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        manifests.extend(build(path) if path.is_dir() else load_yaml_documents(path))
    _check_unique(manifests, kustomization_file)

    for patch in kustomization.get("patches", []):
        _apply_patch(manifests, patch, directory)
    for replica in kustomization.get("replicas", []):
        _set_replicas(manifests, replica["name"], int(replica["count"]))
    for image in kustomization.get("images", []):
        _set_image(manifests, image)
    for label_set in kustomization.get("labels", []):
        if label_set.get("includeSelectors") or label_set.get("includeTemplates"):
            raise KustomizeError("labels with includeSelectors/includeTemplates are not supported")
        for manifest in manifests:
            manifest.setdefault("metadata", {}).setdefault("labels", {}).update(label_set["pairs"])
    if "namespace" in kustomization:
        for manifest in manifests:
            if manifest["kind"] not in CLUSTER_SCOPED:
                manifest.setdefault("metadata", {})["namespace"] = kustomization["namespace"]
    return manifests


def _identity(manifest: Manifest) -> tuple[str, str, str]:
    group = manifest["apiVersion"].rsplit("/", 1)[0] if "/" in manifest["apiVersion"] else ""
    return group, manifest["kind"], manifest["metadata"]["name"]


def _check_unique(manifests: list[Manifest], where: Path) -> None:
    seen: set[tuple[str, str, str]] = set()
    for manifest in manifests:
        key = _identity(manifest)
        if key in seen:
            raise KustomizeError(f"{where}: duplicate resource {key}")
        seen.add(key)


def _matches(manifest: Manifest, target: dict[str, Any]) -> bool:
    if "kind" in target and manifest["kind"] != target["kind"]:
        return False
    if "name" in target and manifest["metadata"]["name"] != target["name"]:
        return False
    if "labelSelector" in target:
        labels = manifest["metadata"].get("labels", {})
        for term in target["labelSelector"].split(","):
            key, _, value = term.partition("=")
            if labels.get(key.strip()) != value.strip():
                return False
    return True


def _apply_patch(manifests: list[Manifest], patch: dict[str, Any], directory: Path) -> None:
    if "path" in patch:
        documents = load_yaml_documents(directory / patch["path"])
    else:
        loaded = yaml.safe_load(patch["patch"])
        documents = [loaded]
    target = patch.get("target")
    for document in documents:
        if isinstance(document, list):  # JSON 6902
            if not target:
                raise KustomizeError("a JSON 6902 patch needs a target")
            hits = [m for m in manifests if _matches(m, target)]
            if not hits:
                raise KustomizeError(f"patch target matches nothing: {target}")
            for manifest in hits:
                for operation in document:
                    _json6902(manifest, operation)
        else:  # strategic merge: target = the patch's own kind and name
            own = {"kind": document["kind"], "name": document["metadata"]["name"]}
            hits = [m for m in manifests if _matches(m, target or own)]
            if not hits:
                raise KustomizeError(f"patch target matches nothing: {target or own}")
            for manifest in hits:
                merged = strategic_merge(manifest, document)
                manifest.clear()
                manifest.update(merged)


def strategic_merge(base: Any, patch: Any, field: str | None = None) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = strategic_merge(merged[key], value, key)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(patch, list) and field in MERGE_KEYS:
        # kustomize (kyaml) puts the patch's items first, in patch order, then the others.
        key = MERGE_KEYS[field]
        patched = {item.get(key) for item in patch}
        by_key = {item.get(key): item for item in base if isinstance(item, dict)}
        head = [
            strategic_merge(by_key[item.get(key)], item)
            if item.get(key) in by_key
            else copy.deepcopy(item)
            for item in patch
        ]
        rest = [copy.deepcopy(item) for item in base if item.get(key) not in patched]
        return head + rest
    return copy.deepcopy(patch)


def _pointer(path: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in path.lstrip("/").split("/")]


def _json6902(manifest: Manifest, operation: dict[str, Any]) -> None:
    parts = _pointer(operation["path"])
    parent: Any = manifest
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = parts[-1]
    op = operation["op"]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if op == "add":
            parent.insert(index, copy.deepcopy(operation["value"]))
        elif op == "replace":
            parent[index] = copy.deepcopy(operation["value"])
        elif op == "remove":
            del parent[index]
        else:
            raise KustomizeError(f"unsupported JSON patch op {op}")
        return
    if op in ("add", "replace"):
        if op == "replace" and last not in parent:
            raise KustomizeError(f"replace of missing path {operation['path']}")
        parent[last] = copy.deepcopy(operation["value"])
    elif op == "remove":
        del parent[last]
    else:
        raise KustomizeError(f"unsupported JSON patch op {op}")


def _set_replicas(manifests: list[Manifest], name: str, count: int) -> None:
    hits = [
        m
        for m in manifests
        if m["kind"] in WORKLOADS_WITH_REPLICAS and m["metadata"]["name"] == name
    ]
    if not hits:
        raise KustomizeError(f"replicas: no workload named {name}")
    for manifest in hits:
        manifest["spec"]["replicas"] = count


def _containers(manifest: Manifest) -> Iterable[dict[str, Any]]:
    def walk(node: Any) -> Iterable[dict[str, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("containers", "initContainers") and isinstance(value, list):
                    yield from (c for c in value if isinstance(c, dict) and "image" in c)
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return walk(manifest)


def _split_image(image: str) -> tuple[str, str]:
    """(name, tag-or-digest suffix including its separator)."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon:]
    return image, ""


def _set_image(manifests: list[Manifest], spec: dict[str, Any]) -> None:
    for manifest in manifests:
        for container in _containers(manifest):
            name, suffix = _split_image(container["image"])
            if name != spec["name"]:
                continue
            new_name = spec.get("newName", name)
            if "digest" in spec:
                suffix = "@" + spec["digest"]
            elif "newTag" in spec:
                suffix = ":" + str(spec["newTag"])
            container["image"] = new_name + suffix


def dump(manifests: list[Manifest]) -> str:
    return yaml.safe_dump_all(manifests, sort_keys=True, default_flow_style=False)


def prometheus_rule(repo: Path) -> str:
    """deploy/k8s/monitoring/prometheusrule.yaml, generated from deploy/observability/alerts.yml."""
    rules = yaml.safe_load((repo / "deploy/observability/alerts.yml").read_text(encoding="utf-8"))
    document = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "earshot"},
        "spec": {"groups": rules["groups"]},
    }

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    header = (
        "# Generated from deploy/observability/alerts.yml (the same groups; a test keeps them "
        "equal).\n# Regenerate: python -m tests.deploy.kustomize_lite prometheusrule > "
        "deploy/k8s/monitoring/prometheusrule.yaml\n"
    )
    return header + yaml.dump(document, Dumper=Dumper, sort_keys=False, width=100)


def main(argv: list[str]) -> int:
    repo = Path(__file__).resolve().parents[2]
    if argv[:1] == ["build"] and len(argv) == 2:
        sys.stdout.write(dump(build(Path(argv[1]))))
        return 0
    if argv == ["prometheusrule"]:
        sys.stdout.write(prometheus_rule(repo))
        return 0
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

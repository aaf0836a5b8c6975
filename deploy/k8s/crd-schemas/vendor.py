"""Vendor CRD validation schemas: `python deploy/k8s/crd-schemas/vendor.py CRD.yaml...`.

Reads CustomResourceDefinition manifests and writes, for each served version, the
`openAPIV3Schema` as `<group>/<Kind>_<version>.json` next to this file, without the
`description` texts (they are most of the bytes and none of the checking). The tests
(tests/deploy/) validate the rendered manifests against these files, strictly: an object
schema that lists properties rejects any other key unless it says
`x-kubernetes-preserve-unknown-fields`, which is what the API server's strict field
validation does.

Where each file came from is listed in README.md (same folder).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


def strip_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: strip_descriptions(value)
            for key, value in node.items()
            if not (key == "description" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [strip_descriptions(item) for item in node]
    return node


def vendor(crd_path: Path) -> list[Path]:
    written = []
    for crd in yaml.safe_load_all(crd_path.read_text(encoding="utf-8")):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served", True):
                continue
            schema = strip_descriptions(version["schema"]["openAPIV3Schema"])
            schema["x-earshot-source"] = crd_path.name
            out = HERE / group / f"{kind}_{version['name']}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            written.append(out)
    return written


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        for path in vendor(Path(arg)):
            print(path.relative_to(HERE))

"""Generate the checked-in JSON Schemas from the pydantic models (`make schemas`).

One file per event type and major version under `schemas/json/`. The drift test regenerates
them in memory and fails when the checked-in files differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from schemas.envelope import CloudEvent
from schemas.registry import EVENT_TYPES

JSON_DIR = Path(__file__).with_name("json")
EXAMPLES_DIR = Path(__file__).with_name("examples")


def event_schema(event_type: str) -> dict[str, Any]:
    model = EVENT_TYPES[event_type]
    schema = CloudEvent[model].model_json_schema(mode="validation")  # type: ignore[valid-type]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://earshot.dev/schemas/{event_type}.schema.json"
    schema["title"] = event_type
    schema["properties"]["type"] = {"const": event_type, "title": "Type", "type": "string"}
    return schema


def rendered() -> dict[str, str]:
    return {
        f"{event_type}.schema.json": json.dumps(event_schema(event_type), indent=2, sort_keys=True)
        + "\n"
        for event_type in sorted(EVENT_TYPES)
    }


def main() -> int:
    JSON_DIR.mkdir(exist_ok=True)
    files = rendered()
    for stale in set(p.name for p in JSON_DIR.glob("*.schema.json")) - set(files):
        (JSON_DIR / stale).unlink()
    for name, text in files.items():
        (JSON_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} schemas to {JSON_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

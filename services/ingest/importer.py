"""`earshot import FILE`: post a JSONL or CSV export to ingest in batches, with progress."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

CSV_AUTHOR_FIELDS = {"author_handle": "handle", "author_followers": "followers"}


@dataclass
class ImportReport:
    accepted: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)

    def summary(self) -> str:
        lines = [f"accepted {self.accepted}, rejected {len(self.rejected)}"]
        lines += [f"  line {line}: {reason}" for line, reason in self.rejected[:50]]
        if len(self.rejected) > 50:
            lines.append(f"  ... and {len(self.rejected) - 50} more")
        return "\n".join(lines)


def read_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, mention-shaped object or the reason it cannot be read)."""
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield number, _csv_mention(row)
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, ValueError(f"invalid JSON: {exc}")


def _csv_mention(row: dict[str, str]) -> dict[str, Any]:
    mention: dict[str, Any] = {
        k: v for k, v in row.items() if v not in ("", None) and k not in CSV_AUTHOR_FIELDS
    }
    author: dict[str, Any] = {}
    for column, name in CSV_AUTHOR_FIELDS.items():
        if row.get(column):
            author[name] = (
                int(row[column]) if name == "followers" and row[column].isdigit() else row[column]
            )
    mention["author"] = author
    return mention


def import_mentions(path: Path, *, url: str, batch_size: int = 500) -> ImportReport:
    report = ImportReport()
    batch: list[tuple[int, Any]] = []
    with (
        httpx.Client(base_url=url, timeout=60) as client,
        tqdm(unit=" mentions", desc=path.name) as bar,
    ):
        for number, row in read_rows(path):
            if isinstance(row, Exception):
                report.rejected.append((number, str(row)))
                continue
            batch.append((number, row))
            if len(batch) >= batch_size:
                _post(client, batch, report)
                bar.update(len(batch))
                batch = []
        if batch:
            _post(client, batch, report)
            bar.update(len(batch))
    return report


def _post(client: httpx.Client, batch: list[tuple[int, Any]], report: ImportReport) -> None:
    response = client.post("/v1/mentions", json=[row for _, row in batch])
    if response.status_code not in (202, 422):
        response.raise_for_status()
    body = response.json()
    results = (
        body
        if response.status_code == 202
        else {"accepted": [], "rejected": body["error"]["details"]}
    )
    report.accepted += len(results["accepted"])
    for rejection in results["rejected"]:
        error = rejection["error"]
        detail = f" {error['details']}" if error.get("details") else ""
        report.rejected.append(
            (batch[rejection["index"]][0], f"{error['code']}: {error['message']}{detail}")
        )

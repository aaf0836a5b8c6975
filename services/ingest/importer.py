"""`earshot import FILE`: post a JSONL or CSV export to ingest in batches, with progress.

Resumable: after every batch ingest acknowledged, the number of the last row it covered is
written to a checkpoint file next to the export (atomically: write, then rename). Run the
same command again after a crash, a Ctrl-C or a network failure and it continues after that
row; rows sent twice are harmless (the mention id is deterministic, ingest drops repeats).
The checkpoint remembers a fingerprint of the file's start and refuses to resume a
different file. It is removed once the whole file is imported.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tqdm import tqdm

from services.ingest.security import TIMESTAMP_HEADER, sign

CSV_AUTHOR_FIELDS = {"author_handle": "handle", "author_followers": "followers"}
MAX_KEPT_REJECTIONS = 1000


class ImportFailed(RuntimeError):
    """The import cannot go on (ingest unreachable, a checkpoint of another file)."""


class RetryableError(Exception):
    pass


@dataclass
class ImportReport:
    accepted: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    rejected_total: int = 0
    resumed_after: int = 0

    def reject(self, line: int, reason: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_KEPT_REJECTIONS:
            self.rejected.append((line, reason))

    def summary(self) -> str:
        lines = []
        if self.resumed_after:
            lines.append(f"resumed after line {self.resumed_after}")
        lines.append(f"accepted {self.accepted}, rejected {self.rejected_total}")
        lines += [f"  line {line}: {reason}" for line, reason in self.rejected[:50]]
        if self.rejected_total > 50:
            lines.append(f"  ... and {self.rejected_total - 50} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    fingerprint: str

    @classmethod
    def beside(cls, export: Path, path: Path | None = None) -> Checkpoint:
        with export.open("rb") as handle:
            head = handle.read(64 * 1024)
        fingerprint = hashlib.sha256(head).hexdigest()
        return cls(path or export.with_name(export.name + ".checkpoint"), fingerprint)

    def load(self) -> tuple[int, ImportReport]:
        """(last acknowledged line, the report so far); (0, empty) with no checkpoint."""
        if not self.path.exists():
            return 0, ImportReport()
        state = json.loads(self.path.read_text(encoding="utf-8"))
        if state.get("fingerprint") != self.fingerprint:
            raise ImportFailed(
                f"{self.path} belongs to a different file; delete it or pass --restart"
            )
        report = ImportReport(
            accepted=state["accepted"],
            rejected=[(line, reason) for line, reason in state["rejected"]],
            rejected_total=state["rejected_total"],
            resumed_after=state["line"],
        )
        return int(state["line"]), report

    def save(self, line: int, report: ImportReport) -> None:
        state = {
            "fingerprint": self.fingerprint,
            "line": line,
            "accepted": report.accepted,
            "rejected_total": report.rejected_total,
            "rejected": report.rejected,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, self.path)  # a crash mid-write leaves the previous checkpoint whole

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def read_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, mention-shaped object or the reason it cannot be read)."""
    with path.open(encoding="utf-8", newline="", errors="strict") as handle:
        if path.suffix.lower() == ".csv":
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield number, _csv_mention(row)
            return
        number = 0
        while True:
            number += 1
            try:
                line = handle.readline()
            except UnicodeDecodeError as exc:
                yield (
                    number,
                    ValueError(f"not UTF-8: {exc.reason}; the rest of the file is skipped"),
                )
                return
            if not line:
                return
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
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


def import_mentions(
    path: Path,
    *,
    url: str,
    batch_size: int = 500,
    checkpoint: Path | None = None,
    restart: bool = False,
    secret: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> ImportReport:
    marker = Checkpoint.beside(path, checkpoint)
    if restart:
        marker.remove()
    done, report = marker.load()
    batch: list[tuple[int, Any]] = []
    with (
        httpx.Client(base_url=url, timeout=60, transport=transport) as client,
        tqdm(unit=" mentions", desc=path.name) as bar,
    ):
        for number, row in read_rows(path):
            if number <= done:
                continue
            if isinstance(row, Exception):
                report.reject(number, str(row))
                continue
            batch.append((number, row))
            if len(batch) >= batch_size:
                _post(client, batch, report, secret)
                marker.save(number, report)
                bar.update(len(batch))
                batch = []
        if batch:
            _post(client, batch, report, secret)
            bar.update(len(batch))
    marker.remove()
    return report


def _post(
    client: httpx.Client, batch: list[tuple[int, Any]], report: ImportReport, secret: str | None
) -> None:
    body = json.dumps([row for _, row in batch], ensure_ascii=False).encode("utf-8")
    for attempt in Retrying(
        retry=retry_if_exception_type((RetryableError, httpx.TransportError)),
        wait=wait_exponential_jitter(max=30),
        stop=stop_after_attempt(8),
        reraise=True,
    ):
        with attempt:
            response = _send(client, body, secret)
    if response.status_code not in (202, 422):
        raise ImportFailed(f"ingest answered {response.status_code}: {response.text[:500]}")
    results = response.json()
    if response.status_code == 422:
        results = {"accepted": [], "rejected": results["error"]["details"]}
    report.accepted += len(results["accepted"])
    for rejection in results["rejected"]:
        error = rejection["error"]
        detail = f" {error['details']}" if error.get("details") else ""
        report.reject(batch[rejection["index"]][0], f"{error['code']}: {error['message']}{detail}")


def _send(client: httpx.Client, body: bytes, secret: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if secret is not None:
        timestamp = int(time.time())
        headers[TIMESTAMP_HEADER] = str(timestamp)
        headers["x-hub-signature-256"] = sign(secret, body, timestamp)
    response = client.post("/v1/mentions", content=body, headers=headers)
    if response.status_code == 429:
        time.sleep(min(60, int(response.headers.get("retry-after", "1") or 1)))
        raise RetryableError("rate limited")
    if response.status_code >= 500:
        raise RetryableError(f"ingest answered {response.status_code}")
    return response

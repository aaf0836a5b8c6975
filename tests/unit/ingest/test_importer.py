"""`earshot import`: per-row rejections with reasons, and resuming after a failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.ingest.importer import ImportFailed, import_mentions
from services.ingest.security import check_signature


class FakeIngest:
    """Accepts every item with text, refuses the rest; can be told to fail after N posts."""

    def __init__(self, fail_after: int | None = None, status: int = 400) -> None:
        self.fail_after = fail_after
        self.status = status
        self.posted: list[str] = []
        self.posts = 0
        self.throttled = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.posts += 1
        if self.fail_after is not None and self.posts > self.fail_after:
            return httpx.Response(self.status, json={"error": {"code": "boom"}})
        items = json.loads(request.content)
        accepted, rejected = [], []
        for index, item in enumerate(items):
            if item.get("text"):
                accepted.append({"index": index, "id": item["source_id"]})
                self.posted.append(item["source_id"])
            else:
                error = {"code": "invalid_mention", "message": "no text", "details": None}
                rejected.append({"index": index, "error": error})
        if not accepted:
            error = {"code": "invalid_mention", "message": "none", "details": rejected}
            return httpx.Response(422, json={"error": error})
        return httpx.Response(202, json={"accepted": accepted, "rejected": rejected})


def export(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "export.jsonl"
    lines = []
    for i in range(1, count + 1):
        row: dict[str, Any] = {"source": "x", "source_id": str(i), "text": f"acme {i}"}
        if i == 3:
            row["text"] = ""
        lines.append(json.dumps(row) if i != 5 else "{broken")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(path: Path, ingest: FakeIngest, **kwargs: Any) -> Any:
    return import_mentions(
        path, url="http://ingest", batch_size=4, transport=httpx.MockTransport(ingest), **kwargs
    )


def test_rejected_rows_are_reported_with_their_line_and_reason(tmp_path: Path) -> None:
    report = run(export(tmp_path, 10), FakeIngest())
    assert report.accepted == 8
    assert report.rejected == [(3, "invalid_mention: no text"), (5, report.rejected[1][1])]
    assert report.rejected[1][1].startswith("invalid JSON")


def test_import_resumes_after_the_last_acknowledged_batch(tmp_path: Path) -> None:
    path = export(tmp_path, 20)
    first = FakeIngest(fail_after=2)
    with pytest.raises(ImportFailed):
        run(path, first)
    checkpoint = path.with_name("export.jsonl.checkpoint")
    assert json.loads(checkpoint.read_text())["line"] == 9  # two batches of 4 rows (+ line 5)
    second = FakeIngest()
    report = run(path, second)
    assert report.resumed_after == 9
    assert sorted(first.posted + second.posted, key=int) == [
        str(i) for i in range(1, 21) if i not in (3, 5)
    ]  # every row once: nothing acknowledged is sent again
    assert report.accepted == 18 and report.rejected_total == 2
    assert not checkpoint.exists()


def test_a_checkpoint_of_another_file_is_not_used(tmp_path: Path) -> None:
    path = export(tmp_path, 20)
    with pytest.raises(ImportFailed):
        run(path, FakeIngest(fail_after=1))
    path.write_text(path.read_text().replace("acme 1", "acme one"))
    with pytest.raises(ImportFailed, match="different file"):
        run(path, FakeIngest())
    assert run(path, FakeIngest(), restart=True).accepted == 18


def test_server_errors_and_throttling_are_retried(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr("services.ingest.importer.time.sleep", lambda _: None)
    calls = {"n": 0}
    good = FakeIngest()

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(503, json={})
        if calls["n"] == 2:
            return httpx.Response(429, headers={"retry-after": "1"}, json={})
        return good(request)

    report = import_mentions(
        export(tmp_path, 4), url="http://ingest", transport=httpx.MockTransport(flaky)
    )
    assert report.accepted == 3


def test_signed_import(tmp_path: Path) -> None:
    seen: list[Any] = []
    good = FakeIngest()

    def verify(request: httpx.Request) -> httpx.Response:
        seen.append(
            check_signature(
                secret="s",
                body=request.content,
                headers=request.headers,
                now=__import__("time").time(),
                max_age_s=60,
            )
        )
        return good(request)

    import_mentions(
        export(tmp_path, 4), url="http://ingest", secret="s", transport=httpx.MockTransport(verify)
    )
    assert seen == [None]


def test_csv_export(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "source,source_id,text,author_handle,author_followers,created_at\n"
        "x,1,acme rocks,@a,12,2026-11-20T10:00:00Z\n"
        "x,2,,@b,,2026-11-20T10:00:00Z\n",
        encoding="utf-8",
    )
    report = run(path, FakeIngest())
    assert report.accepted == 1 and report.rejected == [(3, "invalid_mention: no text")]

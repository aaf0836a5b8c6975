"""Invariants of the bundled demo stream that `make run` replays.

`services/shared/demo/brands.yaml` is the demo brand catalogue and
`services/shared/demo/mentions.jsonl` the hand-written mention stream, one ingest input
object per line. These tests keep both files honest when someone edits them by hand.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas.mention import MAX_TEXT_CHARS, Author

DEMO_DIR = Path(__file__).resolve().parents[2] / "services" / "shared" / "demo"
BRANDS_FILE = DEMO_DIR / "brands.yaml"
MENTIONS_FILE = DEMO_DIR / "mentions.jsonl"

SOURCES = {
    "x",
    "mastodon",
    "bluesky",
    "reddit",
    "youtube",
    "facebook",
    "instagram",
    "telegram",
    "news",
}
REQUIRED_KEYS = {"source", "source_id", "text", "author", "url", "created_at"}
OPTIONAL_KEYS = {"brand", "lang", "thread_id", "parent_id"}
WINDOW_END = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
WINDOW_START = WINDOW_END - timedelta(days=7)
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SLUG_RE = re.compile(r"^[a-z0-9-]+$")
VIRAL_WINDOW = timedelta(minutes=30)


def _parse_ts(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def brands() -> list[dict[str, Any]]:
    doc = yaml.safe_load(BRANDS_FILE.read_text(encoding="utf-8"))
    assert isinstance(doc, dict) and isinstance(doc.get("brands"), list)
    catalogue: list[dict[str, Any]] = doc["brands"]
    return catalogue


@pytest.fixture(scope="module")
def brand_terms(brands: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {b["id"]: [*b["keywords"], *b["hashtags"], *b["handles"]] for b in brands}


@pytest.fixture(scope="module")
def raw_lines() -> list[str]:
    return MENTIONS_FILE.read_bytes().decode("utf-8").splitlines()


@pytest.fixture(scope="module")
def mentions(raw_lines: list[str]) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate(raw_lines, 1):
        obj = json.loads(line)
        assert isinstance(obj, dict), f"line {n} is not a JSON object"
        out.append(obj)
    return out


# --------------------------------------------------------------------------- catalogue


def test_brand_catalogue_shape(brands: list[dict[str, Any]]) -> None:
    ids = [b["id"] for b in brands]
    assert len(ids) == len(set(ids)) == 6
    assert len({b["name"] for b in brands}) == 6
    own = {b["id"] for b in brands if b["competitor_of"] is None}
    competitors = [b for b in brands if b["competitor_of"] is not None]
    assert len(own) == 4 and len(competitors) == 2
    for c in competitors:
        assert c["competitor_of"] in own, f"{c['id']} competes with an unknown brand"
    for b in brands:
        assert set(b) == {
            "id",
            "name",
            "competitor_of",
            "keywords",
            "hashtags",
            "handles",
            "urgent_keywords",
            "languages",
        }
        assert SLUG_RE.match(b["id"]), b["id"]
        assert isinstance(b["name"], str) and b["name"].strip()
        assert b["keywords"], f"{b['id']} has no keywords"
        for kw in b["keywords"] + b["urgent_keywords"]:
            assert isinstance(kw, str) and kw.strip() and kw == kw.lower()
        for tag in b["hashtags"]:
            assert tag.startswith("#") and tag == tag.lower() and " " not in tag
        for handle in b["handles"]:
            assert handle.startswith("@") and handle == handle.lower() and " " not in handle
        assert isinstance(b["languages"], list)


def test_tracking_terms_are_unambiguous(brand_terms: dict[str, list[str]]) -> None:
    owner: dict[str, str] = {}
    for brand, terms in brand_terms.items():
        for term in terms:
            assert owner.setdefault(term, brand) == brand, f"{term!r} belongs to two brands"


# --------------------------------------------------------------------------- lines


def test_file_is_utf8_jsonl_without_escapes(raw_lines: list[str]) -> None:
    assert len(raw_lines) >= 320
    for n, line in enumerate(raw_lines, 1):
        assert line.strip(), f"line {n} is blank"
        assert "\\u" not in line, f"line {n}: write UTF-8 text, not \\u escapes"


def test_fields_and_types(mentions: list[dict[str, Any]]) -> None:
    for n, m in enumerate(mentions, 1):
        keys = set(m)
        assert REQUIRED_KEYS <= keys, f"line {n} lacks {REQUIRED_KEYS - keys}"
        extra = keys - REQUIRED_KEYS - OPTIONAL_KEYS
        assert not extra, f"line {n} has unexpected keys {extra}"
        assert m["source"] in SOURCES, f"line {n}: source {m['source']!r}"
        assert isinstance(m["source_id"], str) and m["source_id"].strip()
        assert isinstance(m["text"], str) and m["text"].strip()
        assert len(m["text"]) <= MAX_TEXT_CHARS
        assert set(m["author"]) == {"handle", "followers"}, f"line {n}: author {m['author']}"
        author = Author.model_validate(m["author"])
        assert type(m["author"]["followers"]) is int and author.handle.strip()
        assert isinstance(m["url"], str) and m["url"].startswith("https://")
        assert TIMESTAMP_RE.match(m["created_at"]), f"line {n}: created_at {m['created_at']!r}"
        if "lang" in m:
            assert re.fullmatch(r"[a-z]{2}", m["lang"]), f"line {n}: lang {m['lang']!r}"
        if "brand" in m:
            assert isinstance(m["brand"], str) and m["brand"]
        assert ("thread_id" in m) == ("parent_id" in m), f"line {n}: thread_id without parent_id"


def test_brands_exist_and_about_sixty_percent_carry_one(
    mentions: list[dict[str, Any]], brand_terms: dict[str, list[str]]
) -> None:
    with_brand = [m for m in mentions if "brand" in m]
    for m in with_brand:
        assert m["brand"] in brand_terms, f"unknown brand {m['brand']!r}"
    assert 0.45 <= len(with_brand) / len(mentions) <= 0.75
    per_brand = Counter(m["brand"] for m in with_brand)
    assert set(per_brand) == set(brand_terms), "every brand appears with an explicit brand"


def test_lines_without_brand_match_a_tracking_term(
    mentions: list[dict[str, Any]], brand_terms: dict[str, list[str]]
) -> None:
    all_terms = [t for terms in brand_terms.values() for t in terms]
    for m in mentions:
        if "brand" in m:
            continue
        text = m["text"].lower()
        assert any(t in text for t in all_terms), f"no tracking term in {m['text']!r}"


def test_language_hints(mentions: list[dict[str, Any]]) -> None:
    hints = Counter(m["lang"] for m in mentions if "lang" in m)
    assert 0.35 <= sum(hints.values()) / len(mentions) <= 0.65
    assert {"en", "fr", "ro", "ru", "fi", "de"} <= set(hints)
    assert len(hints) >= 8
    # About half the lines carry a hint, so >= 25 lines per language means >= 10 hints.
    for lang in ("en", "fr", "ro", "ru", "fi"):
        assert hints[lang] >= 10, f"only {hints[lang]} {lang} hints"
    scripts = {"ru": r"[\u0400-\u04ff]", "ar": r"[\u0600-\u06ff]", "hi": r"[\u0900-\u097f]"}
    for m in mentions:
        pattern = scripts.get(m.get("lang", ""))
        if pattern:
            assert re.search(pattern, m["text"]), f"{m['lang']} hint on {m['text']!r}"
    romanian = [m["text"] for m in mentions if m.get("lang") == "ro"]
    assert any(re.search("[șțăîâ]", t) for t in romanian), "Romanian lines lack diacritics"
    finnish = [m["text"] for m in mentions if m.get("lang") == "fi"]
    assert any(re.search("[äö]", t) for t in finnish), "Finnish lines lack ä/ö"


def test_source_ids_unique_per_source(mentions: list[dict[str, Any]]) -> None:
    keys = Counter((m["source"], m["source_id"]) for m in mentions)
    dupes = [k for k, n in keys.items() if n > 1]
    assert not dupes, f"duplicate (source, source_id): {dupes}"


def test_created_at_ascending_within_the_week(mentions: list[dict[str, Any]]) -> None:
    times = [_parse_ts(m["created_at"]) for m in mentions]
    assert times == sorted(times), "created_at must be in ascending order"
    assert times[0] >= WINDOW_START and times[-1] <= WINDOW_END
    assert len({t.date() for t in times}) >= 7, "spread over the whole week"


def test_threads_refer_to_earlier_roots(mentions: list[dict[str, Any]]) -> None:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    sizes: Counter[tuple[str, str]] = Counter()
    for m in mentions:
        key = (m["source"], m["source_id"])
        if "thread_id" in m:
            root = seen.get((m["source"], m["thread_id"]))
            assert root is not None, f"{key}: thread root {m['thread_id']} not earlier in file"
            assert "thread_id" not in root, f"{key}: thread_id points at a reply"
            parent = seen.get((m["source"], m["parent_id"]))
            assert parent is not None, f"{key}: parent {m['parent_id']} not earlier in file"
            assert parent is root or parent.get("thread_id") == m["thread_id"]
            if "brand" in m and "brand" in root:
                assert m["brand"] == root["brand"]
            sizes[(m["source"], m["thread_id"])] += 1
        seen[key] = m
    threads = {k: n + 1 for k, n in sizes.items()}
    assert all(2 <= n <= 5 for n in threads.values()), threads
    assert len(threads) >= 15


def test_author_reach(mentions: list[dict[str, Any]]) -> None:
    followers = [m["author"]["followers"] for m in mentions]
    ordinary = sum(10 <= f <= 5000 for f in followers)
    assert ordinary / len(followers) >= 0.7
    assert sum(50_000 <= f <= 2_000_000 for f in followers) >= 3
    assert max(followers) <= 2_000_000


@functools.cache
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _similar(a: str, b: str, threshold: float) -> bool:
    a, b = a.lower(), b.lower()
    words_a, words_b = _words(a), _words(b)
    if len(words_a & words_b) < threshold * 0.6 * max(len(words_a), len(words_b)):
        return False  # cheap pre-filter: near-copies share most of their words
    sm = SequenceMatcher(None, a, b, autojunk=False)
    return (
        sm.real_quick_ratio() >= threshold
        and sm.quick_ratio() >= threshold
        and sm.ratio() >= threshold
    )


def test_viral_copy_paste_cluster(mentions: list[dict[str, Any]]) -> None:
    times = [_parse_ts(m["created_at"]) for m in mentions]
    best = 0
    for i, seed in enumerate(mentions):
        authors = {seed["author"]["handle"]}
        for j in range(i + 1, len(mentions)):
            if times[j] - times[i] > VIRAL_WINDOW:
                break
            if _similar(seed["text"], mentions[j]["text"], 0.8):
                authors.add(mentions[j]["author"]["handle"])
        best = max(best, len(authors))
    assert best >= 10, f"largest copy-paste cluster has {best} authors"


def test_no_accidental_duplicates_outside_the_viral_cluster(
    mentions: list[dict[str, Any]],
) -> None:
    times = [_parse_ts(m["created_at"]) for m in mentions]
    clash = []
    for i in range(len(mentions)):
        for j in range(i + 1, len(mentions)):
            if _similar(mentions[i]["text"], mentions[j]["text"], 0.85):
                if times[j] - times[i] > VIRAL_WINDOW:
                    clash.append((mentions[i]["text"], mentions[j]["text"]))
    assert not clash, f"near-duplicate texts far apart in time: {clash[:3]}"


def test_author_follower_counts_are_consistent(mentions: list[dict[str, Any]]) -> None:
    handles = defaultdict(set)
    for m in mentions:
        handles[m["author"]["handle"]].add(m["author"]["followers"])
    inconsistent = {h: f for h, f in handles.items() if len(f) > 1}
    assert not inconsistent, f"one author with several follower counts: {inconsistent}"


def test_ingest_accepts_every_line_and_matches_unbranded_ones_to_one_brand(
    mentions: list[dict[str, Any]], brands: list[dict[str, Any]]
) -> None:
    # The real ingest path: schema validation plus the whole-token tracking rules.
    from services.ingest.handlers import accept_one
    from services.ingest.rules.catalogue import Brand, BrandCatalogue

    catalogue = BrandCatalogue(
        [
            Brand(
                id=b["id"],
                name=b["name"],
                competitor_of=b["competitor_of"],
                keywords=tuple(b["keywords"]),
                hashtags=tuple(b["hashtags"]),
                handles=tuple(b["handles"]),
                urgent_keywords=tuple(b["urgent_keywords"]),
                languages=tuple(b["languages"]),
            )
            for b in brands
        ]
    )
    for m in mentions:
        outcome = accept_one(m, catalogue=catalogue, now=WINDOW_END)
        assert not isinstance(outcome, tuple), f"ingest refused {m['text']!r}: {outcome[:2]}"
        if "brand" not in m:
            matched = catalogue.match(m["text"], m.get("lang"))
            assert len(matched) == 1, f"{m['text']!r} matches {matched}; give it a brand"

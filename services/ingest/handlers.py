"""Validate, normalise and brand-match incoming mentions. Pure: no I/O, `now` is passed in."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from schemas import MENTION_RAW_V1, Author, CloudEvent, MentionReceived, make_event, mention_id
from schemas.mention import MAX_TEXT_CHARS
from services.ingest.rules import BrandCatalogue
from services.ingest.rules.text import match_form

# Platform time outside this window is a broken or hostile timestamp, not a mention.
OLDEST_ACCEPTED = datetime.fromisoformat("2006-01-01T00:00:00+00:00")
MAX_CLOCK_SKEW = timedelta(hours=1)
MAX_LISTED_BRANDS = 50

# C0/C1 control characters other than tab and newline carry no meaning in a mention; bidi
# embedding, override and isolate controls can make a responder read a text other than the
# one stored ("Trojan Source"). Zero-width joiners stay: emoji and Indic scripts need them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


class AuthorIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    handle: str = Field(min_length=1, max_length=200)
    display_name: str | None = Field(default=None, max_length=300)
    followers: int | None = Field(default=None, ge=0, le=10_000_000_000)
    verified: bool | None = None
    account_created_at: AwareDatetime | None = None


class MentionIn(BaseModel):
    """A mention as a source sends it to `POST /v1/mentions`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    source_id: str = Field(min_length=1, max_length=200)
    brand: str | None = Field(default=None, max_length=100)
    text: str = Field(max_length=MAX_TEXT_CHARS)
    author: AuthorIn
    # Only web links: the console renders this, and `javascript:` is a script, not a link.
    url: str | None = Field(default=None, max_length=2000, pattern=r"^[hH][tT][tT][pP][sS]?://\S+$")
    lang: str | None = Field(default=None, min_length=2, max_length=16)
    created_at: AwareDatetime
    thread_id: str | None = Field(default=None, min_length=1, max_length=200)
    parent_id: str | None = Field(default=None, min_length=1, max_length=200)
    repost_of: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Platform id of the item this one reposts (retweet, reblog, crosspost)",
    )


@dataclass(frozen=True)
class Rejection:
    index: int
    code: str
    message: str
    details: Any = None


@dataclass(frozen=True)
class BatchResult:
    accepted: list[tuple[int, MentionReceived]]
    rejected: list[Rejection]
    # index -> the accepted text's matching form, computed once and reused for copies
    folded: dict[int, str] = field(default_factory=dict)


def clean_text(text: str) -> str:
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


def _known_brands(catalogue: BrandCatalogue) -> dict[str, Any]:
    """Enough to correct a typo; not a thousand ids repeated in every rejection of a batch."""
    ids = catalogue.ids()
    if len(ids) <= MAX_LISTED_BRANDS:
        return {"known_brands": ids}
    return {"known_brands": ids[:MAX_LISTED_BRANDS], "known_brands_total": len(ids)}


def accept_batch(items: Sequence[Any], *, catalogue: BrandCatalogue, now: datetime) -> BatchResult:
    accepted: list[tuple[int, MentionReceived]] = []
    rejected: list[Rejection] = []
    folded: dict[int, str] = {}
    for index, raw in enumerate(items):
        outcome = _accept(raw, catalogue=catalogue, now=now)
        if len(outcome) == 2:
            accepted.append((index, outcome[0]))
            folded[index] = outcome[1]
        else:
            rejected.append(Rejection(index, outcome[0], outcome[1], outcome[2]))
    return BatchResult(accepted, rejected, folded)


def accept_one(
    raw: Any, *, catalogue: BrandCatalogue, now: datetime
) -> MentionReceived | tuple[str, str, Any]:
    """The normalised mention, or (code, message, details) saying why it was refused."""
    outcome = _accept(raw, catalogue=catalogue, now=now)
    return outcome[0] if len(outcome) == 2 else outcome


def _accept(
    raw: Any, *, catalogue: BrandCatalogue, now: datetime
) -> tuple[MentionReceived, str] | tuple[str, str, Any]:
    try:
        item = MentionIn.model_validate(raw)
    except ValidationError as exc:
        details = [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()[:20]
        ]
        return "invalid_mention", "the mention does not match the schema", details
    if item.created_at < OLDEST_ACCEPTED or item.created_at > now + MAX_CLOCK_SKEW:
        return (
            "invalid_timestamp",
            f"created_at {item.created_at.isoformat()} is outside the accepted range "
            f"({OLDEST_ACCEPTED.date()} .. now + {MAX_CLOCK_SKEW})",
            None,
        )
    text = clean_text(item.text)
    folded = match_form(text)
    if not folded:
        return "empty_text", "text is empty after removing control and invisible characters", None
    brand = item.brand
    matched: list[str] = []
    thread_id = item.thread_id
    if brand is not None:
        if brand not in catalogue:
            return "unknown_brand", f"unknown brand {brand!r}", _known_brands(catalogue)
    else:
        matched = catalogue.match(text, item.lang, item.source, folded=folded)
        if not matched:
            return (
                "no_brand_matched",
                "no brand given and no tracking rule matched the text",
                _known_brands(catalogue),
            )
        brand = matched[0]
    repost_of = None
    if item.repost_of is not None:
        # A repost is not a new conversation: it joins the original's, and says so.
        thread_id = thread_id or item.repost_of
        repost_of = mention_id(item.source, item.repost_of)
    mention = MentionReceived(
        mention_id=mention_id(item.source, item.source_id),
        source=item.source,
        source_id=item.source_id,
        brand=brand,
        text=text,
        author=Author(**item.author.model_dump()),
        url=item.url,
        lang=item.lang.lower() if item.lang else None,
        created_at=item.created_at,
        received_at=now,
        thread_id=thread_id,
        parent_id=item.parent_id,
        matched_by=matched,
        repost_of=repost_of,
    )
    return mention, folded


def mention_event(mention: MentionReceived) -> CloudEvent[Any]:
    """The raw event; its id is the mention id, so a re-sent mention is the same event."""
    return make_event(
        mention,
        type=MENTION_RAW_V1,
        source=f"/ingest/{mention.source}",
        id=str(mention.mention_id),
        subject=str(mention.mention_id),
        partitionkey=mention.conversation_key,
        time=mention.received_at,
    )

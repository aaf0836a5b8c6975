"""Duplicates that are not the same platform item: reposts and exact copies. Pure.

The same platform item is never two mentions: its id is UUIDv5(source, platform id), so a
resend, a reconnecting connector or a second import produces the same id and every stage
drops it. What remains are reposts (retweets, reblogs, crossposts: linked to the original
by the connector, see `handlers.accept_one`) and copies: the same text posted again as a
new item (copypasta, bot networks, a press release syndicated to ten sites). A copy is
still a mention (its author and reach are real) but it is flagged and linked to the first
one, so a dashboard counts it as an echo, not as a new voice.

The links travel in the mention contract's optional `repost_of` and `copy_of` fields.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence

from schemas import MentionReceived
from services.ingest.rules.text import match_form

# Shorter texts ("lol", "thanks @acme") repeat by chance, not by copying.
MIN_COPY_CHARS = 24


def copy_key(mention: MentionReceived, folded: str | None = None) -> str | None:
    """Same brand, same text once normalised (so zero-width or case tricks do not hide a
    copy). `folded` is `match_form(mention.text)` when the caller has it already."""
    text = match_form(mention.text) if folded is None else folded
    if len(text) < MIN_COPY_CHARS:
        return None
    return hashlib.blake2b(f"{mention.brand}\x00{text}".encode(), digest_size=16).hexdigest()


def flag_copies(
    mentions: Sequence[MentionReceived],
    seen: Mapping[str, str],
    folded: Sequence[str] | None = None,
) -> tuple[list[MentionReceived], dict[str, str]]:
    """Each mention, with `copy_of` set to the first id when its brand already had the same text
    under another id; and the new (key -> id) entries to remember once they are produced."""
    new: dict[str, str] = {}
    out: list[MentionReceived] = []
    for i, mention in enumerate(mentions):
        key = copy_key(mention, None if folded is None else folded[i])
        own = str(mention.mention_id)
        first = None if key is None else seen.get(key) or new.get(key)
        reposted = mention.repost_of is not None
        if key is not None and first is None:
            new[key] = own
        if first is not None and first != own and not reposted:
            mention = mention.model_copy(update={"copy_of": uuid.UUID(first)})
        out.append(mention)
    return out, new


class SeenTexts(Mapping[str, str]):
    """The last `size` copy keys and the first mention id that had each (bounded memory)."""

    def __init__(self, size: int = 200_000) -> None:
        self.size = size
        self._first: OrderedDict[str, str] = OrderedDict()

    def __getitem__(self, key: str) -> str:
        return self._first[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._first)

    def __len__(self) -> int:
        return len(self._first)

    def remember(self, entries: Mapping[str, str]) -> None:
        for key, mention_id in entries.items():
            self._first.setdefault(key, mention_id)
            if len(self._first) > self.size:
                self._first.popitem(last=False)

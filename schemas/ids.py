"""Deterministic identifiers: every stage can be idempotent on them."""

from __future__ import annotations

import uuid

# Fixed namespace for Earshot mention ids. Never change it: ids already stored depend on it.
MENTION_NAMESPACE = uuid.UUID("6f0d5c1e-8a57-4f49-9a3c-5c0b2f1e7d21")


def mention_id(source: str, source_id: str) -> uuid.UUID:
    """UUIDv5 of the platform and the platform's own id: the same item always gets the same id."""
    return uuid.uuid5(MENTION_NAMESPACE, f"{source.strip().lower()}:{source_id.strip()}")


def conversation_key(brand: str, source: str, thread_root: str) -> str:
    """Message key: brand + thread root, so one conversation stays on one partition, in order."""
    return f"{brand}|{source.strip().lower()}|{thread_root.strip()}"

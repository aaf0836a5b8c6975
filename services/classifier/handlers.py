"""Turn raw mention events into classified events. Pure: the model is passed in."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from schemas import (
    MENTION_CLASSIFIED_V1,
    Classification,
    CloudEvent,
    MentionClassified,
    MentionReceived,
    make_event,
)
from services.classifier.models import ClassifierInput

_CLASSIFIED_NAMESPACE = uuid.UUID("3d1c9d0e-5b7a-4d59-8d4e-2a9f6b1c7e33")


def classifier_inputs(
    mentions: Sequence[MentionReceived],
    *,
    urgent_keywords: Mapping[str, tuple[str, ...]] | None = None,
) -> list[ClassifierInput]:
    keywords = urgent_keywords or {}
    return [
        ClassifierInput(
            id=str(m.mention_id),
            text=m.text,
            lang_hint=m.lang,
            author_followers=m.author.followers,
            brand=m.brand,
            source=m.source,
            brand_urgent_keywords=keywords.get(m.brand, ()),
        )
        for m in mentions
    ]


def classified_event(
    mention: MentionReceived, classification: Classification, *, now: datetime
) -> CloudEvent[Any]:
    """Event id derived from the mention and model version: a redelivered mention classified
    by the same model is the same event."""
    event_id = uuid.uuid5(
        _CLASSIFIED_NAMESPACE, f"{mention.mention_id}|{classification.model_version}"
    )
    return make_event(
        MentionClassified(mention=mention, classification=classification, classified_at=now),
        type=MENTION_CLASSIFIED_V1,
        source="/classifier",
        id=str(event_id),
        subject=str(mention.mention_id),
        partitionkey=mention.conversation_key,
        time=now,
    )

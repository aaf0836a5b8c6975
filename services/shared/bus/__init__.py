"""Message bus: one interface, Kafka and in-process transports, a shared consume loop."""

from __future__ import annotations

import asyncpg

from schemas import (
    TOPIC_ALERTS,
    TOPIC_CASES_EVENTS,
    TOPIC_MENTIONS_CLASSIFIED,
    TOPIC_MENTIONS_DLQ,
    TOPIC_MENTIONS_RAW,
)
from services.shared.bus.base import Bus, Consumer, Message, Producer, Record
from services.shared.bus.memory import MemoryBus
from services.shared.bus.worker import (
    ConsumerLoop,
    Delivery,
    PoisonMessageError,
    TransientError,
)
from services.shared.settings import EarshotSettings

ALL_TOPICS = (
    TOPIC_MENTIONS_RAW,
    TOPIC_MENTIONS_CLASSIFIED,
    TOPIC_MENTIONS_DLQ,
    TOPIC_CASES_EVENTS,
    TOPIC_ALERTS,
)


def build_bus(settings: EarshotSettings, pool: asyncpg.Pool | None = None) -> Bus:
    if settings.bus == "memory":
        return MemoryBus(default_partitions=settings.topic_partitions)
    if settings.bus == "postgres":
        from services.shared.bus.postgres import PostgresBus

        if pool is None:
            raise ValueError("the postgres bus needs the database pool")
        return PostgresBus(pool, default_partitions=settings.topic_partitions)
    from services.shared.bus.kafka import KafkaBus

    return KafkaBus(
        settings.kafka_bootstrap,
        client_id=settings.kafka_client_id,
        replication=settings.topic_replication,
        topic_config={"max.message.bytes": str(8 * 1024 * 1024)},
    )


async def ensure_all_topics(bus: Bus, settings: EarshotSettings) -> None:
    await bus.ensure_topics({settings.topic(t): settings.topic_partitions for t in ALL_TOPICS})


__all__ = [
    "ALL_TOPICS",
    "Bus",
    "Consumer",
    "ConsumerLoop",
    "Delivery",
    "MemoryBus",
    "Message",
    "PoisonMessageError",
    "Producer",
    "Record",
    "TransientError",
    "build_bus",
    "ensure_all_topics",
]

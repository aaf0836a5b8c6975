"""Kafka transport (aiokafka): idempotent acks=all producer, manually committed consumers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, IllegalStateError, TopicAlreadyExistsError

from services.shared.bus.base import Message, Record, next_offsets
from services.shared.metrics import CONSUMER_LAG

log = logging.getLogger(__name__)

# Large enough for the biggest legitimate mention with its envelope, and for poison messages
# of a few MB to reach the dead-letter topic instead of failing at the producer.
MAX_REQUEST_BYTES = 8 * 1024 * 1024


class KafkaBus:
    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str = "earshot",
        replication: int = 1,
        topic_config: Mapping[str, str] | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.replication = replication
        self.topic_config = dict(topic_config or {})
        self.producer = KafkaProducer(bootstrap, client_id)

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def ping(self) -> bool:
        try:
            cluster = await asyncio.wait_for(self.producer.client_metadata(), 5)
        except Exception:  # readiness must answer, not raise
            return False
        return cluster

    async def ensure_topics(self, topics: Mapping[str, int]) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=self.client_id)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(name, partitions, self.replication, topic_configs=self.topic_config)
                for name, partitions in topics.items()
                if name not in existing
            ]
            if missing:
                try:
                    await admin.create_topics(missing)
                except TopicAlreadyExistsError:
                    pass  # another replica created it first
        finally:
            await admin.close()

    def consumer(self, topics: Sequence[str], *, group: str) -> KafkaConsumer:
        return KafkaConsumer(self.bootstrap, tuple(topics), group, self.client_id)


class KafkaProducer:
    def __init__(self, bootstrap: str, client_id: str) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            client_id=f"{client_id}-producer",
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_request_size=MAX_REQUEST_BYTES,
            compression_type="lz4",
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def client_metadata(self) -> bool:
        await self._producer.client.force_metadata_update()
        return bool(self._producer.client.cluster.brokers())

    async def send_many(self, records: Sequence[Record]) -> None:
        # Queue everything first so the batch shares requests, then wait for every ack.
        futures = [
            await self._producer.send(r.topic, r.value, key=r.key, headers=list(r.headers) or None)
            for r in records
        ]
        if futures:
            await asyncio.gather(*futures)


class KafkaConsumer:
    def __init__(self, bootstrap: str, topics: tuple[str, ...], group: str, client_id: str) -> None:
        self.topics = topics
        self.group = group
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            group_id=group,
            client_id=f"{client_id}-{group}",
            enable_auto_commit=False,  # offsets move only after the work is durable
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=MAX_REQUEST_BYTES,
            fetch_max_bytes=4 * MAX_REQUEST_BYTES,
            isolation_level="read_uncommitted",
        )

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()

    async def fetch(self, max_records: int, timeout_ms: int) -> list[Message]:
        batches = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=max_records)
        if not batches:  # nothing arrived within the timeout: caught up on every partition
            for tp in self._consumer.assignment():
                CONSUMER_LAG.labels(self.group, tp.topic, str(tp.partition)).set(0)
        for tp, records in batches.items():
            highwater = self._consumer.highwater(tp)
            if records and highwater is not None:
                CONSUMER_LAG.labels(self.group, tp.topic, str(tp.partition)).set(
                    highwater - records[-1].offset - 1
                )
        return [
            Message(
                r.topic,
                r.partition,
                r.offset,
                r.key,
                r.value,
                tuple(r.headers or ()),
                r.timestamp,
            )
            for records in batches.values()
            for r in records
        ]

    async def commit(self, messages: Sequence[Message]) -> None:
        offsets = {TopicPartition(t, p): o for (t, p), o in next_offsets(messages).items()}
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # The partitions moved to another member in a rebalance. It starts from the last
            # committed offset, and every write downstream is idempotent, so nothing is lost.
            log.warning("offset commit skipped after rebalance: %s", exc)

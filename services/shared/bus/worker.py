"""The consume loop every consumer shares: decode -> handle -> dead-letter poison -> commit.

Offsets are committed only after the handler returned, i.e. after its work is durable
(produced and acknowledged, or committed in PostgreSQL). Handlers are idempotent on event ids,
so a redelivery after a crash or rebalance changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from asyncpg import PostgresConnectionError
from asyncpg.exceptions import InterfaceError, OperatorInterventionError, TooManyConnectionsError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from schemas import TOPIC_MENTIONS_DLQ, CloudEvent, EventDecodeError, decode
from services.shared import metrics
from services.shared.bus.base import Consumer, Message, Producer
from services.shared.bus.dead_letters import dead_letter
from services.shared.logging import log_context

log = logging.getLogger(__name__)


class TransientError(Exception):
    """Infrastructure trouble: retry the same work later, never dead-letter it."""


class PoisonMessageError(Exception):
    """This message can never be processed; dead-letter it with this reason."""


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientError,
    ConnectionError,
    TimeoutError,
    OSError,
    PostgresConnectionError,  # connection lost or refused
    OperatorInterventionError,  # server shutting down, starting up, or restarting
    TooManyConnectionsError,
    InterfaceError,  # connection closed under us
    KafkaConnectionError,
    KafkaTimeoutError,
)


def is_transient(exc: BaseException) -> bool:
    """Infrastructure trouble that a retry can outlive (never a reason to dead-letter)."""
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    # Kafka marks the errors a retry can fix (leader moved, broker not ready, ...).
    return isinstance(exc, KafkaError) and bool(getattr(exc, "retriable", False))


@dataclass(frozen=True, slots=True)
class Delivery:
    message: Message
    event: CloudEvent[Any]


BatchHandler = Callable[[Sequence[Delivery]], Awaitable[None]]


@dataclass
class ConsumerLoop:
    consumer: Consumer
    producer: Producer  # for dead letters
    group: str
    handle: BatchHandler
    max_batch: int = 256
    max_wait_ms: int = 50
    topic_prefix: str = ""  # topics on the bus are named prefix + registry name
    attempts_before_dead_letter: int = 3

    def __post_init__(self) -> None:
        self._stopping = asyncio.Event()
        self.batches = 0

    def stop(self) -> None:
        """Graceful stop: finish the batch in hand, commit it, then return from run()."""
        self._stopping.set()

    async def run(self) -> None:
        # The broker may be restarting: joining the group waits for it like any other work.
        await self._retry_transient(self.consumer.start)
        try:
            while not self._stopping.is_set():
                messages = await self.consumer.fetch(self.max_batch, self.max_wait_ms)
                if not messages:
                    continue
                try:
                    await self._process(messages)
                except Exception as exc:
                    if is_transient(exc) and self._stopping.is_set():
                        break  # not committed: redelivered after the restart
                    raise
                await self.consumer.commit(messages)
                self.batches += 1
        finally:
            await self.consumer.stop()

    async def _process(self, messages: Sequence[Message]) -> None:
        started = time.perf_counter()
        deliveries: list[Delivery] = []
        poison: list[tuple[Message, str, str]] = []
        for message in messages:
            try:
                deliveries.append(
                    Delivery(
                        message,
                        decode(
                            message.value,
                            message.headers,
                            topic=message.topic.removeprefix(self.topic_prefix),
                        ),
                    )
                )
            except EventDecodeError as exc:
                poison.append((message, exc.code, exc.message))
        if deliveries:
            poison += await self._handle_isolating_poison(deliveries)
        if poison:
            await self._retry_transient(
                lambda: dead_letter(
                    self.producer,
                    poison,
                    group=self.group,
                    topic=f"{self.topic_prefix}{TOPIC_MENTIONS_DLQ}",
                )
            )
            metrics.DEAD_LETTERS.labels(self.group).inc(len(poison))
            for message, code, reason in poison:
                log.warning(
                    "dead-lettered message",
                    extra={
                        "group": self.group,
                        "topic": message.topic,
                        "partition": message.partition,
                        "offset": message.offset,
                        "code": code,
                        "reason": reason[:300],
                    },
                )
        metrics.BATCH_SIZE.labels(self.group).observe(len(messages))
        metrics.BATCH_SECONDS.labels(self.group).observe(time.perf_counter() - started)
        metrics.CONSUMED.labels(self.group).inc(len(messages))

    async def _handle_isolating_poison(
        self, deliveries: list[Delivery]
    ) -> list[tuple[Message, str, str]]:
        try:
            await self._retry_transient(lambda: self.handle(deliveries))
            return []
        except Exception as exc:
            if is_transient(exc):
                raise
            log.exception(
                "batch failed; retrying its messages one by one", extra={"group": self.group}
            )
        poison: list[tuple[Message, str, str]] = []
        for delivery in deliveries:
            reason = await self._handle_one(delivery)
            if reason is not None:
                poison.append((delivery.message, "processing_failed", reason))
        return poison

    async def _handle_one(self, delivery: Delivery) -> str | None:
        """None when handled; the reason when it failed every attempt (poison)."""
        with log_context(event_id=delivery.event.id, subject=delivery.event.subject or ""):
            return await self._handle_one_logged(delivery)

    async def _handle_one_logged(self, delivery: Delivery) -> str | None:
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts_before_dead_letter),
                wait=wait_exponential(multiplier=0.05, max=1),
                retry=lambda state: (
                    state.outcome is not None
                    and state.outcome.failed
                    and not isinstance(state.outcome.exception(), PoisonMessageError)
                ),
                reraise=True,
            ):
                with attempt:
                    await self._retry_transient(lambda: self.handle([delivery]))
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    async def _retry_transient(self, work: Callable[[], Awaitable[None]]) -> None:
        """Retry infrastructure failures with backoff for as long as it takes (never give up
        on durable work); stop retrying only when the service is shutting down."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(is_transient),
            wait=wait_exponential(multiplier=0.2, max=10),
            stop=lambda _: self._stopping.is_set(),
            reraise=True,
            before_sleep=lambda s: log.warning(
                "transient failure, retrying",
                extra={
                    "group": self.group,
                    "error": repr(s.outcome.exception() if s.outcome else None),
                },
            ),
        ):
            with attempt:
                await work()

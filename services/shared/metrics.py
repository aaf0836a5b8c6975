"""Prometheus metrics shared by the plumbing; services add their own next to their code."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter("earshot_messages_consumed_total", "Messages consumed", ["group"])
DEAD_LETTERS = Counter("earshot_dead_letters_total", "Messages sent to the DLQ", ["group"])
BATCH_SIZE = Histogram(
    "earshot_consumer_batch_size",
    "Messages per consumed batch",
    ["group"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
)
BATCH_SECONDS = Histogram(
    "earshot_consumer_batch_seconds",
    "Time to process one consumed batch",
    ["group"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PRODUCED = Counter("earshot_messages_produced_total", "Messages produced", ["topic"])
CONSUMER_LAG = Gauge(
    "earshot_consumer_lag",
    "Messages behind the end of the partition, seen at the last fetch",
    ["group", "topic", "partition"],
)

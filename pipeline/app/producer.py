"""The stage loops' producer: one aiokafka producer per worker, started with the app, that lists every topic on its
client's metadata before the first send to it.

aiokafka's client fetches metadata for *all* topics while its topic list is empty, and only for the listed topics
once a send to a topic missing from its metadata adds that topic to the list. A batch waiting for a topic known only
from an all-topics fetch (created just before) then has no leader in any later metadata, and the sender asks for
metadata again and again, for ever; the batch is never written and nothing is logged
(``tests/integration/test_producer_metadata.py`` shows it on Apache Kafka). Listing each topic with the client's
public ``add_topic`` before its first send closes that path: the metadata always covers every topic with a pending
batch.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner, murmur2
from mode import Service

from pipeline.config import Settings
from pipeline.kafka import client_kwargs

#: How long a send may wait for the broker before it fails (the batch is then read again): long enough to ride
#: out a broker restart, as Faust's producer did (its ``producer_request_timeout``).
REQUEST_TIMEOUT_MS = 1_200_000


def batch_bytes(settings: Settings) -> int:
    """Most bytes the producer gathers per partition into one request. aiokafka sends one request per broker at a
    time, and a ``send`` to a partition whose batch is full waits for that request: its default (16 KiB, a few
    stories) capped a stage at a few stories per partition per round trip. Half the topics' ``max.message.bytes``
    leaves room for the batch header; 512 KiB at most bounds the memory a slow broker ties up per partition."""
    return max(16_384, min(settings.max_message_bytes // 2, 524_288))


class KeyHashPartitioner:
    """aiokafka's default partitioner (murmur2 of the key, as the Java client does), keeping the hashes of recent
    keys. A story's uri keys its messages on `wire.normalised`, `wire.enriched` and the notification topics, which
    one worker sends within a second or so, and aiokafka's murmur2 is pure Python (~6 µs for a 50-byte uri), so
    each uri is hashed once instead of once per topic. Same partitions as :class:`DefaultPartitioner` for every key
    (``tests/unit/test_partitioner.py``)."""

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        #: key → murmur2(key) & 0x7FFFFFFF; emptied when full (a story's keys are sent close together).
        self.hashes: dict[bytes, int] = {}

    def __call__(self, key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        if key is None:
            return int(DefaultPartitioner()(key, all_partitions, available))
        hashed = self.hashes.get(key)
        if hashed is None:
            if len(self.hashes) >= self.size:
                self.hashes.clear()
            hashed = self.hashes[key] = murmur2(key) & 0x7FFFFFFF
        return all_partitions[hashed % len(all_partitions)]


def producer_kwargs(settings: Settings) -> dict[str, Any]:
    """Every output acknowledged by all in-sync replicas; nothing larger than every topic takes is handed over
    (outputs are checked against ``max_message_bytes`` before they are sent)."""
    return {
        **client_kwargs(settings),
        "client_id": f"{settings.app_id}-producer",
        "acks": "all",
        "linger_ms": 1,
        "max_batch_size": batch_bytes(settings),
        "max_request_size": settings.max_message_bytes,
        "request_timeout_ms": REQUEST_TIMEOUT_MS,
        "partitioner": KeyHashPartitioner(),
    }


class LoopProducer:
    """Sends with the :class:`~pipeline.app.outbox.Producer` signature; :meth:`start` is idempotent."""

    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self.settings = settings
        self.overrides = overrides
        self.producer: AIOKafkaProducer | None = None
        self.listed: set[str] = set()
        self._starting = asyncio.Lock()

    async def start(self) -> LoopProducer:
        async with self._starting:
            if self.producer is None:
                producer = AIOKafkaProducer(**{**producer_kwargs(self.settings), **self.overrides})
                await producer.start()
                self.producer = producer
        return self

    async def stop(self) -> None:
        producer, self.producer = self.producer, None
        if producer is not None:
            await producer.stop()  # waits for what is in flight

    async def send(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None,
                   timestamp: float | None, headers: Any) -> asyncio.Future[Any]:
        """Queue one message; returns the future of its acknowledgement. The first send to a topic waits until the
        client's metadata covers it."""
        producer = self.producer or (await self.start()).producer
        assert producer is not None
        if topic not in self.listed:
            await producer.client.add_topic(topic)  # resolves once the metadata covers the topic
            self.listed.add(topic)
        timestamp_ms = None if timestamp is None else int(timestamp * 1000)
        future: asyncio.Future[Any] = await producer.send(topic, value, key, partition, timestamp_ms, headers)
        return future


class ProducerService(Service):
    """Stops the producer with the app (after the stage loops, which are added after it)."""

    def __init__(self, producer: LoopProducer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.producer = producer

    async def on_stop(self) -> None:
        await self.producer.stop()

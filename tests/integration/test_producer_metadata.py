"""A producer that sends to two topics created one after the other writes both, on Apache Kafka.

aiokafka's client fetches metadata for all topics while its topic list is empty; a send to a topic missing from that
metadata puts the topic on the list, and from then on only listed topics are fetched. A batch for a topic that was
known only from the all-topics fetch then never finds its leader again: the sender asks for metadata for ever and the
batch is never written, without a log line. The worker's store agent hit it when its notification topics were
created while the worker started (the story was stored, one subscription topic got its notice, the other never did).
The first test shows the behaviour with a plain aiokafka producer (if it fails, aiokafka changed and the listing in
:class:`pipeline.app.producer.LoopProducer` may no longer be needed); the second runs the same sequence through the
worker's producer.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pipeline.app.producer import LoopProducer
from pipeline.config import Settings

pytestmark = pytest.mark.kafka

#: Long enough that the first topic's batch is still in the accumulator when the second send refreshes metadata.
LINGER_MS = 5000


@pytest.fixture
async def admin(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


async def create(admin: AIOKafkaAdminClient, name: str) -> None:
    """Create ``name`` and return once the broker's metadata lists it with a leader."""
    await admin.create_topics([NewTopic(name, 1, 1)])
    for _ in range(100):
        described = await admin.describe_topics([name])
        if described and described[0]["error_code"] == 0 and described[0]["partitions"]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"topic {name} not in the broker's metadata after 10 s")


async def test_aiokafka_loses_a_topic_known_only_from_an_all_topics_fetch(
    kafka_bootstrap: str, admin: AIOKafkaAdminClient
) -> None:
    first, second = (f"meta-{uuid.uuid4().hex[:8]}-{n}" for n in ("a", "b"))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=LINGER_MS, acks="all")
    await producer.start()
    try:
        await create(admin, first)
        # What Faust's Producer.create_topic does after creating a topic. With an empty topic list it fetches
        # metadata for every topic: `first` is known, and the list stays empty.
        await producer.client.force_metadata_update()
        await create(admin, second)
        sent_first = await producer.send(first, b"1", key=b"k")  # known: queued without touching the topic list
        sent_second = await producer.send(second, b"2", key=b"k")  # unknown: the list becomes [second]
        await asyncio.wait_for(sent_second, 30)  # both batches lingered alike; the second one is written
        await asyncio.sleep(1)
        assert not sent_first.done(), (
            "aiokafka now delivers a batch for a topic known only from an all-topics metadata fetch; "
            "the topic listing of LoopProducer in pipeline/app/producer.py may no longer be needed"
        )
        # Listing the topic is what LoopProducer does before a first send; here it frees the stuck batch.
        await producer.client.add_topic(first)
        meta = await asyncio.wait_for(sent_first, 10)
        assert meta.topic == first
    finally:
        await asyncio.wait_for(producer.stop(), 30)


async def test_the_worker_producer_writes_to_both_topics(kafka_bootstrap: str, admin: AIOKafkaAdminClient) -> None:
    tag = uuid.uuid4().hex[:8]
    producer = LoopProducer(Settings(broker=kafka_bootstrap, app_id=f"wirefeed-{tag}"), linger_ms=LINGER_MS)
    first, second = f"meta-{tag}-a", f"meta-{tag}-b"
    await producer.start()
    assert producer.producer is not None
    try:
        # A topic created after the producer started, then a metadata fetch for every topic (its list is empty).
        await create(admin, first)
        await producer.producer.client.force_metadata_update()
        await create(admin, second)
        sent = [await producer.send(topic, b"k", b"v", None, None, None) for topic in (first, second)]
        results = await asyncio.wait_for(asyncio.gather(*sent), 30)
        assert [r.topic for r in results] == [first, second]
    finally:
        await asyncio.wait_for(producer.stop(), 30)

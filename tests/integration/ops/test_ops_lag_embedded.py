"""Lag monitor on the embedded broker (Tansu): the figures a default `wirefeed run` shows."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pipeline.config import Settings
from pipeline.ops.lag import LagMonitor
from pipeline.ops.status import Status

pytestmark = pytest.mark.embedded


async def test_lag_on_the_embedded_broker(embedded_bootstrap: str) -> None:
    topic, group = f"ops-emb-{uuid.uuid4().hex[:8]}", f"ops-group-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=embedded_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=embedded_bootstrap)
    await producer.start()
    try:
        for i in range(10):
            await producer.send_and_wait(topic, f"m{i}".encode(), partition=i % 2)
        consumer = AIOKafkaConsumer(bootstrap_servers=embedded_bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            # manual assignment and explicit offsets: no rebalance to wait for
            consumer.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
            await consumer.commit({TopicPartition(topic, 0): 3, TopicPartition(topic, 1): 5})
        finally:
            await consumer.stop()
        for i in range(4):
            await producer.send_and_wait(topic, f"n{i}".encode(), partition=0)
    finally:
        await producer.stop()

    monitor = LagMonitor(Settings(broker=embedded_bootstrap), groups=[group])
    try:
        snap = await monitor.sample()
    finally:
        await monitor.close()
    g = snap.group(group)
    assert {(p.partition, p.committed, p.end, p.lag) for p in g.partitions} == {(0, 3, 9, 6), (1, 5, 5, 0)}
    assert g.lag == 6 and g.status is Status.OK  # one sample: too little history to judge
    lagging = next(p for p in g.partitions if p.partition == 0)
    assert lagging.lag_seconds is not None and lagging.lag_seconds >= 0

"""Durability: 202 only for what is on `wire.raw`; broker down → 503 and nothing written; a retry with the same
Idempotency-Key after the broker is back appears exactly once. A real single-node Apache Kafka is stopped
(SIGTERM) and started again on the same ports with its data."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from pipeline.ingest.idempotency import derive_submission_id
from tests.fixtures.kafka import ClusterFactory
from tests.integration.harness import wait_until
from tests.integration.ingest.conftest import GatewayFactory
from tests.paths import SEED

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def test_broker_outage_gives_503_and_a_retry_lands_once(
    kafka_cluster_factory: ClusterFactory, gateway_factory: GatewayFactory
) -> None:
    cluster = kafka_cluster_factory(nodes=1)
    gw = await gateway_factory(cluster.bootstrap, gateway_publish_timeout_ms=1500)
    story_a = SEED.read_bytes()
    story_b = b"ALMATY (TCA) - Second story\n\nWritten while the broker was down."

    before = await gw.post(story_a, Idempotency_Key="a")
    assert before.status_code == 202
    assert [r.submission_id for r in await gw.raw_messages()] == [before.json()["submission_id"]]

    await asyncio.to_thread(cluster.stop_node, 0)
    during = [await gw.post(story_b, Idempotency_Key="b") for _ in range(2)]
    assert [r.status_code for r in during] == [503, 503]
    assert all(r.json()["error"]["code"] == "broker_unavailable" for r in during)
    assert (await gw.http.get("/readyz")).status_code == 503

    await asyncio.to_thread(cluster.start_node, 0)

    async def ready() -> bool:
        return (await gw.http.get("/readyz")).status_code == 200

    await wait_until(ready, timeout=60, what="gateway ready after the broker restart")
    retry = await gw.post(story_b, Idempotency_Key="b")
    assert retry.status_code == 202, retry.text
    assert retry.json()["submission_id"] == derive_submission_id("TCA", "b")
    replay = await gw.post(story_b, Idempotency_Key="b")
    assert replay.status_code == 202 and replay.json()["replayed"] is True

    # Give any write the outage might have left in the producer a chance to surface before counting.
    await asyncio.sleep(2)
    on_topic = await gw.raw_messages()
    counts = Counter(r.submission_id for r in on_topic)
    assert counts == {before.json()["submission_id"]: 1, retry.json()["submission_id"]: 1}
    (b,) = [r for r in on_topic if r.submission_id == retry.json()["submission_id"]]
    assert b.payload == story_b and b.agency == "TCA"

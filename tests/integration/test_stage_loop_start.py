"""Stage loops join their consumer groups in the background: starting one does not wait for its assignment, so the
app, which starts its services one after another, has every loop joining at once (on the embedded broker each
join takes at least ~1 s)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest
from aiokafka import TopicPartition

from pipeline.app.loop import Record, StageLoop
from pipeline.app.outbox import Outbox
from pipeline.broker.admin import ensure_topics
from pipeline.config import Settings
from pipeline.topics import STAGE_INPUTS, topic_name

pytestmark = pytest.mark.embedded


async def test_started_loops_join_their_groups_in_the_background(embedded_bootstrap: str) -> None:
    settings = Settings(broker=embedded_bootstrap, topic_prefix=f"t{uuid.uuid4().hex[:8]}.",
                        app_id=f"app-{uuid.uuid4().hex[:8]}", worker_session_timeout_s=2)
    await ensure_topics(settings)
    held: dict[str, list[TopicPartition]] = {}
    all_assigned = asyncio.Event()
    stages = ("normalise", "store")

    def report(group: str, assigned: Sequence[TopicPartition] | None) -> None:
        if assigned is not None:
            held[group] = list(assigned)
            if len(held) == len(stages):
                all_assigned.set()

    async def handler(records: Sequence[Record], out: Outbox) -> None:
        raise AssertionError("no record was published")

    async def no_outbox() -> Outbox:
        raise AssertionError("no batch was fetched")

    loops = [StageLoop(settings, stage, [topic_name(spec, settings.topic_prefix) for spec in STAGE_INPUTS[stage]],
                       handler, no_outbox, ready=report) for stage in stages]
    try:
        for loop in loops:  # one after another, as the app starts its services
            await loop.start()
        # Both started; neither waited in start() for its group's assignment.
        assert [loop.consumer.assignment() for loop in loops if loop.consumer is not None] == [set(), set()]
        await asyncio.wait_for(all_assigned.wait(), timeout=60)
        raw = topic_name(STAGE_INPUTS["normalise"][0], settings.topic_prefix)
        assert {tp.topic for tp in held[loops[0].group]} == {raw}
        assert len(held[loops[0].group]) == settings.partitions
        assert len(held[loops[1].group]) == 3 * settings.partitions  # enriched, duplicates, DLQ
    finally:
        for loop in loops:
            await loop.stop()


class _NoOutputs:
    """A batch's outbox for a handler that sends nothing: the flush has nothing to wait for."""

    async def flush(self) -> None:
        return None


async def test_a_commit_that_failed_is_retried_while_the_stream_is_idle(embedded_bootstrap: str) -> None:
    """A retriable commit failure after the last batch of a burst: the finished offset is committed by the next idle
    fetch, not left for a next batch that may never come."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import RequestTimedOutError

    settings = Settings(broker=embedded_bootstrap, topic_prefix=f"t{uuid.uuid4().hex[:8]}.",
                        app_id=f"app-{uuid.uuid4().hex[:8]}", worker_session_timeout_s=2)
    await ensure_topics(settings)
    raw = topic_name(STAGE_INPUTS["normalise"][0], settings.topic_prefix)
    seen: list[int] = []
    joined = asyncio.Event()
    failures: list[dict[TopicPartition, int]] = []

    def report(group: str, assigned: Sequence[TopicPartition] | None) -> None:
        if assigned:
            joined.set()

    async def handler(records: Sequence[Record], out: Outbox) -> None:
        seen.extend(r.offset for r in records)

    async def outbox() -> Outbox:
        return _NoOutputs()  # type: ignore[return-value]

    loop = StageLoop(settings, "normalise", [raw], handler, outbox, ready=report)
    await loop.start()
    try:
        await asyncio.wait_for(joined.wait(), timeout=60)
        consumer = loop.consumer
        assert consumer is not None
        real_commit = consumer.commit

        async def commit_failing_once(offsets: dict[TopicPartition, int]) -> None:
            if not failures:
                failures.append(dict(offsets))
                raise RequestTimedOutError()
            await real_commit(offsets)

        consumer.commit = commit_failing_once  # type: ignore[method-assign]
        producer = AIOKafkaProducer(bootstrap_servers=embedded_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(raw, b"story", key=b"k", partition=0)
        finally:
            await producer.stop()
        tp = TopicPartition(raw, 0)
        for _ in range(200):  # the record handled, the commit failed, then committed with no record since
            if seen and failures and await consumer.committed(tp) == 1:
                break
            await asyncio.sleep(0.1)
        assert seen == [0]
        assert failures == [{tp: 1}]
        assert await consumer.committed(tp) == 1
    finally:
        await loop.stop()


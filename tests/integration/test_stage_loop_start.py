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

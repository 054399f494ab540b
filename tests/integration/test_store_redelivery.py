"""Redelivery: replaying the whole of `wire.enriched` from offset 0 through the real sink leaves the store
unchanged, and the notifications it repeats carry the ids they had."""

from __future__ import annotations

import hashlib
import sqlite3

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from benchmarks.corpus import Corpus
from pipeline.sinks.store import open_store
from pipeline.topics import ENRICHED, NOTIFICATIONS, consumer_group
from tests.integration.harness import PipelineRun, read_topic, wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

N = 60


def snapshot(path: str) -> dict[str, str]:
    """Every row of every story table, as a digest per table (the rows, not their order)."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '%fts%' AND name NOT IN ('rejections', 'duplicates', 'schema_migrations')")]
        out = {}
        for table in tables:
            rows = sorted(repr(r) for r in conn.execute(f"SELECT * FROM {table}"))
            out[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest() + f":{len(rows)}"
        return out
    finally:
        conn.close()


async def committed(run: PipelineRun, topic: str) -> int:
    group = consumer_group(run.settings.app_id, ENRICHED)
    consumer = AIOKafkaConsumer(bootstrap_servers=run.bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(run.partitions)]
        return sum([(await consumer.committed(tp)) or 0 for tp in tps])
    finally:
        await consumer.stop()


async def rewind(run: PipelineRun, topic: str) -> None:
    """Commit offset 0 on every partition of ``topic`` for the store stage's group (its workers are stopped)."""
    group = consumer_group(run.settings.app_id, ENRICHED)
    consumer = AIOKafkaConsumer(bootstrap_servers=run.bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(run.partitions)]
        consumer.assign(tps)
        await consumer.commit({tp: OffsetAndMetadata(0, "") for tp in tps})
    finally:
        await consumer.stop()


async def test_replaying_wire_enriched_changes_nothing(kafka_bootstrap: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = PipelineRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data")
    try:
        await run.create_topics()
        run.start_worker()
        for story in Corpus(seed=11).stories(N):
            await run.publish(story.payload, story.agency, format_hint=story.fmt, content_type=story.content_type)

        async def all_stored() -> bool:
            store = await open_store(run.settings.resolved_store_url)
            try:
                return await store.count_stories() == N
            finally:
                await store.close()

        await wait_until(all_stored, 180, f"{N} stories in the store", run)
        enriched = run.topic(ENRICHED)
        end = len(await read_topic(run.bootstrap, enriched))
        await wait_until(lambda: _at(committed(run, enriched), end), 60, "the sink's commits", run)
        notices = await read_topic(run.bootstrap, run.topic(NOTIFICATIONS))
        ids_before = {orjson.loads(v)["notification_id"] for v in notices}
        db = run.settings.resolved_store_url.removeprefix("sqlite:///")
        before = snapshot("/" + db.lstrip("/"))
        run.stop()
        run.workers.clear()

        await rewind(run, enriched)
        assert await committed(run, enriched) == 0
        run.start_worker()
        await wait_until(lambda: _at(committed(run, enriched), end), 180, "the replay to be consumed", run)

        assert snapshot("/" + db.lstrip("/")) == before
        replayed = await read_topic(run.bootstrap, run.topic(NOTIFICATIONS))
        assert len(replayed) == 2 * len(notices)  # every notice again ...
        assert {orjson.loads(v)["notification_id"] for v in replayed} == ids_before  # ... with the same id
    finally:
        run.stop()


async def _at(coro, n: int) -> bool:  # type: ignore[no-untyped-def]
    return (await coro) >= n

"""Fault 4: a sink ten times slower than the real one while stories stream in (the workers run through
tests/support/slow_sink_worker.py).

Back-pressure, not buffering: the worker's memory stays bounded while `wire.enriched` lag builds up, and the
consumer group never commits an offset of `wire.enriched` whose story is not in the store yet (sampled all along:
committed offsets first, then the store, so a pass cannot be a race in the test's favour).
"""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from pipeline.kafka import client_kwargs
from pipeline.topics import ENRICHED
from tests.faults.common import (
    FaultRow,
    FaultRun,
    LagWatch,
    committed_offsets,
    corpus_submissions,
    judge,
    publish_stream,
    record,
    reference,
    rss_bytes,
    size,
    stored_rows,
    wait_notified,
    wait_stored,
)

pytestmark = [pytest.mark.slow, pytest.mark.kafka]

STORIES = size(2000, 20_000)
FACTOR = 10
RSS_LIMIT = 1_000_000_000


async def test_slow_sink_back_pressure(kafka_bootstrap: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    run = FaultRun(bootstrap=kafka_bootstrap, data_dir=data, partitions=4,
                   store_url=f"sqlite:///{data / 'store.sqlite3'}", store_slowdown=FACTOR)  # fmt: skip
    raws = corpus_submissions(STORIES, seed=404)
    exp = reference(raws, run.settings)
    await run.create_topics()
    worker = run.start_worker()
    enriched = run.topic(ENRICHED)
    samples: list[tuple[dict[int, int], set[tuple[str, int]]]] = []
    rss: list[int] = []

    async def watch() -> None:
        while True:
            if value := rss_bytes(worker.pid):
                rss.append(value)
            try:
                committed = await committed_offsets(run.settings, ENRICHED)
                held = set(await stored_rows(run.check_url))
            except asyncio.CancelledError:
                raise
            except Exception:  # the group or the store not there yet
                committed, held = {}, set()
            if committed:
                samples.append((committed, held))
            await asyncio.sleep(0.5)

    try:
        async with LagWatch(run.settings) as lag:
            watcher = asyncio.create_task(watch())
            await publish_stream(run, raws, batch=200)
            t0 = time.monotonic()
            await wait_stored(run, exp, timeout=size(600, 2400))
            drained = time.monotonic() - t0
            await wait_notified(run, timeout=120)
            await asyncio.sleep(2)  # a last sample after the final commit
            watcher.cancel()
            verdict = await judge(run, exp, len(raws))
        assert len(samples) >= 5 and rss, "the watcher took too few samples"
        at = await _enriched_offsets(run, enriched)
        ahead = 0
        for committed, held in samples:
            for partition, offset in committed.items():
                ahead += sum(1 for o in range(offset) if at[(partition, o)] not in held)
        assert ahead == 0, f"{ahead} committed enriched messages were not in the store when committed"
        assert max(rss) < RSS_LIMIT, f"worker RSS reached {max(rss) / 1e6:.0f} MB"
        assert worker.poll() is None
        note = f"{len(samples)} offset samples, 0 ahead of the store; max RSS {max(rss) / 1e6:.0f} MB"
        record(FaultRow(f"sink slowed {FACTOR}×", verdict.sent, verdict.stored, verdict.lost, verdict.duplicate_rows,
                        lag.max_lag, drained, note))  # fmt: skip
        verdict.assert_exact()
    finally:
        run.stop()


async def _enriched_offsets(run: FaultRun, topic: str) -> dict[tuple[int, int], tuple[str, int]]:
    """(partition, offset) → (uri, version) of every message on `wire.enriched`."""
    consumer = AIOKafkaConsumer(**client_kwargs(run.settings), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: dict[tuple[int, int], tuple[str, int]] = {}
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for tp, msgs in (await consumer.getmany(timeout_ms=2000)).items():
                for m in msgs:
                    doc = orjson.loads(m.value or b"{}")
                    out[(tp.partition, m.offset)] = (doc["uri"], int(doc["version"]))
        return out
    finally:
        await consumer.stop()

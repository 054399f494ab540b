"""Fault 6: workers join and leave the group while stories stream in (clean SIGTERM leaves, new joins)."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.common import (
    FaultRow,
    FaultRun,
    LagWatch,
    corpus_submissions,
    judge,
    publish_stream,
    record,
    reference,
    size,
    wait_notified,
    wait_stored,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.kafka,
]

STORIES = size(2000, 20_000)


async def test_workers_added_and_removed_mid_stream(kafka_bootstrap: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = FaultRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data", partitions=8)
    raws = corpus_submissions(STORIES, seed=606)
    exp = reference(raws, run.settings)
    await run.create_topics()
    first = run.start_worker()
    try:
        async with LagWatch(run.settings) as lag:
            publisher = asyncio.create_task(publish_stream(run, raws, batch=100, pause=0.05))
            await asyncio.sleep(15)
            second = run.start_worker()  # join: partitions move to the new worker
            await asyncio.sleep(20)
            run.stop_worker(first)  # clean leave: its partitions move back
            await asyncio.sleep(10)
            run.start_worker()  # and another join
            await asyncio.sleep(10)
            run.stop_worker(second)
            last = time.monotonic()
            await publisher
            await wait_stored(run, exp, timeout=size(400, 1800))
            recovery = time.monotonic() - last
            await wait_notified(run, timeout=120)
            verdict = await judge(run, exp, len(raws))
        record(FaultRow("rebalance: 2 joins, 2 leaves", verdict.sent, verdict.stored, verdict.lost,
                        verdict.duplicate_rows, lag.max_lag, recovery, f"{verdict.notifications} notices"))  # fmt: skip
        verdict.assert_exact()
    finally:
        run.stop()

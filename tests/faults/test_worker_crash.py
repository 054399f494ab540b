"""Fault 1: worker processes killed with SIGKILL at random moments while stories stream in, then restarted.

Two workers share 8 partitions; a random one is killed (no shutdown, no final offset commit) and a new one is
started in its place, several times during the stream. Afterwards the store holds exactly the accepted set (by
uri+version, one row each) and every notification id is on the notification topic.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.common import (
    FAST_FAILOVER,
    FaultRow,
    FaultRun,
    LagWatch,
    corpus_submissions,
    judge,
    publish_stream,
    record,
    reference,
    rng_for,
    size,
    wait_notified,
    wait_stored,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.kafka,
]

STORIES = size(2000, 20_000)
KILLS = size(3, 10)


async def test_random_worker_kills(kafka_bootstrap: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = rng_for("worker-crash")
    run = FaultRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data", partitions=8, extra_env=FAST_FAILOVER)
    raws = corpus_submissions(STORIES, seed=101)
    exp = reference(raws, run.settings)
    await run.create_topics()
    run.start_worker()
    run.start_worker()
    try:
        async with LagWatch(run.settings) as lag:
            publisher = asyncio.create_task(publish_stream(run, raws, batch=100, pause=0.05))
            last_fault = time.monotonic()
            for _ in range(KILLS):
                await asyncio.sleep(rng.uniform(3.0, 9.0))
                victim = rng.choice(run.live())
                run.kill_worker(victim)
                await asyncio.sleep(rng.uniform(0.0, 2.0))
                run.start_worker()
                last_fault = time.monotonic()
            await publisher
            waited = await wait_stored(run, exp, timeout=size(300, 1200))
            recovery = time.monotonic() - last_fault if waited > 0 else 0.0
            await wait_notified(run, timeout=120)
            verdict = await judge(run, exp, len(raws))
            record(
                FaultRow(
                    f"worker kill -9 ×{KILLS} (2 workers, 8 partitions)",
                    verdict.sent,
                    verdict.stored,
                    verdict.lost,
                    verdict.duplicate_rows,
                    lag.max_lag,
                    recovery,
                    f"{verdict.notifications} notices",
                )
            )
            verdict.assert_exact()
    finally:
        run.stop()

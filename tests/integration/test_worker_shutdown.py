"""A worker stops on SIGTERM: cleanly when it can, and by itself at the shutdown deadline when its clean stop hangs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.app.worker import HARD_EXIT_STATUS
from pipeline.topics import NOTIFICATIONS
from tests.integration.harness import PipelineRun, read_topic, wait_until
from tests.paths import SEED

pytestmark = [pytest.mark.slow, pytest.mark.kafka]


async def _running_worker(bootstrap: str, data_dir: Path, **env: str) -> PipelineRun:
    run = PipelineRun(bootstrap=bootstrap, data_dir=data_dir, extra_env=env)
    await run.create_topics()
    run.start_worker()
    await run.publish(SEED.read_bytes(), "TCA", content_type="text/plain; charset=utf-8")
    await wait_until(lambda: read_topic(bootstrap, run.topic(NOTIFICATIONS)), 90, "the seed's notification", run)
    return run


async def test_sigterm_stops_a_worker_cleanly(kafka_bootstrap: str, tmp_path: Path) -> None:
    run = await _running_worker(kafka_bootstrap, tmp_path / "data")
    # SIGUSR1 (what the harness sends when a test times out) writes every thread's and task's stack to the log.
    await run.dump_tasks()
    log = (run.data_dir / "worker-0.log").read_text(errors="replace")
    assert "THREAD MainThread" in log and "TASK _sender_routine" in log, run.logs()
    code = run.stop_worker(run.workers[0])
    assert code == 0, run.logs()


async def test_a_clean_stop_that_overruns_the_deadline_ends_the_process(kafka_bootstrap: str,
                                                                         tmp_path: Path) -> None:
    # Faust's stop sequence takes far longer than a millisecond, so this deadline always overruns.
    run = await _running_worker(kafka_bootstrap, tmp_path / "data", WIREFEED_WORKER_SHUTDOWN_TIMEOUT_S="0.001")
    code = run.stop_worker(run.workers[0])
    assert code == HARD_EXIT_STATUS, run.logs()
    assert "WIREFEED_WORKER_SHUTDOWN_TIMEOUT_S" in run.logs()

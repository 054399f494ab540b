"""When `wirefeed run` says the pipeline is ready, and which worker settings it gives the embedded broker."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import orjson
import pytest

from pipeline.app.ready import ReadyFile
from pipeline.config import EMBEDDED_WORKER_ENV, Settings, embedded_worker_env
from pipeline.readiness import pipeline_ready, ready_file


def write(data_dir: Path, pid: int, groups: dict[str, tuple[int | None, list[str]]]) -> None:
    path = ready_file(data_dir, pid)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {name: {"generation": gen, "assigned": assigned} for name, (gen, assigned) in groups.items()}
    path.write_bytes(orjson.dumps({"groups": body}))


def test_ready_only_when_every_worker_finished_the_same_rebalance_and_all_partitions_are_held(tmp_path: Path) -> None:
    assert not pipeline_ready(tmp_path, [1, 2], "wire.raw", 4)
    write(tmp_path, 1, {"app": (3, ["wire.enriched:0"]), "app-normalise": (None, ["wire.raw:0", "wire.raw:1"])})
    assert not pipeline_ready(tmp_path, [1, 2], "wire.raw", 4)  # worker 2 has not finished
    write(tmp_path, 2, {"app": (2, ["wire.enriched:1"]), "app-normalise": (None, ["wire.raw:2", "wire.raw:3"])})
    assert not pipeline_ready(tmp_path, [1, 2], "wire.raw", 4)  # worker 2 is still on an older generation
    write(tmp_path, 2, {"app": (3, ["wire.enriched:1"]), "app-normalise": (None, ["wire.raw:2"])})
    assert not pipeline_ready(tmp_path, [1, 2], "wire.raw", 4)  # wire.raw:3 is held by nobody
    write(tmp_path, 2, {"app": (3, ["wire.enriched:1"]), "app-normalise": (None, ["wire.raw:1", "wire.raw:3"])})
    assert not pipeline_ready(tmp_path, [1, 2], "wire.raw", 4)  # wire.raw:1 held twice: a rebalance not seen yet
    write(tmp_path, 2, {"app": (3, ["wire.enriched:1"])})
    assert not pipeline_ready(tmp_path, [1, 2], "wire.raw", 4)  # worker 2 has no normalise loop yet
    write(tmp_path, 2, {"app": (3, ["wire.enriched:1"]), "app-normalise": (None, ["wire.raw:2", "wire.raw:3"])})
    assert pipeline_ready(tmp_path, [1, 2], "wire.raw", 4)
    write(tmp_path, 3, {"app": (1, []), "app-normalise": (None, ["wire.raw:0", "wire.raw:1"])})
    assert pipeline_ready(tmp_path, [3], "wire.raw", 2)


def test_the_ready_file_is_written_once_every_expected_group_holds_an_assignment(tmp_path: Path) -> None:
    ready = ReadyFile(tmp_path)
    ready.expect("app")
    ready.expect("app-normalise")
    ready.report("app-normalise", ["wire.raw:0"])
    assert not ready.path.exists()
    ready.report("app", ["wire.enriched:0"], generation=4)
    assert orjson.loads(ready.path.read_bytes()) == {"groups": {
        "app": {"generation": 4, "assigned": ["wire.enriched:0"]},
        "app-normalise": {"generation": None, "assigned": ["wire.raw:0"]}}}
    ready.report("app-normalise", None)  # a rebalance starts
    assert not ready.path.exists()


def test_a_held_worker_is_ready_only_once_the_hold_is_released_from_any_thread(tmp_path: Path) -> None:
    ready = ReadyFile(tmp_path)
    ready.expect("app")
    ready.hold("warm-up")
    ready.report("app", ["wire.raw:0"], generation=1)
    assert not ready.path.exists()  # the groups hold their partitions, the warm-up is not done
    thread = threading.Thread(target=ready.release, args=("warm-up",))
    thread.start()
    thread.join()
    assert orjson.loads(ready.path.read_bytes())["groups"]["app"]["assigned"] == ["wire.raw:0"]


async def test_the_loops_first_fetch_waits_until_nothing_holds_the_worker(tmp_path: Path) -> None:
    """The stage loops await ``unheld`` before their first fetch: no story is handled (and charged the CPU of the
    warm-up thread) while the stages are still loading."""
    ready = ReadyFile(tmp_path)
    await asyncio.wait_for(ready.unheld(), 5)  # nothing held: at once
    ready.hold("warm-up")
    waiter = asyncio.ensure_future(ready.unheld())
    await asyncio.sleep(0.1)
    assert not waiter.done()
    threading.Thread(target=ready.release, args=("warm-up",)).start()
    await asyncio.wait_for(waiter, 10)


def test_a_half_written_ready_file_is_not_ready(tmp_path: Path) -> None:
    path = ready_file(tmp_path, 7)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"generation": 1, "assig')
    assert not pipeline_ready(tmp_path, [7], "wire.raw", 1)


def test_embedded_worker_settings_yield_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert embedded_worker_env({}) == EMBEDDED_WORKER_ENV
    mine = {"WIREFEED_WORKER_SESSION_TIMEOUT_S": "10"}
    assert "WIREFEED_WORKER_SESSION_TIMEOUT_S" not in embedded_worker_env(mine)
    for name, value in EMBEDDED_WORKER_ENV.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.worker_session_timeout_s == 2 and settings.consumer_fetch_max_wait_ms == 20

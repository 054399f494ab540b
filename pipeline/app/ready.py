"""Readiness of the workers: each writes a small file once a rebalance is complete (group joined, partitions
assigned, tables recovered, fetcher running); `wirefeed run` reads them to say when the pipeline is ready.

A worker's file is ``<data dir>/ready/worker-<pid>.json`` with the consumer generation and the partitions it was
assigned; it is removed when a rebalance starts and when the worker stops. The pipeline is ready when every worker
has a file, all of the same generation, and together they hold every partition of `wire.raw`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
from faust.sensors.base import Sensor


def ready_dir(data_dir: Path) -> Path:
    return data_dir / "ready"


def ready_file(data_dir: Path, pid: int) -> Path:
    return ready_dir(data_dir) / f"worker-{pid}.json"


class ReadySensor(Sensor):  # type: ignore[misc]
    """Writes this worker's ready file at the end of every rebalance and removes it at the start of the next."""

    def __init__(self, data_dir: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = ready_file(data_dir, os.getpid())

    def on_rebalance_start(self, app: Any) -> dict[str, Any]:
        self.clear()
        return super().on_rebalance_start(app)  # type: ignore[no-any-return]

    def on_rebalance_end(self, app: Any, state: dict[str, Any]) -> None:
        assigned = sorted(f"{tp.topic}:{tp.partition}" for tp in app.consumer.assignment())
        body = {"generation": app.consumer_generation_id, "assigned": assigned}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(body))
        tmp.replace(self.path)

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def pipeline_ready(data_dir: Path, pids: Iterable[int], topic: str, partitions: int) -> bool:
    """Every worker in ``pids`` has finished the same rebalance, and together they hold all of ``topic``."""
    generations = set()
    held: set[str] = set()
    for pid in pids:
        try:
            body = orjson.loads(ready_file(data_dir, pid).read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return False
        generations.add(body["generation"])
        held.update(body["assigned"])
    return len(generations) == 1 and all(f"{topic}:{p}" in held for p in range(partitions))

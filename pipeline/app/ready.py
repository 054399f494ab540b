"""Readiness of the workers: each writes a small file once every consumer group it runs has finished its rebalance
(group joined, partitions assigned and sought, tables recovered); `wirefeed run` reads them to say when the pipeline
is ready.

A worker's file is ``<data dir>/ready/worker-<pid>.json``: per consumer group (each stage loop's), the generation
when known and the partitions it holds. It is removed when any of its groups starts a
rebalance and when the worker stops. The pipeline is ready when every worker has a file, each group has the same
generation in every file and no partition twice, and together they hold every partition of `wire.raw`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson


def ready_dir(data_dir: Path) -> Path:
    return data_dir / "ready"


def ready_file(data_dir: Path, pid: int) -> Path:
    return ready_dir(data_dir) / f"worker-{pid}.json"


class ReadyFile:
    """This worker's ready file: present while every consumer group it expects holds an assignment."""

    def __init__(self, data_dir: Path) -> None:
        self.path = ready_file(data_dir, os.getpid())
        self.expected: set[str] = set()
        self.groups: dict[str, dict[str, Any]] = {}

    def expect(self, group: str) -> None:
        self.expected.add(group)

    def report(self, group: str, assigned: Iterable[str] | None, generation: int | None = None) -> None:
        """``group`` holds ``assigned`` (``topic:partition`` names), or (None) started a rebalance."""
        if assigned is None:
            self.groups.pop(group, None)
            self.clear()
            return
        self.groups[group] = {"generation": generation, "assigned": sorted(assigned)}
        if self.expected <= self.groups.keys():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_bytes(orjson.dumps({"groups": self.groups}))
            tmp.replace(self.path)

    def loop_report(self, group: str, assigned: Sequence[Any] | None) -> None:
        """:meth:`report` for a stage loop, whose partitions are aiokafka ``TopicPartition``s."""
        self.report(group, None if assigned is None else (f"{tp.topic}:{tp.partition}" for tp in assigned))

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def pipeline_ready(data_dir: Path, pids: Iterable[int], topic: str, partitions: int) -> bool:
    """Every worker in ``pids`` has finished the same rebalance of each of its groups, no partition is held twice,
    and together they hold all of ``topic``."""
    groups: dict[str, list[dict[str, Any]]] = {}
    files = 0
    for pid in pids:
        try:
            body = orjson.loads(ready_file(data_dir, pid).read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return False
        files += 1
        for name, state in body["groups"].items():
            groups.setdefault(name, []).append(state)
    held: set[str] = set()
    for states in groups.values():
        if len(states) != files or len({state["generation"] for state in states}) != 1:
            return False
        names = [name for state in states for name in state["assigned"]]
        if len(names) != len(set(names)):
            return False
        held.update(names)
    return files > 0 and all(f"{topic}:{p}" in held for p in range(partitions))

"""Readiness of the workers: each writes a small file once every consumer group it runs has finished its rebalance
(group joined, partitions assigned and sought, tables recovered); `wirefeed run` reads them to say when the pipeline
is ready.

A worker's file is ``<data dir>/ready/worker-<pid>.json``: per consumer group (each stage loop's), the generation
when known and the partitions it holds. It is removed when any of its groups starts a
rebalance and when the worker stops. The pipeline is ready when every worker has a file, each group has the same
generation in every file and no partition twice, and together they hold every partition of `wire.raw`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from pipeline.readiness import ready_file


class ReadyFile:
    """This worker's ready file: present while every consumer group it expects holds an assignment."""

    def __init__(self, data_dir: Path) -> None:
        self.path = ready_file(data_dir, os.getpid())
        self.expected: set[str] = set()
        self.groups: dict[str, dict[str, Any]] = {}
        #: Work the worker does besides joining groups that must end before it is ready (the warm-up, which runs
        #: in a thread while the groups join: :meth:`hold` and :meth:`release` may be called from any thread).
        self.holds: set[str] = set()
        self._lock = threading.Lock()
        #: Set while nothing holds the worker back.
        self._free = threading.Event()
        self._free.set()

    def expect(self, group: str) -> None:
        self.expected.add(group)

    def hold(self, what: str) -> None:
        """Not ready until :meth:`release` of ``what``."""
        with self._lock:
            self.holds.add(what)
            self._free.clear()

    def release(self, what: str) -> None:
        with self._lock:
            self.holds.discard(what)
            if not self.holds:
                self._free.set()
            self._write_if_complete()

    async def unheld(self) -> None:
        """Return once nothing holds the worker back. The stage loops wait for it before their first fetch: a
        story handled while the warm-up thread still loads the stages would pay for that loading, and its CPU
        budget (``pipeline/app/budget.py``, process CPU time) would count the thread's CPU too."""
        if not self._free.is_set():
            await asyncio.to_thread(self._free.wait)

    def report(self, group: str, assigned: Iterable[str] | None, generation: int | None = None) -> None:
        """``group`` holds ``assigned`` (``topic:partition`` names), or (None) started a rebalance."""
        with self._lock:
            if assigned is None:
                self.groups.pop(group, None)
                self.clear()
                return
            self.groups[group] = {"generation": generation, "assigned": sorted(assigned)}
            self._write_if_complete()

    def _write_if_complete(self) -> None:
        if self.expected <= self.groups.keys() and not self.holds:
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



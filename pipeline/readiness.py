"""Reading the workers' ready files (written by :class:`pipeline.app.ready.ReadyFile`; the format is described
there). Kept apart from the app so that `wirefeed run`, which only reads them, does not import Faust before it
starts its workers."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson


def ready_dir(data_dir: Path) -> Path:
    return data_dir / "ready"


def ready_file(data_dir: Path, pid: int) -> Path:
    return ready_dir(data_dir) / f"worker-{pid}.json"


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

"""Opening stores can neither hang nor half-open: many openers at once on a busy machine all succeed, migrations
apply once, and every connection thread ends with its store (a failed open leaves none behind)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.sinks.store import StoreUnavailableError, open_store, upgrade
from tests.integration.store.test_store import story

OPENERS = 12


@pytest.fixture
def cpu_load() -> Iterator[None]:
    """One busy process per core for the duration of the test (a CI machine running other jobs)."""
    spin = "import time\nend = time.monotonic() + 120\nwhile time.monotonic() < end: pass\n"
    procs = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(os.cpu_count() or 2)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait(10)


def non_daemon_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]


async def _wait_for_threads_to_end(before: set[threading.Thread], timeout: float = 10.0) -> list[threading.Thread]:
    # Joined from the event loop's thread itself: a helper thread (asyncio.to_thread) would be one more thread.
    deadline = time.monotonic() + timeout
    for t in [t for t in non_daemon_threads() if t not in before]:
        t.join(max(0.0, deadline - time.monotonic()))
    return [t for t in non_daemon_threads() if t not in before]


async def test_many_concurrent_openers_under_load(store_url: str, cpu_load: None) -> None:
    before = set(non_daemon_threads())
    stores = await asyncio.gather(*(open_store(store_url) for _ in range(OPENERS)))
    try:
        assert await upgrade(store_url) == [], "every migration was applied by one of the openers"
        await stores[0].write_batch([story("a")])
        assert [await s.count_stories() for s in stores] == [1] * OPENERS
    finally:
        for s in stores:
            await s.close()
    assert not await _wait_for_threads_to_end(before), "closed stores left non-daemon threads running"


async def test_concurrent_openers_in_separate_processes(store_url: str, tmp_path: Path) -> None:
    """Processes (workers, the API server) opening one fresh database at once: each migration is recorded once."""
    script = (
        "import asyncio, sys\n"
        "from pipeline.sinks.store import open_store\n"
        "async def main():\n"
        "    s = await open_store(sys.argv[1])\n"
        "    await s.close()\n"
        "asyncio.run(main())\n"
    )
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", script, store_url, stderr=asyncio.subprocess.PIPE)
        for _ in range(6)
    ]
    results = await asyncio.gather(*(asyncio.wait_for(p.communicate(), 120) for p in procs))
    assert [p.returncode for p in procs] == [0] * len(procs), [err.decode() for _, err in results]
    store = await open_store(store_url)
    await store.close()
    assert await upgrade(store_url) == []


async def test_a_failed_open_leaves_no_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database that stays locked past the open timeout: the open fails with StoreUnavailableError, and the
    connection threads it started are gone (before the fix one stayed and kept the process from exiting)."""
    from pipeline.sinks.store import sqlite as sqlite_backend

    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # no other connection can read or write
    before = set(non_daemon_threads())
    monkeypatch.setattr(sqlite_backend, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(sqlite_backend, "OPEN_TIMEOUT_S", 0.5)
    try:
        with pytest.raises(StoreUnavailableError, match="locked"):
            await open_store(f"sqlite:///{path}")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not await _wait_for_threads_to_end(before), "a failed open left its connection thread running"


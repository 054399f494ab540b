"""Bounds on the test run: no test, and no run, may hang silently or leave anything running.

- Every test has a timeout (pytest-timeout: ``timeout`` in pyproject.toml, more for tests/faults). A little before it
  expires, :mod:`faulthandler` prints the stack of every thread to the terminal, even when the test is stuck in C
  code where pytest-timeout's signal cannot get in; pytest-timeout then fails the test.
- At the end of the session, a thread that is not a daemon or a child process still running fails the run: a
  leftover non-daemon thread keeps Python from exiting (this is how a full run once printed its summary and then
  sat for 25 minutes). Each is reported with its stack or command line; the children are killed, and the process
  exits without waiting for the threads.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Generator
from pathlib import Path

import pytest

#: How long threads and children get at the end of the session to finish by themselves.
GRACE_S = 5.0

_dump_fd: int | None = None
#: Set when threads outlived the tests: the exit status the process ends with, without waiting for them.
_exit_now = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    global _dump_fd
    # A copy of the terminal's stderr, taken like pytest's own faulthandler plugin does, so that dumps reach the
    # terminal while the test's output is captured.
    _dump_fd = os.dup(sys.stderr.fileno() if hasattr(sys.stderr, "fileno") else 2)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _dump_fd
    if _exit_now in config.stash:
        # Threads are still running: Python's exit would wait for them forever. Nothing is left to do but exit.
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(config.stash[_exit_now])
    if _dump_fd is not None:
        os.close(_dump_fd)
        _dump_fd = None


def _timeout(item: pytest.Item) -> float:
    marker = item.get_closest_marker("timeout")
    if marker is not None and marker.args:
        return float(marker.args[0])
    if marker is not None and "timeout" in marker.kwargs:
        return float(marker.kwargs["timeout"])
    return float(item.config.getini("timeout") or 0)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    timeout = _timeout(item)
    if timeout <= 0 or _dump_fd is None:
        return (yield)
    # Shortly before pytest-timeout fails the test: the stacks of every thread, whatever the main thread is doing.
    faulthandler.dump_traceback_later(max(1.0, timeout - min(10.0, timeout / 10)), file=_dump_fd, exit=False)
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()


def _live_threads() -> list[threading.Thread]:
    me = threading.current_thread()
    return [t for t in threading.enumerate() if t is not me and not t.daemon and t.is_alive()]


def _children(root: int) -> dict[int, str]:
    """Every running descendant of ``root`` (zombies excluded) → its command line."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                try:
                    cmd = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                found[child] = cmd.strip()
                frontier.append(child)
    return found


def leftovers(grace: float = GRACE_S) -> tuple[list[threading.Thread], dict[int, str]]:
    """Non-daemon threads and child processes still running after ``grace`` seconds."""
    deadline = time.monotonic() + grace
    for t in _live_threads():
        t.join(max(0.0, deadline - time.monotonic()))
    children = _children(os.getpid())
    while children and time.monotonic() < deadline:
        time.sleep(0.1)
        children = _children(os.getpid())
    return _live_threads(), children


def report(threads: list[threading.Thread], children: dict[int, str]) -> list[str]:
    frames = sys._current_frames()
    lines = ["", "=" * 30 + " left running after the tests " + "=" * 30]
    for t in threads:
        lines.append(f"non-daemon thread {t.name!r} (ident {t.ident}), started from a test or fixture that did not "
                     "stop it; it would keep Python from exiting:")
        frame = frames.get(t.ident or -1)
        lines.extend("    " + ln for ln in "".join(traceback.format_stack(frame)).splitlines() if frame)
    for pid, cmd in children.items():
        lines.append(f"child process {pid} still running (killed now): {cmd}")
    lines.append("Stop what the test started (close the store, stop the process) in the test or its fixture.")
    return lines


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    threads, children = leftovers()
    if not threads and not children:
        return
    writer = session.config.get_terminal_writer()
    for line in report(threads, children):
        writer.line(line, red=True)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if threads:
        session.config.stash[_exit_now] = int(session.exitstatus)

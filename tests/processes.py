"""Stopping the processes tests start: always bounded, so a process that hangs on shutdown fails one test at most."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def stop_group(proc: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM, timeout: float = 60) -> int:
    """Send ``sig`` to the process group of ``proc`` (started with ``start_new_session``); SIGKILL it after ``timeout``.

    Returns the exit status; ``-9`` means the process did not stop by itself in time.
    """
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    return proc.returncode

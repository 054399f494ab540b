"""Run one worker process of the pipeline (all agents; partitions are shared among workers of the same app id)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
import traceback
from typing import Any, NoReturn

from pipeline.app.ready import ReadyFile
from pipeline.broker.admin import ensure_topics
from pipeline.config import Settings
from pipeline.stages.notify import Router

#: Exit status of a worker that did not finish its clean shutdown in time (EX_SOFTWARE).
HARD_EXIT_STATUS = 70
#: How long a stopped worker waits for threads that libraries left running before it exits anyway.
THREAD_GRACE_S = 5.0


def _make_worker_class() -> type:
    from faust import Worker

    class BoundedWorker(Worker):  # type: ignore[misc]
        """A Faust worker whose clean shutdown has a deadline.

        Faust's stop sequence can wait forever (a consumer stuck in a rebalance, a hung producer flush). A process
        supervisor then has to escalate to SIGKILL; this worker does it itself: once ``shutdown_timeout`` seconds have
        passed since the first SIGTERM/SIGINT it exits with status 70. Nothing is lost by that: offsets are committed
        only for finished work, so anything in flight is redelivered to the next owner of the partition.
        """

        def __init__(self, *args: Any, shutdown_timeout: float, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._shutdown_timeout = shutdown_timeout
            self._deadline_timer: threading.Timer | None = None

        def _schedule_shutdown(self, signal: signal.Signals) -> None:
            if self._deadline_timer is None:
                self._deadline_timer = threading.Timer(self._shutdown_timeout, self._exit_hard, args=(signal,))
                self._deadline_timer.daemon = True
                self._deadline_timer.start()
            super()._schedule_shutdown(signal)

        def _exit_hard(self, sig: signal.Signals) -> None:
            print(
                f"wirefeed worker: clean shutdown after {sig.name} took over {self._shutdown_timeout:g}s "
                f"(WIREFEED_WORKER_SHUTDOWN_TIMEOUT_S); exiting now, uncommitted messages will be redelivered",
                file=sys.stderr, flush=True,
            )
            os._exit(HARD_EXIT_STATUS)

    return BoundedWorker


def warm_up(settings: Settings) -> str:
    """Load the gazetteer and the language model (from their cache files when there are some) and run the pure
    stages once on a short built-in story, so that what they load on first use (gazetteer, language profiles,
    compiled patterns) is loaded before the worker joins the group and not while the first story waits. Returns
    where the cached items came from."""
    from pipeline.ingest.publisher import make_submission
    from pipeline.stages.dedupe import DedupeIndex, DedupeState
    from pipeline.stages.normalise import NormaliseOptions
    from pipeline.stages.process import process
    from pipeline.startup_cache import prime
    from schemas import utcnow

    text = (b"Ministers meet in Bishkek\n\nBISHKEK, Kyrgyzstan - Ministers of Kyrgyzstan, Kazakhstan and Russia met "
            b"in Bishkek on Monday to discuss trade within the Eurasian Economic Union and transit through China.\n")
    options = NormaliseOptions(max_bytes=settings.max_payload_bytes, max_depth=settings.max_nesting_depth,
                               default_timezone=settings.default_timezone)
    now = utcnow()
    raw = make_submission(text, "WARMUP", format_hint="text", submission_id="warm-up", received_at=now)
    loaded = prime(settings.resolved_stage_cache_dir)
    process(raw, DedupeIndex(DedupeState()), options, now)
    return "; ".join(loaded)


def start_warm_up(settings: Settings, ready: ReadyFile) -> threading.Thread:
    """:func:`warm_up` in a thread, so that it runs while the worker imports the app and its consumer groups join
    (mostly waiting on the broker); the worker is not ready before it has finished. A warm-up that fails stops the
    worker, as a stage that cannot load its data would fail every story."""
    ready.hold("warm-up")

    def run() -> None:
        started, cpu = time.monotonic(), time.thread_time()
        try:
            cached = warm_up(settings)
        except BaseException:
            traceback.print_exc()
            print("wirefeed worker: the stages could not be loaded (above); stopping", file=sys.stderr, flush=True)
            os._exit(1)
        # Before Faust has set up logging, so on stderr (the worker's log): the start-up's largest CPU cost.
        print(f"wirefeed worker: stages loaded in {time.monotonic() - started:.1f} s "
              f"({time.thread_time() - cpu:.1f} s of CPU; {cached})", file=sys.stderr, flush=True)
        ready.release("warm-up")

    thread = threading.Thread(target=run, name="wirefeed-warm-up", daemon=True)
    thread.start()
    return thread


def run_worker(settings: Settings, router: Router | None = None) -> NoReturn:
    """Create missing topics (the catalogue's, the tables' changelogs and the subscriptions'), then run the Faust
    worker until SIGINT/SIGTERM (bounded by the shutdown timeout). The stages warm up meanwhile. ``router``: the
    subscriptions, when the caller has loaded them already (else they are loaded from ``settings``)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ready = ReadyFile(settings.data_dir)
    start_warm_up(settings, ready)
    from pipeline.app import create_wirefeed
    from pipeline.app.dedupe_agent import changelog_topics
    from pipeline.sinks.subscriptions import router_from_settings

    router = router or router_from_settings(settings)
    asyncio.run(ensure_topics(settings, extra=router.topics, compacted=changelog_topics(settings)))
    if settings.metrics_port:
        from pipeline.ops.metrics import start_metrics_server

        start_metrics_server(settings.metrics_port, settings.metrics_host)
    wf = create_wirefeed(settings, ready, router)
    worker = _make_worker_class()(wf.app, loglevel=settings.log_level.upper(), quiet=True, redirect_stdouts=False,
                                  shutdown_timeout=settings.worker_shutdown_timeout_s)
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        ready.clear()
        _exit_when_stopped(exc.code)
    ready.clear()
    _exit_when_stopped(0)


def _exit_when_stopped(code: int | str | None) -> NoReturn:
    """End the process once Faust has stopped, whatever threads a library left running.

    Python's exit waits for every non-daemon thread, so one left by a library (an aiosqlite connection nobody
    closed, a client's helper thread) would keep a stopped worker alive forever. They get
    :data:`THREAD_GRACE_S` to finish, are named on stderr if they did not, and the process exits regardless.
    """
    status = 0 if code is None else code if isinstance(code, int) else 1
    if isinstance(code, str):
        print(code, file=sys.stderr)
    deadline = time.monotonic() + THREAD_GRACE_S
    others = [t for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon]
    for thread in others:
        thread.join(max(0.0, deadline - time.monotonic()))
    if left := [t.name for t in others if t.is_alive()]:
        print(f"wirefeed worker: stopped; exiting without waiting for threads still running: {', '.join(left)}",
              file=sys.stderr)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)

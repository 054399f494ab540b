"""A per-message CPU budget for the pure stages, enforced by a profiling timer instead of checks inside them.

The stage stays pure and pays nothing per step: the shell arms ``ITIMER_PROF`` before one message and disarms it
after, two ``setitimer`` calls. The budget is the CPU time of the thread that runs the message: the profiling timer
counts the whole process's CPU time (user and system), which is never less, so it fires on time or early; when it
fires early (other threads of the worker used CPU meanwhile: the store's SQLite thread, a changelog restore) its
handler arms it again for what is left of the thread's budget. When the budget is used up the handler raises
:class:`CpuBudgetExceeded` in the main thread at the next bytecode or, inside a regular expression, at the
matcher's next signal check, so even a backtracking regex is stopped. The exception is
a ``BaseException``, so a stage's ``except Exception`` does not swallow it. Only the main thread receives signals:
elsewhere (never the case in a worker, whose event loop runs on the main thread) the message runs unbudgeted.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import FrameType

from pipeline.stages.normalise import NormaliseOptions
from pipeline.stages.process import NormaliseOutcome, Source, decode_raw, normalise_step, reject
from schemas import Rejection


class CpuBudgetExceeded(BaseException):
    """The message used up its CPU budget."""


_armed = False
#: The main thread's CPU time (``time.thread_time``) at which the armed budget is used up.
_deadline = 0.0
#: Time left below which the budget counts as used up (the timer's resolution is coarser than this).
_SLACK_S = 0.001


def _on_sigprof(signum: int, frame: FrameType | None) -> None:
    if not _armed:
        return
    left = _deadline - time.thread_time()
    if left > _SLACK_S:  # other threads' CPU made the process timer fire early: wait for the rest
        signal.setitimer(signal.ITIMER_PROF, left)
        return
    raise CpuBudgetExceeded


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Run the block with at most ``seconds`` of this thread's CPU time, else raise :class:`CpuBudgetExceeded`.

    ``seconds <= 0`` means no budget.
    """
    global _armed, _deadline
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGPROF) is not _on_sigprof:
        signal.signal(signal.SIGPROF, _on_sigprof)
    _deadline = time.thread_time() + seconds
    _armed = True
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        # Disarmed before the timer is stopped: a signal between the two finds nothing to interrupt.
        _armed = False
        signal.setitimer(signal.ITIMER_PROF, 0)


def normalise_within_budget(
    message: bytes, options: NormaliseOptions, now: datetime, source: Source, seconds: float
) -> NormaliseOutcome:
    """:func:`pipeline.stages.process.normalise_message` with at most ``seconds`` of CPU for the normalise step;
    past it, a ``too_slow`` rejection carrying the submission instead of stories."""
    raw = decode_raw(message, now, source)
    if isinstance(raw, Rejection):
        return NormaliseOutcome(rejection=raw)
    try:
        with cpu_budget(seconds):
            return normalise_step(raw, options, now, source)
    except CpuBudgetExceeded:
        text = (f"normalising took more than {seconds:g} s of CPU (the per-message budget); split the story or "
                "send it in a simpler format")
        return NormaliseOutcome(rejection=reject("normalise", "too_slow", text, raw.payload, now, raw=raw,
                                                 source=source))

"""A per-message CPU budget for the pure stages, enforced by a profiling timer instead of checks inside them.

The stage stays pure and pays nothing per step: the shell arms ``ITIMER_PROF`` (process CPU time, user and
system) before one message and disarms it after, two ``setitimer`` calls. When the budget runs out the kernel sends
``SIGPROF``; its handler raises :class:`CpuBudgetExceeded` in the main thread at the next bytecode or, inside a
regular expression, at the matcher's next signal check, so even a backtracking regex is stopped. The exception is
a ``BaseException``, so a stage's ``except Exception`` does not swallow it. Only the main thread receives signals:
elsewhere (never the case in a worker, whose event loop runs on the main thread) the message runs unbudgeted.
"""

from __future__ import annotations

import signal
import threading
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


def _on_sigprof(signum: int, frame: FrameType | None) -> None:
    if _armed:
        raise CpuBudgetExceeded


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Run the block with at most ``seconds`` of process CPU time, else raise :class:`CpuBudgetExceeded`.

    ``seconds <= 0`` means no budget.
    """
    global _armed
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGPROF) is not _on_sigprof:
        signal.signal(signal.SIGPROF, _on_sigprof)
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

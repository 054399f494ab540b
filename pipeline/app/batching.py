"""Batches of events that adapt to the load and are acknowledged only when the agent finished them.

Adaptive: a batch is closed as soon as the stream goes quiet (:data:`QUIET_S` without a new event), when it holds
``max_`` events, or ``within`` seconds after its first event, whichever comes first. An idle stream therefore hands
a lone event over after ~:data:`QUIET_S` instead of waiting out a fixed window (Faust's ``take_events`` waits
``within`` after every batch), and under load, what queued while the last batch was processed (a whole fetch, often)
arrives back to back and goes into one batch: batches grow with the load, up to ``max_``.

Finished: a batch counts as done when the loop asks for the next one; only then are its events acked. A batch the
agent did not finish — the agent cancelled by a rebalance or a stop, or an error — is never acked: its messages are
marked so that Faust skips them, their offsets stay uncommitted and they are read again (by this worker after a
restart, or by the partition's next owner).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

#: A batch is closed once no event arrived for this long: events of one fetch reach the stream microseconds apart.
QUIET_S = 0.002


def _forget(events: Sequence[Any]) -> None:
    """Faust skips acked messages; these stay unacked in the consumer, so no commit passes them."""
    for event in events:
        event.message.acked = True


async def finished_batches(stream: Any, max_: int, within: float,
                           quiet: float = QUIET_S) -> AsyncIterator[Sequence[Any]]:
    """Batches of at most ``max_`` events of a Faust ``stream``, closed when the stream goes quiet for ``quiet``
    seconds or ``within`` seconds after their first event; each is acked when the loop asks for the next."""
    events: list[Any] = []
    arrived = asyncio.Event()
    #: Set while events may join the open batch; cleared while a batch is out or the open one is full.
    gate = asyncio.Event()

    closed = False

    async def add(value: Any) -> Any:
        # Stream processors run one event at a time, in order: one waiting here holds back the events after it.
        while not gate.is_set():
            await stream.wait(gate)
            if stream.should_stop:
                break
        event = stream.current_event
        if event is None:
            raise RuntimeError("batching: the stream has no current event")
        if closed or stream.should_stop:  # delivered after the generator was closed: never processed, never acked
            _forget([event])
            return value
        events.append(event)
        arrived.set()
        if len(events) >= max_:
            gate.clear()
        return value

    stream.enable_acks = False  # acked here, after the agent finished the batch
    stream.add_processor(add)
    stream._enable_passive(aiter(stream.channel))
    batch: list[Any] = []
    try:
        while not stream.should_stop:
            gate.set()
            if not events:
                await stream.wait_for_stopped(arrived, timeout=1.0)
                if not events:
                    continue
            deadline = time.monotonic() + within
            while gate.is_set():
                seen = len(events)
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                await asyncio.sleep(min(quiet, left))
                if len(events) == seen:
                    break
            gate.clear()
            batch, events[:] = list(events), []
            arrived.clear()
            yield batch
            for event in batch:
                await stream.ack(event)
            batch = []
    finally:
        closed = True
        _forget(batch)
        _forget(events)
        # Acks stay off: an event the stream still delivers after this (no agent reads it any more) must not be
        # acked unprocessed; unacked, it is read again.
        stream._processors.remove(add)
        gate.set()  # an event held back in ``add`` is let go (forgotten), as Faust's take_events lets its own go

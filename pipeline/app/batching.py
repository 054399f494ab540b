"""Batches of events that are acknowledged only when the agent finished them.

Faust's ``Stream.take_events`` acks a batch in a ``finally`` clause, so a batch the agent did not finish — the
agent cancelled by a rebalance or a stop, or an error — is acked anyway when the generator is closed, and its
offsets can be committed: those messages are lost. ``finished_batches`` yields the same batches, but a batch that
was not finished is marked so that Faust never acks it: its offsets stay uncommitted and the messages are read
again (by this worker after a restart, or by the partition's next owner).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any


async def finished_batches(stream: Any, max_: int, within: float) -> AsyncIterator[Sequence[Any]]:
    """Like ``stream.take_events(max_, within)``; a batch counts as done when the loop asks for the next one."""
    async for events in stream.take_events(max_, within):
        done = False
        try:
            yield events
            done = True
        finally:
            if not done:
                for event in events:
                    # Faust skips acked messages; this one stays unacked in the consumer, so no commit passes it.
                    event.message.acked = True

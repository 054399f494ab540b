"""Stand-ins for the few Faust stream objects the agents' batching touches: messages, events, take_events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field


@dataclass
class Message:
    offset: int
    acked: bool = False


@dataclass
class Event:
    message: Message


@dataclass
class TakingStream:
    """Stands in for faust's Stream.take_events: it acks every yielded batch in ``finally``, as Faust does."""

    batches: list[list[Event]]
    acked: list[int] = field(default_factory=list)

    async def take_events(self, max_: int, within: float) -> AsyncIterator[list[Event]]:
        for batch in self.batches:
            try:
                yield batch
            finally:
                for event in batch:
                    if not event.message.acked:  # faust's Message.ack skips acked messages
                        event.message.acked = True
                        self.acked.append(event.message.offset)

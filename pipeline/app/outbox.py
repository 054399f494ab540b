"""The outputs of one batch: handed to the producer without waiting for each, acknowledged together.

An agent that awaited the broker's acknowledgement of every send would pay one round trip per message; one that
never waited would let Faust commit an input offset whose outputs might still be lost (Faust flushes its producer
before a commit, but an agent that is cancelled or crashes in between must not have acked the input). The rule
here: every output of a batch goes into one :class:`Outbox`; ``await outbox.flush()`` returns only when the
broker has acknowledged all of them (``acks=all``), and raises if any send failed. Agents flush before the batch
is acknowledged (``finished_batches`` acks a batch only when the loop asks for the next one), so an input offset is
never committed before its outputs are durably written.

Sends go straight to Faust's producer (``ProducerT.send``: the aiokafka producer's accumulator, same default
partitioner as ``Topic.send``, so keyed outputs land on the same partitions as before), skipping the per-message
``FutureMessage``/``PendingMessage`` objects, callbacks and sensors of ``Topic.send``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Protocol


class Producer(Protocol):
    """What an outbox needs of a producer (Faust's ``ProducerT.send`` has this signature)."""

    async def send(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None,
                   timestamp: float | None, headers: Any) -> Awaitable[Any]: ...


class Outbox:
    """Sends of one batch; :meth:`flush` waits for the broker's acknowledgement of every one."""

    __slots__ = ("pending", "producer", "sent")

    def __init__(self, producer: Producer) -> None:
        self.producer = producer
        self.pending: list[Awaitable[Any]] = []
        self.sent = 0

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Hand one message to the producer; returns once it is queued (it waits only when the buffer is full)."""
        self.pending.append(await self.producer.send(topic, key, value, None, None, None))
        self.sent += 1

    def __len__(self) -> int:
        return len(self.pending)

    async def flush(self) -> None:
        """Wait until every message sent since the last flush is acknowledged; raise the first failure.

        On failure nothing is forgotten: the caller must not ack its batch (the exception leaves the agent's batch
        unfinished), and every pending future has been waited for, so none is left with an unretrieved error."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        results = await asyncio.gather(*pending, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

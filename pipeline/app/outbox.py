"""The outputs of one batch: handed to the producer without waiting for each, acknowledged together.

A stage that awaited the broker's acknowledgement of every send would pay one round trip per message; one that
never waited could have an input offset committed whose outputs might still be lost. The rule here: every output of
a batch goes into one :class:`Outbox`; ``await outbox.flush()`` returns only when the broker has acknowledged all of
them (``acks=all``), and raises if any send failed. The stage loop flushes before it commits the batch's offsets
(:mod:`pipeline.app.loop`), so an input offset is never committed before its outputs are durably written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, Protocol

log = logging.getLogger("wirefeed.outbox")

#: How long a flush waits for acknowledgements before it logs which topics it is still waiting for (and again after
#: each further period). The producer's own timeout is far longer; a flush that waits this long is worth a line.
SLOW_ACK_S = 30.0


class Producer(Protocol):
    """What an outbox needs of a producer (:class:`~pipeline.app.producer.LoopProducer` has it)."""

    async def send(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None,
                   timestamp: float | None, headers: Any) -> Awaitable[Any]: ...


class Outbox:
    """Sends of one batch; :meth:`flush` waits for the broker's acknowledgement of every one."""

    __slots__ = ("pending", "producer", "sent")

    def __init__(self, producer: Producer) -> None:
        self.producer = producer
        #: Per topic, the acknowledgements still to wait for (the topics name a slow acknowledgement).
        self.pending: dict[str, list[Awaitable[Any]]] = {}
        self.sent = 0

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Hand one message to the producer; returns once it is queued (it waits only when the buffer is full)."""
        ack = await self.producer.send(topic, key, value, None, None, None)
        if (acks := self.pending.get(topic)) is None:
            self.pending[topic] = [ack]
        else:
            acks.append(ack)
        self.sent += 1

    def __len__(self) -> int:
        return sum(map(len, self.pending.values()))

    async def flush(self) -> None:
        """Wait until every message sent since the last flush is acknowledged; raise the first failure.

        On failure nothing is forgotten: the caller must not ack its batch (the exception leaves the agent's batch
        unfinished), and every pending future has been waited for and its outcome read, so none is left with an
        unretrieved error. Only the acknowledgements still outstanding are waited on: most of a batch's are in by
        the flush, and waiting on a done future (``gather`` does) costs an event-loop callback for each."""
        if not self.pending:
            return
        by_topic = {topic: [asyncio.ensure_future(a) for a in acks] for topic, acks in self.pending.items()}
        self.pending = {}
        futures = [f for fs in by_topic.values() for f in fs]
        waiting = {f for f in futures if not f.done()}
        waited = 0.0
        while waiting:
            _, waiting = await asyncio.wait(waiting, timeout=SLOW_ACK_S)
            if not waiting:
                break
            waited += SLOW_ACK_S
            unacked = sorted(topic for topic, fs in by_topic.items() if not all(f.done() for f in fs))
            log.warning("%d of %d messages not acknowledged by the broker after %.0f s (topics: %s); still waiting",
                        len(waiting), len(futures), waited, ", ".join(unacked))
        failure: BaseException | None = None
        for future in futures:  # every outcome read, in send order; the first failure is raised
            error = asyncio.CancelledError() if future.cancelled() else future.exception()
            if error is not None and failure is None:
                failure = error
        if failure is not None:
            raise failure

"""The Faust consumer, with stale prefetched messages re-read instead of counted as a gap.

faust-streaming 0.15.3 can deliver, right after a rebalance, a message the fetcher prefetched before it sought
back to the committed offset (faust-streaming/faust#216, #221). Its drain loop takes the offsets between the
read position and that message for a "gap" (as compaction or transaction markers leave), commits across it once
the message is acked, and then drops the re-fetched messages of the gap as already read: they are lost.

The pipeline's own topics are delete-policy and written without transactions, so a forward jump in their offsets
is never a real gap. For those topics this consumer does not deliver the message that jumps ahead; it seeks the
partition back to the read position and skips what was fetched before the seek, so every message is delivered in
order (the one at the read position may be delivered twice: the sinks are idempotent). Compacted topics (table
changelogs) keep Faust's behaviour. If a partition still jumps after :data:`REWIND_PATIENCE_S` (its log start
moved past the read position, e.g. by retention), the jump is accepted.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

from pipeline.topics import CATALOGUE, topic_name

#: How long a partition may keep delivering only offsets past the rewind target before the jump is accepted
#: (its log start moved past the read position, e.g. by retention).
REWIND_PATIENCE_S = 30.0


class GaplessConsumer(faust_aiokafka.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefix = getattr(self.app.conf, "wirefeed_topic_prefix", "")
        self.gapless_topics = {topic_name(spec, prefix) for spec in CATALOGUE if spec.cleanup_policy == "delete"}
        #: Partitions sought back: the offset the seek should deliver next, and when the seek was made.
        self._rewinding: dict[TP, tuple[int, float]] = {}

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:  # type: ignore[override]
        async for tp, message in super().getmany(timeout):
            if tp.topic in self.gapless_topics and await self._stale(tp, message.offset):
                continue
            yield tp, message

    async def _stale(self, tp: TP, offset: int) -> bool:
        """True when ``offset`` was fetched before the partition's last seek and must not be delivered."""
        rewinding = self._rewinding.get(tp)
        if rewinding is not None:
            target, since = rewinding
            if offset > target and time.monotonic() - since < REWIND_PATIENCE_S:
                return True  # still the stale prefetch: the seek has not taken effect yet
            del self._rewinding[tp]
            return False
        read = self._read_offset[tp]
        if read and offset - read > 1:
            self.log.info("offset jump on %r: %r after %r; re-reading from %r", tp, offset, read, read)
            self._rewinding[tp] = (read, time.monotonic())
            await self.seek(tp, read)
            return True
        return False

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        for tp in revoked:
            self._rewinding.pop(tp, None)
        await super().on_partitions_revoked(revoked)


class GaplessTransport(faust_aiokafka.Transport):
    Consumer = GaplessConsumer


class WirefeedFaustApp(faust.App):
    """A Faust app whose consumer is :class:`GaplessConsumer`."""

    def _new_transport(self) -> Any:
        return GaplessTransport(self.conf.broker_consumer, self)

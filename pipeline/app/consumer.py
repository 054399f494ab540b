"""The Faust consumer, delivering the pipeline's own topics without holes and committing only finished offsets.

The decisions are :mod:`pipeline.app.cursors` (pure, unit-tested); this module applies them to faust-streaming's
aiokafka consumer. For every partition of the app's ``gapless_topics`` (by default the delete-policy topics of the
catalogue):

- after an assignment the partition follows the fetcher, and nothing is committed, until it is sought to its
  committed offset (a partition with no committed offset is sought to its log start explicitly);
- then exactly the next offset is delivered; what was already delivered since the seek, and what was fetched
  before it, is skipped; a jump forward is a stale prefetch (skipped) or, when it persists, a reason to seek back;
- Faust's read offset is cleared before each delivery, so its drain loop neither records a "gap" nor drops the
  message as already read;
- a message whose hand-over to a stream a rebalance interrupted (Faust's drain loop drops it) counts as not
  delivered, and its partition is sought back to it once the flow resumes;
- the committed offset only moves over a run of acked offsets that starts exactly at the current committed offset.

A partition that has messages past its next offset but delivered nothing for :data:`STALL_AFTER_S` is compared
with the fetch position: when the fetcher has moved past the next offset (its remaining messages were fetched
before a seek and skipped, and no newer message came to show the jump), it is sought back. A partition whose
commit has been held for :data:`HOLE_AFTER_S` by an offset that was delivered and never finished, while later
offsets were finished, is read again from that offset.

Compacted topics (table changelogs) keep Faust's behaviour. If a partition keeps jumping for
:data:`REWIND_PATIENCE_S` and its log start has moved past the next offset (retention deleted unread messages), the
consumer continues from the log start and logs how many offsets were lost to retention.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

from pipeline.app.cursors import Decision, GaplessCursors, next_commit
from pipeline.topics import CATALOGUE, topic_name

#: How long a partition may keep jumping past its next offset before the consumer checks its log start.
REWIND_PATIENCE_S = 30.0
#: How long a partition with messages past its next offset may deliver nothing before its fetch position is checked.
STALL_AFTER_S = 5.0
#: How long an offset delivered and never finished may hold the commit while later offsets are finished before the
#: partition is read again from it.
HOLE_AFTER_S = 30.0


def catalogue_topics(prefix: str) -> frozenset[str]:
    """The pipeline's delete-policy topics: delivered without holes."""
    return frozenset(topic_name(spec, prefix) for spec in CATALOGUE if spec.cleanup_policy == "delete")


class GaplessConsumer(faust_aiokafka.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gapless_topics: frozenset[str] = getattr(self.app, "gapless_topics", frozenset()) or (
            catalogue_topics(getattr(self.app.conf, "wirefeed_topic_prefix", ""))
        )
        self.cursors: GaplessCursors[TP] = GaplessCursors(
            patience=REWIND_PATIENCE_S, stall_after=STALL_AFTER_S, hole_after=HOLE_AFTER_S
        )
        self._stalls_checked = 0.0

    def _gapless(self, tp: TP) -> bool:
        return tp.topic in self.gapless_topics

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:  # type: ignore[override]
        now = time.monotonic()
        if self.flow_active:
            for tp, offset in self.cursors.rewinds(now):
                self.log.info("%r: re-reading from %r (fetched while a rebalance suspended the flow)", tp, offset)
                await self._reseek(tp, offset)
        if now - self._stalls_checked >= 1.0:
            self._stalls_checked = now
            await self._unstall(now)
        gapless = self.gapless_topics
        async for tp, message in super().getmany(timeout):
            if tp.topic in gapless:
                decision = self.cursors.decide(tp, message.offset, time.monotonic())
                if decision is not Decision.DELIVER:
                    await self._act(tp, message.offset, decision)
                    continue
                self._read_offset[tp] = None  # Faust's drain loop: no gap, never "already read"
                yield tp, message
                if not self.flow_active:  # the suspension interrupted its hand-over: the drain loop dropped it
                    self.cursors.dropped(tp, message.offset)
                continue
            yield tp, message

    async def _unstall(self, now: float) -> None:
        """Seek back every partition whose fetch position moved past the next offset without delivering it."""
        for tp, expected in self.cursors.stalled(self._highwater, now):
            position = self._position(tp)
            if position is None or position == expected:
                # The fetcher reads ``expected`` next, unless flow control keeps the partition out of its fetches:
                # a stream buffer that was full when a rebalance cleared it never reports that it drained.
                if tp not in self._get_active_partitions() and tp in self._buffered_partitions:
                    if not self._buffered(tp):
                        self.log.warning("%r delivered nothing up to %r for %.0fs and is still held back as if its "
                                         "stream buffer were full, which is empty; fetching it again", tp, expected,
                                         STALL_AFTER_S)
                        self.on_buffer_drop(tp)
                # Else the streams are behind (back-pressure: the drain loop waits on a full buffer) or the next
                # fetch brings ``expected``: nothing to do.
                continue
            self.log.warning("%r delivered nothing up to %r for %.0fs while the fetch position is %r; re-reading "
                             "from %r", tp, expected, STALL_AFTER_S, position, expected)
            await self._reseek(tp, expected)
        for tp in list(self.cursors.cursors):
            acked = self._acked.get(tp)
            hole = self.cursors.held(tp, self._commit_base(tp), min(acked) if acked else None, now)
            if hole is not None:
                self.log.warning("%r: offset %r was delivered and never finished while later offsets were, holding "
                                 "the commit for %.0fs; re-reading from %r", tp, hole, HOLE_AFTER_S, hole)
                await self._reseek(tp, hole)
                self.cursors.sought(tp, hole, now)

    async def _reseek(self, tp: TP, offset: int) -> None:
        """Seek ``tp`` from the consumer's own thread. Faust's ``_seek`` calls aiokafka from the app's thread, which
        races the fetcher's record buffer in the consumer thread: a worker's fetcher crashed with KeyError in
        aiokafka's ``fetched_records`` right after this consumer sought a partition with no committed offset."""
        consumer = self._thread._ensure_consumer()
        await self._thread.call_thread(consumer.seek, tp, offset)

    def _position(self, tp: TP) -> int | None:
        """The fetch position of ``tp`` as aiokafka holds it, read like ``highwater`` (no call into the consumer
        thread: its ``position()`` waits there while a position is being reset, and would hold every other call)."""
        try:
            state = self._thread._ensure_consumer()._subscription.subscription.assignment.state_value(tp)
            return state.position if state.has_valid_position else None
        except Exception:  # not assigned any more
            return None

    def _buffered(self, tp: TP) -> int:
        """Messages waiting in the stream buffers of the channels that read ``tp``."""
        channels = cast(Any, self.app.topics)._tp_index.get(tp, ())
        return sum(channel.queue.qsize() for channel in channels)

    def _highwater(self, tp: TP) -> int | None:
        try:
            return self._thread.highwater(tp)
        except Exception:  # not assigned any more, or no fetch response yet
            return None

    async def _act(self, tp: TP, offset: int, decision: Decision) -> None:
        cursor = self.cursors.cursors[tp]
        assert cursor.next is not None  # a decision other than DELIVER is only made after a seek
        if decision is Decision.REWIND:
            self.log.info("offset jump on %r: %r while expecting %r; re-reading from %r", tp, offset, cursor.next,
                          cursor.next)
            await self._reseek(tp, cursor.next)
        elif decision is Decision.CHECK_LOG_START:
            start = (await self.earliest_offsets(tp)).get(tp)
            expected = cursor.next
            if start is not None and start > expected:
                self.log.warning("%r: offsets %r..%r were deleted by retention before this group read them; "
                                 "continuing from %r", tp, expected, start - 1, start)
                self.cursors.sought(tp, start, time.monotonic())
                await self._reseek(tp, start)
            else:
                self.log.warning("%r: offset %r still not fetched after %.0fs of jumps (now at %r); re-reading",
                                 tp, expected, REWIND_PATIENCE_S, offset)
                await self._reseek(tp, expected)

    async def seek(self, partition: TP, offset: int) -> None:
        await super().seek(partition, offset)
        if self._gapless(partition):
            self.cursors.sought(partition, offset, time.monotonic())

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed = await super().seek_to_committed()
        now = time.monotonic()
        fresh: list[TP] = []
        for tp, offset in committed.items():
            if not self._gapless(tp):
                continue
            if offset is not None and offset > 0:
                self.cursors.sought(tp, offset, now)
            else:
                fresh.append(tp)  # aiokafka does not seek these; the fetch position may be anywhere
        if fresh:
            starts = await self.earliest_offsets(*fresh)
            for tp in fresh:
                await self._reseek(tp, starts[tp])
                self.cursors.sought(tp, starts[tp], now)
        return committed

    def _commit_base(self, tp: TP) -> int | None:
        """The next offset of ``tp`` the group has not finished: the committed offset, else where it was sought."""
        committed = self._committed_offset.get(tp)
        return committed if committed is not None else self.cursors.base(tp)

    def _new_offset(self, tp: TP) -> int | None:
        if not self._gapless(tp):
            return super()._new_offset(tp)
        offset = next_commit(self._acked[tp], self._commit_base(tp))
        if offset is not None:
            index = self._acked_index[tp]
            index.difference_update([o for o in index if o < offset])
        return offset

    async def on_partitions_assigned(self, assigned: set[TP], generation_id: int = 0) -> None:
        for tp in assigned:
            if self._gapless(tp):
                self.cursors.assigned(tp)
        await super().on_partitions_assigned(assigned, generation_id)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        for tp in revoked:
            self.cursors.revoked(tp)
        await super().on_partitions_revoked(revoked)


class GaplessTransport(faust_aiokafka.Transport):
    Consumer = GaplessConsumer


class WirefeedFaustApp(faust.App):
    """A Faust app whose consumer is :class:`GaplessConsumer`."""

    #: Topics delivered without holes (delete-policy, no transactions); empty: the catalogue's delete-policy topics.
    gapless_topics: frozenset[str] = frozenset()

    def _new_transport(self) -> Any:
        return GaplessTransport(self.conf.broker_consumer, self)

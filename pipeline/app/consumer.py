"""The seam between the pipeline and faust-streaming: the app, its consumer and its tables, and the one module that
reads private parts of faust-streaming, mode and aiokafka (named in ``tests/unit/test_pinned_internals.py``, with
the versions pinned in ``pyproject.toml``).

The delivery rule is :mod:`pipeline.app.cursors` (pure, unit- and model-tested); :class:`GaplessConsumer` feeds it
for every partition of the app's ``gapless_topics`` (by default the delete-policy topics of the catalogue):

- each fetched batch is tagged with the partitions' epochs taken just before the fetch, and each record is delivered
  or skipped by :meth:`GaplessCursors.decide`; after the batch, :meth:`GaplessCursors.batch_done` marks the
  partitions whose records were skipped or dropped on the way, and they are sought back before the next fetch;
- Faust's read offset is cleared before each delivery, so its drain loop neither records a "gap" nor drops the
  record as already read;
- a record whose hand-over to a stream a suspension of the flow interrupted counts as not delivered, and whenever
  Faust empties its stream buffers every record delivered and not finished is delivered again;
- on assignment a partition is sought to its committed offset, or to its log start when it has none or when
  retention deleted records past it (the count is logged);
- the offset committed is :meth:`GaplessCursors.commit`: the lowest delivered offset not finished, else the next
  one. Table changelog writes are not Faust's buffered ``send_changelog``: the dedupe agent writes them through
  the producer and waits for their acknowledgement before a batch counts as finished (``pipeline/app/state.py``).

Two checks sit outside the rule: a partition that Faust keeps out of the fetches as if its stream buffer were full
while that buffer is empty is fetched again, and a partition whose commit has been held for :data:`HOLE_AFTER_S` by
a delivered offset never finished, while later ones were, is read again from it. Compacted topics (table
changelogs) keep Faust's behaviour. Why each piece exists: docs/guarantees.md.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import Any, cast

import faust
from faust.tables import TableManager
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message
from mode.utils.objects import cached_property
from mode.utils.queues import FlowControlEvent

from pipeline.app.cursors import Decision, GaplessCursors, start_offset
from pipeline.topics import CATALOGUE, topic_name

#: How long a partition with messages past its next offset may deliver nothing before its fetch position is checked.
STALL_AFTER_S = 5.0
#: How long an offset delivered and never finished may hold the commit while later offsets are finished before the
#: partition is read again from it.
HOLE_AFTER_S = 30.0


def catalogue_topics(prefix: str) -> frozenset[str]:
    """The pipeline's delete-policy topics: delivered without holes."""
    return frozenset(topic_name(spec, prefix) for spec in CATALOGUE if spec.cleanup_policy == "delete")


class ObservedFlowControl(FlowControlEvent):
    """Faust's flow control of the stream buffers, telling its listeners each time it empties them (Faust empties
    them whenever it resumes the flow, also while the flow is on)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_clear: list[Callable[[], None]] = []

    def clear(self) -> None:
        super().clear()
        for listener in self.on_clear:
            listener()


class FetchWaitThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's consumer thread, with the fetch wait of the app's ``wirefeed_fetch_max_wait_ms`` setting when it has
    one (faust-streaming hard-codes 1,500 ms)."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        wait_ms = getattr(self.app.conf, "wirefeed_fetch_max_wait_ms", None)
        if wait_ms is not None:
            consumer._fetch_max_wait_ms = wait_ms
        return consumer


class ReadyTableManager(TableManager):  # type: ignore[misc]
    """Faust's table manager without its fixed 1 s pause before it finalises the tables: every table of the app is
    declared when the app is built, before the worker starts."""

    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()


class GaplessConsumer(faust_aiokafka.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        flow = self.app.flow_control
        if not isinstance(flow, ObservedFlowControl):
            raise TypeError("GaplessConsumer needs an app whose flow_control is an ObservedFlowControl: "
                            "build the app as a WirefeedFaustApp")
        flow.on_clear.append(self._buffers_cleared)
        self.gapless_topics: frozenset[str] = getattr(self.app, "gapless_topics", frozenset()) or catalogue_topics(
            getattr(self.app.conf, "wirefeed_topic_prefix", "")
        )
        self.cursors: GaplessCursors[TP] = GaplessCursors(stall_after=STALL_AFTER_S, hole_after=HOLE_AFTER_S)
        self._stalls_checked = 0.0
        #: The epochs of the gapless partitions when the batch being handed over was fetched, and its last offsets.
        self._batch_epochs: dict[TP, int] = {}
        self._batch_ends: dict[TP, int] = {}

    def _new_consumer_thread(self) -> FetchWaitThread:
        return FetchWaitThread(self, loop=self.loop, beacon=self.beacon)

    def _gapless(self, tp: TP) -> bool:
        return tp.topic in self.gapless_topics

    def _buffers_cleared(self) -> None:
        """Faust emptied the stream buffers: deliver again every record delivered and not finished."""
        for tp in list(self.cursors.cursors):
            self.cursors.cleared(tp, self._acked_index.get(tp, ()))

    async def _getmany(self, active_partitions: set[TP] | None, timeout: float) -> Any:
        epochs = self.cursors.epochs()
        records = await super()._getmany(active_partitions, timeout)
        self._batch_epochs = epochs
        self._batch_ends = {tp: batch[-1].offset for tp, batch in records.items() if batch and self._gapless(tp)}
        return records

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:  # type: ignore[override]
        now = time.monotonic()
        if self.flow_active:
            for tp, offset in self.cursors.rewinds():
                self.log.info("%r: re-reading from %r (records from there were not delivered)", tp, offset)
                await self._reseek(tp, offset)
        if now - self._stalls_checked >= 1.0:
            self._stalls_checked = now
            await self._unstall(now)
        gapless = self.gapless_topics
        self._batch_epochs, self._batch_ends = {}, {}
        try:
            async for tp, message in super().getmany(timeout):
                if tp.topic in gapless:
                    decision = self.cursors.decide(tp, message.offset, self._batch_epochs.get(tp), time.monotonic())
                    if decision is not Decision.DELIVER:
                        continue
                    self._read_offset[tp] = None  # Faust's drain loop: no gap, never "already read"
                    yield tp, message
                    if not self.flow_active:  # the suspension interrupted its hand-over: the drain loop dropped it
                        self.cursors.dropped(tp, message.offset)
                    continue
                yield tp, message
        finally:
            self.cursors.batch_done(self._batch_ends)
            self._batch_ends = {}

    async def _unstall(self, now: float) -> None:
        """Fetch again a partition that Faust keeps out of the fetches as if its stream buffer were full while that
        buffer is empty, and read again from a delivered offset that holds the commit while later ones finished."""
        highwater = {tp: self._highwater(tp) for tp in self.cursors.cursors}
        for tp, expected in self.cursors.stalled(highwater, now):
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
                continue
            self.log.warning("%r delivered nothing up to %r for %.0fs while the fetch position is %r; re-reading "
                             "from %r", tp, expected, STALL_AFTER_S, position, expected)
            await self._reseek(tp, expected)
        for tp in list(self.cursors.cursors):
            hole = self.cursors.held(tp, self._acked_index.get(tp, set()), now)
            if hole is not None:
                self.log.warning("%r: offset %r was delivered and never finished while later offsets were, holding "
                                 "the commit for %.0fs; re-reading from %r", tp, hole, HOLE_AFTER_S, hole)
                await self._reseek(tp, hole)

    def _aiokafka(self) -> Any:
        """The aiokafka consumer, which lives in Faust's consumer thread."""
        return self._thread._ensure_consumer()

    async def _seek_in_thread(self, tp: TP, offset: int) -> None:
        """Seek ``tp`` to ``offset`` from the consumer's own thread (Faust's ``_seek`` calls aiokafka from the app's
        thread, which races the fetcher's record buffer in the consumer thread)."""
        await self._thread.call_thread(self._aiokafka().seek, tp, offset)

    async def _reseek(self, tp: TP, offset: int) -> None:
        """Seek ``tp`` back to ``offset`` (where the commit stands is kept)."""
        await self._seek_in_thread(tp, offset)
        self.cursors.moved(tp, offset, time.monotonic())

    def _tp_state(self, tp: TP) -> Any | None:
        """aiokafka's state of ``tp`` (fetch position, highwater), or None when it is not assigned. Read directly, with
        no call into the consumer thread: its ``position()`` waits there while a position is being reset, and would
        hold every other call. The attributes read here are checked by name in ``tests/unit/test_consumer_state.py``."""
        subscription = self._aiokafka()._subscription
        if not subscription.is_assigned(tp):
            return None
        return subscription.subscription.assignment.state_value(tp)  # None if revoked meanwhile

    def _position(self, tp: TP) -> int | None:
        state = self._tp_state(tp)
        return state.position if state is not None and state.has_valid_position else None

    def _highwater(self, tp: TP) -> int | None:
        state = self._tp_state(tp)
        return None if state is None else state.highwater

    def _buffered(self, tp: TP) -> int:
        """Messages waiting in the stream buffers of the channels that read ``tp``."""
        channels = cast(Any, self.app.topics)._tp_index.get(tp, ())
        return sum(channel.queue.qsize() for channel in channels)

    async def seek(self, partition: TP, offset: int) -> None:
        await super().seek(partition, offset)
        if self._gapless(partition):
            self.cursors.sought(partition, offset, time.monotonic())

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek every partition to its committed offset, or to its log start when it has none or when retention
        deleted records past it (logged with their count)."""
        committed = await super().seek_to_committed()
        now = time.monotonic()
        fresh: list[TP] = []
        kept: list[TP] = []
        for tp, offset in committed.items():
            if not self._gapless(tp):
                continue
            if offset is not None and offset > 0:
                self.cursors.sought(tp, offset, now)  # at once: until sought, it delivers nothing
                kept.append(tp)
            else:
                fresh.append(tp)  # aiokafka does not seek these; the fetch position may be anywhere
        if fresh:
            starts = await self.earliest_offsets(*fresh)
            for tp in fresh:
                await self._seek_to_start(tp, starts[tp])
        if kept:
            starts = await self.earliest_offsets(*kept)
            for tp in kept:
                offset, deleted = start_offset(committed[tp], starts[tp])
                if deleted:
                    self.log.warning("%r: %d records (offsets %r..%r) were deleted by retention before this group "
                                     "read them; continuing from the log start %r", tp, deleted, committed[tp],
                                     offset - 1, offset)
                    await self._seek_to_start(tp, offset)
        return committed

    async def _seek_to_start(self, tp: TP, offset: int) -> None:
        """Seek ``tp`` to where the group starts reading it."""
        await self._seek_in_thread(tp, offset)
        self.cursors.sought(tp, offset, time.monotonic())

    def _new_offset(self, tp: TP) -> int | None:
        if not self._gapless(tp):
            return super()._new_offset(tp)
        index = self._acked_index[tp]
        offset = self.cursors.commit(tp, index)
        if offset is not None:
            acked = self._acked[tp]
            acked[:] = [o for o in acked if o >= offset]
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


class TrackedProducer(faust_aiokafka.Producer):
    """Faust's producer, with every topic it sends to on its client's metadata topic list before the first send.

    aiokafka's client fetches metadata for *all* topics while its topic list is empty, and only for the listed
    topics once a send to a topic missing from its metadata adds that topic to the list. A batch waiting for a topic
    known only from an all-topics fetch (created just before) then has no leader in any later metadata, and the
    sender asks for metadata again and again, for ever; the batch is never written and nothing is logged
    (``tests/integration/test_producer_metadata.py`` shows it on Apache Kafka). Listing each topic before its first
    send closes that path: the metadata always covers every topic with a pending batch.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tracked_topics: set[str] = set()

    def send(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None,  # type: ignore[override]
             timestamp: float | None, headers: Any, *, transactional_id: str | None = None) -> Any:
        """Faust's ``send`` itself for a topic already listed (no extra coroutine per message); the first send to a
        topic lists it first."""
        send = super().send(topic, key, value, partition, timestamp, headers, transactional_id=transactional_id)
        if topic in self.tracked_topics:
            return send
        return self._list_then_send(topic, send)

    async def _list_then_send(self, topic: str, send: Coroutine[Any, Any, Any]) -> Any:
        try:
            await self._ensure_producer().client.add_topic(topic)  # resolves once the metadata covers it
        except BaseException:
            send.close()  # never started: nothing was sent
            raise
        self.tracked_topics.add(topic)
        return await send


class GaplessTransport(faust_aiokafka.Transport):
    Consumer = GaplessConsumer
    Producer = TrackedProducer


class WirefeedFaustApp(faust.App):
    """A Faust app whose consumer is :class:`GaplessConsumer`, whose producer is :class:`TrackedProducer` and whose
    table manager is :class:`ReadyTableManager`."""

    #: Topics delivered without holes (delete-policy, no transactions); empty: the catalogue's delete-policy topics.
    gapless_topics: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("TableManager", ReadyTableManager)
        super().__init__(*args, **kwargs)

    @cached_property
    def flow_control(self) -> FlowControlEvent:
        return ObservedFlowControl(loop=self.loop)

    def _new_transport(self) -> Any:
        return GaplessTransport(self.conf.broker_consumer, self)

"""A stage loop: one aiokafka consumer and one batch handler, hosted in the Faust app as a service.

Only aiokafka's public API is used. The delivery argument, per partition (the rule itself is
:mod:`pipeline.app.offsets`):

- records are handed to the handler in fetch order, one batch at a time; the handler sends every output through the
  batch's :class:`~pipeline.app.outbox.Outbox`, and the loop flushes it (every output acknowledged by the broker)
  before the batch counts as finished; then, per partition, the offset just past the last finished record is
  committed, by a task beside the loop (one commit at a time; the next batch does not wait for it);
- a rebalance cannot cut a batch short: the revoke listener (which aiokafka awaits before it rejoins the group) waits
  for the batch in hand to be finished and for every finished offset to be committed (the loop's stop commits what
  is finished);
- on assignment a partition starts from the group's committed offset; when the group has none, from the committed
  offset of the app's Faust consumer group (``settings.app_id``, which ran the stage before it had a loop of its
  own), else from the log start; when retention deleted records past the committed offset, from the log start, and
  the count is logged;
- a batch that fails (its outputs not acknowledged, the handler raised) is not committed: its partitions are sought
  back to just past their last finished record (the committed offset, or beyond it while a commit is on its way)
  and read again.

There are no timers in the argument: the consumer's ``getmany`` wait only bounds how long an idle loop sleeps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol, TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord
from mode import Service

from pipeline.app.offsets import Offsets, start_offset
from pipeline.app.outbox import Outbox
from pipeline.config import Settings
from pipeline.kafka import client_kwargs
from pipeline.topics import stage_group

log = logging.getLogger("wirefeed.loop")

Record: TypeAlias = ConsumerRecord[bytes, bytes]


class BatchHandler(Protocol):
    """Processes one batch of records, sending every output through ``out`` (the loop flushes it)."""

    async def __call__(self, records: Sequence[Record], out: Outbox) -> None: ...


#: Told the partitions a rebalance assigned or revoked.
PartitionsHook: TypeAlias = Callable[[set[TopicPartition]], Awaitable[None]]


class ReadyReport(Protocol):
    """Told when a loop holds an assignment (``assigned``) and when a rebalance starts (``assigned`` is None)."""

    def __call__(self, group: str, assigned: Sequence[TopicPartition] | None) -> None: ...


def group_id(settings: Settings, stage: str) -> str:
    return stage_group(settings.app_id, stage)


def consumer_kwargs(settings: Settings) -> dict[str, Any]:
    """The settings of a stage loop's consumer: manual commits, committed transactions only."""
    return {
        **client_kwargs(settings),
        "enable_auto_commit": False,
        "isolation_level": "read_committed",
        "auto_offset_reset": "earliest",  # a position retention overtook restarts at the log start
        "fetch_max_wait_ms": settings.consumer_fetch_max_wait_ms,
        "max_partition_fetch_bytes": max(4_194_304, settings.max_payload_bytes * 2),
        "session_timeout_ms": int(settings.worker_session_timeout_s * 1000),
        "heartbeat_interval_ms": int(min(3.0, settings.worker_session_timeout_s / 3) * 1000),
    }


class StageLoop(Service):
    """Consumes ``topics`` in the group ``{app_id}-{stage}`` and hands each fetched batch to ``handler``."""

    def __init__(self, settings: Settings, stage: str, topics: Sequence[str], handler: BatchHandler,
                 outbox: Callable[[], Awaitable[Outbox]], *, max_records: int = 200,
                 ready: ReadyReport | None = None, on_stop: Callable[[], Awaitable[None]] | None = None,
                 on_assigned: PartitionsHook | None = None, on_revoked: PartitionsHook | None = None,
                 assignors: tuple[type[AbstractPartitionAssignor], ...] | None = None,
                 before_first_fetch: Callable[[], Awaitable[None]] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.stage = stage
        self.group = group_id(settings, stage)
        self.topics = tuple(topics)
        self.handler = handler
        self.new_outbox = outbox
        self.max_records = max_records
        self.report = ready
        #: Called once the consumer has stopped: the handler's resources (a store connection) are released.
        self.release = on_stop
        #: Called with the assigned partitions before any of them is sought (state restored from a changelog),
        #: and with the revoked ones once the batch in hand is committed (that state dropped).
        self.on_assigned = on_assigned
        self.on_revoked = on_revoked
        self.assignors = assignors
        #: Awaited before the first fetch (the worker's warm-up): the group is joined meanwhile, nothing is read.
        self.before_first_fetch = before_first_fetch
        self.offsets: Offsets[TopicPartition] = Offsets()
        #: Held while a batch is processed and committed; the revoke listener takes it to wait for that batch.
        self.batch_lock = asyncio.Lock()
        self.consumer: AIOKafkaConsumer | None = None
        self.admin: AIOKafkaAdminClient | None = None
        #: The commit in progress beside the loop, if any.
        self.committer: asyncio.Task[None] | None = None

    def _consumer(self) -> AIOKafkaConsumer:
        if self.consumer is None:
            raise RuntimeError(f"the {self.stage} loop's consumer is not started")
        return self.consumer

    async def on_start(self) -> None:
        self.admin = AIOKafkaAdminClient(**client_kwargs(self.settings), client_id=f"{self.group}-admin")
        await self.admin.start()
        extra: dict[str, Any] = {}
        if self.assignors is not None:
            extra["partition_assignment_strategy"] = self.assignors
        self.consumer = AIOKafkaConsumer(group_id=self.group, client_id=self.group,
                                         **consumer_kwargs(self.settings), **extra)
        # Subscribed after start: a consumer subscribed before ``start`` waits there for its first assignment, and
        # the app starts its services one after another, so each loop's group join (≥ 1 s on the embedded broker)
        # would wait for the previous loop's. This way every loop joins in the background, all at once; nothing is
        # fetched before the assignment, and the listener seeks every partition before the first fetch.
        await self.consumer.start()
        self.consumer.subscribe(list(self.topics), listener=_Listener(self))

    async def on_stop(self) -> None:
        if self.consumer is not None:
            # What is finished is committed before leaving; a batch still in hand is read again by the next owner
            # (its outputs may wait on a broker that is away: the stop does not wait for them).
            await self._commit_finished()
            await self.consumer.stop()  # leaves the group; what is not committed is read again by the next owner
        if self.admin is not None:
            await self.admin.close()
        if self.release is not None:
            await self.release()
        if self.report is not None:
            self.report(self.group, None)

    @Service.task
    async def _run(self) -> None:
        consumer = self._consumer()
        if self.before_first_fetch is not None:
            await self.before_first_fetch()
        while not self.should_stop:
            try:
                fetched = await consumer.getmany(timeout_ms=1000, max_records=self.max_records)
            except KafkaError as exc:
                if not exc.retriable:
                    raise  # stops the worker, with the reason in its log
                log.warning("%s: fetch failed (%s); retrying", self.stage, exc)
                await asyncio.sleep(1.0)
                continue
            # Taken with no await since getmany returned: aiokafka returns a partition's records only from its
            # current position, so they belong to the epoch of that moment; a seek after this moment (another
            # rebalance while the batch waits for the lock) changes the epoch and they are not processed.
            epochs = self.offsets.epochs()
            if fetched:
                async with self.batch_lock:
                    await self._batch(fetched, epochs, await self.new_outbox())
            elif self.offsets.to_commit() and (self.committer is None or self.committer.done()):
                # Idle with finished offsets a failed commit left behind: commit them now, not with the next batch
                # (which may be hours away on a quiet feed, the lag showing them all the while).
                self.committer = asyncio.ensure_future(self._commit())

    async def _batch(self, fetched: dict[TopicPartition, list[Record]], epochs: dict[TopicPartition, int],
                     out: Outbox) -> None:
        """Process the records of one fetch that the rule takes, flush their outputs, commit."""
        records: list[Record] = []
        for tp, batch in fetched.items():
            first = self.offsets.take(tp, [r.offset for r in batch], epochs.get(tp))
            records.extend(batch[first:])
        try:
            if records:
                await self.handler(records, out)
            await out.flush()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s: a batch of %d records failed (%s: %s); reading it again from the committed offsets",
                        self.stage, len(records), type(exc).__name__, exc)
            self._seek_back()
            await asyncio.sleep(1.0)  # an outage is not retried in a tight loop
            return
        self.offsets.finish()
        if self.committer is None or self.committer.done():
            self.committer = asyncio.ensure_future(self._commit())

    async def _commit(self) -> None:
        """Commit the finished offsets until none are left (the batches finished meanwhile included)."""
        while offsets := self.offsets.to_commit():
            try:
                await self._consumer().commit(offsets)
            except CommitFailedError as exc:  # the group moved on: the new owner reads the batches again
                log.warning("%s: commit of %s failed (%s); the partitions' next owner reads from the last commit",
                            self.stage, _describe(offsets), exc)
                self._seek_back()
                return
            except KafkaError as exc:  # the next batch, the next idle fetch or the revoke commits them
                log.warning("%s: commit of %s failed (%s); retrying with the next fetch", self.stage,
                            _describe(offsets), exc)
                return
            self.offsets.committed(offsets)

    async def _commit_finished(self) -> None:
        """Wait for the commit in progress, then commit what is finished and not committed."""
        if self.committer is not None:
            await asyncio.gather(self.committer, return_exceptions=True)
            self.committer = None
        await self._commit()

    def _seek_back(self) -> None:
        consumer = self._consumer()
        assigned = consumer.assignment()
        for tp, offset in self.offsets.failed().items():
            if tp in assigned:
                consumer.seek(tp, offset)

    async def revoked(self, revoked: set[TopicPartition]) -> None:
        """A rebalance starts: wait for the batch in hand, commit it, let the partitions go."""
        if self.report is not None:
            self.report(self.group, None)
        async with self.batch_lock:
            await self._commit_finished()
            for tp in revoked:
                self.offsets.revoked(tp)
            if self.on_revoked is not None:
                await self.on_revoked(set(revoked))

    async def assigned(self, assigned: set[TopicPartition]) -> None:
        """Seek every assigned partition to where the group stands (see the module docstring). Until that is known
        the rebalance waits (a partition not sought would never be processed): errors are retried."""
        delay = 0.2
        while True:
            try:
                return await self._start(assigned)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s: could not read where the group stands on %s (%s); retrying in %.1f s", self.stage,
                            _names(assigned), exc, delay)
                await asyncio.sleep(delay)
                delay = min(2 * delay, 10.0)

    async def _start(self, assigned: set[TopicPartition]) -> None:
        consumer = self._consumer()
        fresh = sorted(assigned)
        if self.on_assigned is not None:
            await self.on_assigned(set(fresh))
        committed: dict[TopicPartition, int | None] = {tp: await consumer.committed(tp) for tp in fresh}
        if missing := [tp for tp in fresh if committed[tp] is None]:
            inherited = await self._inherited(missing)
            committed.update(inherited)
        starts = await consumer.beginning_offsets(fresh) if fresh else {}
        chosen: dict[TopicPartition, int] = {}
        for tp in fresh:
            offset, deleted = start_offset(committed[tp], starts[tp])
            chosen[tp] = offset
            if deleted:
                log.warning("%s: %s[%d]: %d records (offsets %d..%d) were deleted by retention before this group "
                            "read them; continuing from the log start %d", self.stage, tp.topic, tp.partition,
                            deleted, offset - deleted, offset - 1, offset)
            elif committed[tp] is None and offset > 0:
                log.info("%s: %s[%d] has no committed offset; starting at the log start %d", self.stage, tp.topic,
                         tp.partition, offset)
            consumer.seek(tp, offset)
            self.offsets.assigned(tp, offset)
        if missing:
            await self._record_start({tp: chosen[tp] for tp in missing})
        if self.report is not None:
            self.report(self.group, fresh)

    async def _record_start(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit where the group starts on partitions it had no offset for (the offset the loop reads from next,
        so nothing is skipped): the lag monitor then sees every partition the group holds, also on a topic that
        stays empty (`wire.dedupe.near` when every probe is answered in-process)."""
        try:
            await self._consumer().commit(offsets)
        except KafkaError as exc:  # the first batch's commit records it instead
            log.warning("%s: could not record the start offsets %s (%s)", self.stage, _describe(offsets), exc)

    async def _inherited(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The committed offsets of the app's Faust group for ``partitions`` (where the stage stood when it ran as
        a Faust agent), so that an upgrade does not read a whole retained topic again."""
        if self.admin is None:
            return {}
        try:
            found = await self.admin.list_consumer_group_offsets(self.settings.app_id, partitions=partitions)
        except KafkaError as exc:
            log.warning("%s: could not read the committed offsets of group %s (%s); starting %s at the log start",
                        self.stage, self.settings.app_id, exc, _names(partitions))
            return {}
        inherited = {tp: meta.offset for tp, meta in found.items() if tp in set(partitions) and meta.offset >= 0}
        if inherited:
            log.info("%s: no committed offsets in group %s; continuing from group %s's: %s", self.stage, self.group,
                     self.settings.app_id, _describe(inherited))
        return inherited


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, loop: StageLoop) -> None:
        self.loop = loop

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.loop.revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.loop.assigned(assigned)


def _describe(offsets: dict[TopicPartition, int]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]@{offset}" for tp, offset in sorted(offsets.items()))


def _names(partitions: Iterable[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(partitions))

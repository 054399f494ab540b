"""Dedupe + enrich, scattered and gathered so that copies are found across partitions and workers.

Topology (see docs/dedupe.md):

- stage loop ``dedupe`` on `wire.normalised` (keyed by uri) and `wire.dedupe.answers` (keyed by uri, co-partitioned):
  the uri part settles resends, versions, kills and stale versions at once. A uri never seen waits in the
  ``dedupe-pending`` state while its near-duplicate probe goes to `wire.dedupe.near`, once per bucket key (or is
  answered in-process for the near partitions this worker holds, :mod:`pipeline.app.near_local`). When every
  bucket has answered, ``decide``. Forwarded stories are enriched and go to `wire.enriched`; stories kept back go
  to `wire.duplicates`.
- stage loop ``dedupe-near`` on `wire.dedupe.near` (keyed by bucket key): looks in the bucket, stores the story there,
  answers on `wire.dedupe.answers`.

:class:`Deduper` holds the logic and its state (tables, routing, the last "seen" tick) and takes whole batches of
records, so it runs in-process without a broker; :func:`register` puts it on two stage loops
(:mod:`pipeline.app.loop`) whose state is restored from its changelog topics on assignment
(:mod:`pipeline.app.restore`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import orjson
from aiokafka import TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.partitioner import DefaultPartitioner
from pydantic import ValidationError

from pipeline.app.base import Wirefeed
from pipeline.app.handoff import Handoffs
from pipeline.app.loop import Record, StageLoop
from pipeline.app.near_local import NearRouting
from pipeline.app.outbox import Outbox
from pipeline.app.restore import restore
from pipeline.app.state import Changelog, PartitionView, ProducerChangelog, Staged, StateTable
from pipeline.codec import encode
from pipeline.config import Settings
from pipeline.ops import metrics
from pipeline.stages.dedupe import (
    Candidate,
    Decision,
    DedupeConfig,
    NearIndex,
    NearProbe,
    UriIndex,
    decide_uri,
    next_seen,
)
from pipeline.stages.dedupe.gather import Gathered, conclude, decide, probe_of, waiting_entry, with_answer
from pipeline.stages.dedupe.index import STATE_FORMAT
from pipeline.stages.enrich import TAGGER_BUILD, enrich
from pipeline.stages.errors import StageError
from pipeline.topics import DEDUPE_ANSWERS, DEDUPE_NEAR, DUPLICATES, ENRICHED, NORMALISED, STAGE_INPUTS, topic_name
from schemas import ReasonCode, Stage, Story, utcnow

log = logging.getLogger("wirefeed.dedupe")

BATCH = 200
#: Answer near probes for the `wire.dedupe.near` partitions this worker holds in-process (pipeline/app/near_local.py).
LOCAL_NEAR = True

#: Dedupe's state tables; each is partitioned like the topic its loop consumes, and named as the Faust tables that
#: held it before, so that their changelog topics (and an existing deployment's state) carry over. The near table
#: is named after the layout of its entries (``STATE_FORMAT``) and of its changelog (one record per bucket entry,
#: "e"): a new layout starts a new changelog instead of misreading the old.
TABLES = ("dedupe-uris", "dedupe-pending", f"dedupe-near-v{STATE_FORMAT}e")


def changelog_topics(settings: Settings) -> tuple[str, ...]:
    """The tables' changelog topics (named as Faust named them). The worker creates them before it starts."""
    return tuple(f"{settings.app_id}-{name}-changelog" for name in TABLES)


# --------------------------------------------------------------------------------------------- interfaces


class Event(Protocol):
    """A record as a batch step reads it (an aiokafka ``ConsumerRecord`` has this shape)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> Any: ...
    @property
    def value(self) -> Any: ...


class Outputs(Protocol):
    """The batch's outbox (:class:`pipeline.app.outbox.Outbox`): sends, then one acknowledged flush."""

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None: ...
    async def flush(self) -> None: ...


class Rejects(Protocol):
    """Size-checked sends and DLQ rejections (:class:`pipeline.app.base.Wirefeed` provides both)."""

    async def send_checked(self, out: Any, topic: str, key: bytes, value: bytes, *, stage: Stage, what: str,
                           original: bytes, submission_id: str | None, agency: str | None) -> bool: ...

    async def reject_record(self, where: Any, value: bytes, stage: Stage, reason: ReasonCode, message: str,
                            out: Any, *, submission_id: str | None = None, agency: str | None = None) -> None: ...


@dataclass(frozen=True)
class Topics:
    """Resolved names of the topics dedupe reads and writes."""

    normalised: str
    answers: str
    near: str
    enriched: str
    duplicates: str

    @classmethod
    def of(cls, settings: Settings) -> Topics:
        prefix = settings.topic_prefix
        return cls(*(topic_name(spec, prefix) for spec in (NORMALISED, DEDUPE_ANSWERS, DEDUPE_NEAR, ENRICHED,
                                                           DUPLICATES)))  # fmt: skip


@dataclass
class Tables:
    uris: StateTable
    pending: StateTable
    near: StateTable

    @property
    def flush_order(self) -> tuple[StateTable, StateTable]:
        """Bucket entries first, then uri entries, then pending entries, each acknowledged before the next
        (:meth:`Staged.flush`): a uri entry found after a crash implies the bucket entries of its story landed
        (a replay judged a resend of itself would not store them again), and a pending entry's write or delete
        implies the uri entry it goes with (an unsettled uri entry without its pending entry is judged again)."""
        return (self.uris, self.pending)


# --------------------------------------------------------------------------------------------- the logic


class Deduper:
    """Dedupe's batch steps over explicit state.

    Every step runs under one lock (the near table is written by both agents and by expiry), sends its outputs
    through ``out`` and waits for their acknowledgement, then writes its table changes to their changelogs and
    waits for that, and only then applies them in memory (:mod:`pipeline.app.state`): a step that fails or is
    cancelled leaves the state as it was, so the redelivered batch is handled again from the same state."""

    def __init__(self, tables: Tables, topics: Topics, config: DedupeConfig, rejects: Rejects, changelog: Changelog,
                 routing: NearRouting, clock: Callable[[], datetime] = utcnow,
                 handoffs: Handoffs | None = None) -> None:
        self.tables = tables
        #: Stories this worker's normalise loop sent, taken instead of decoded; enriched stories sent, left for its
        #: store loop (:mod:`pipeline.app.handoff`).
        self.handoffs = handoffs
        self.topics = topics
        self.config = config
        self.rejects = rejects
        self.changelog = changelog
        self.routing = routing
        self.clock = clock
        #: When this worker handled its last new story (ticks): copies link in the order dedupe handled them.
        self.last_seen = 0
        self.lock = asyncio.Lock()

    # ----------------------------------------------------------------------------------- batch steps

    async def story_batch(self, events: Sequence[Event], out: Outputs, owned_near: Iterable[int] = ()) -> None:
        """Stories (`wire.normalised`) and answers (`wire.dedupe.answers`). ``owned_near``: the partitions of
        `wire.dedupe.near` this worker holds now, whose probes are answered in-process."""
        async with self.lock:
            self.routing.refresh(owned_near)
            staged = Staged()
            for event in events:
                started = time.perf_counter()
                outcome = await self._story_event(event, staged, out)
                metrics.stage_processed("dedupe", outcome, time.perf_counter() - started)
            await self._finish(staged, out)

    async def near_batch(self, events: Sequence[Event], out: Outputs) -> None:
        """Probes and relinks (`wire.dedupe.near`, keyed by bucket key)."""
        async with self.lock:
            staged = Staged()
            for event in events:
                msg = event
                try:
                    request = orjson.loads(event.value)
                    bucket = bytes(event.key).decode()
                    index = self._near(staged, msg.partition)
                    if request["t"] == "relink":
                        index.relink(bucket, request["ref"], request["cluster"])
                        continue
                    probe = NearProbe.from_wire(request["probe"])
                    found = index.probe(bucket, probe)
                    if not probe.index_only:
                        answer = {"ref": probe.ref, "key": bucket, "candidates": [c.to_wire() for c in found]}
                        await out.send(self.topics.answers, request["uri"].encode(), orjson.dumps(answer))
                except Exception as exc:  # never stop the feed; the DLQ keeps the message
                    log.exception("dedupe-near failed on %s[%d]@%d", msg.topic, msg.partition, msg.offset)
                    await self.rejects.reject_record(event, event.value, "dedupe", "internal_error",
                                                     f"near probe failed: {type(exc).__name__}: {exc}", out)
            await self._finish(staged, out)

    async def evict(self, now: datetime, uri_partitions: Iterable[int], near_partitions: Iterable[int]) -> int:
        """Delete state older than the window in the given partitions (restored keys too). Returns entries removed."""
        async with self.lock:
            staged = Staged()
            removed = sum(self._uris(staged, p).evict_expired(now) for p in uri_partitions)
            removed += sum(self._near(staged, p).evict_expired(now) for p in near_partitions)
            await staged.flush(self.changelog, self.tables.flush_order)
        return removed

    async def _finish(self, staged: Staged, out: Outputs) -> None:
        await out.flush()
        await staged.flush(self.changelog, self.tables.flush_order)

    # ----------------------------------------------------------------------------------- one record

    async def _story_event(self, event: Event, staged: Staged, out: Outputs) -> str:
        msg = event
        try:
            if msg.topic == self.topics.answers:
                answer = orjson.loads(event.value)
                await self._gather(answer["ref"], answer["key"], answer["candidates"], staged, msg.partition, out)
            else:
                await self._story(event.value, staged, msg.partition, out)
            return "ok"
        except StageError as exc:  # the story itself is refused (a foreign agency's uri)
            agency = submission = None
            with contextlib.suppress(ValidationError):
                refused = Story.model_validate_json(event.value)
                agency, submission = refused.agency, refused.submission_id
            await self.rejects.reject_record(event, event.value, "dedupe", exc.reason, exc.message, out,
                                             submission_id=submission, agency=agency)
        except (orjson.JSONDecodeError, ValidationError, KeyError, TypeError) as exc:
            await self.rejects.reject_record(event, event.value, "dedupe", "bad_envelope",
                                             f"unreadable message: {exc}", out)
        except Exception as exc:  # a bug must not stop the feed
            log.exception("dedupe failed on %s[%d]@%d", msg.topic, msg.partition, msg.offset)
            await self.rejects.reject_record(event, event.value, "dedupe", "internal_error",
                                             f"unexpected {type(exc).__name__}: {exc}", out)
        return "rejected"

    def _uris(self, staged: Staged, partition: int) -> UriIndex:
        return UriIndex(PartitionView(self.tables.uris, staged, partition), self.config)

    def _near(self, staged: Staged, partition: int) -> NearIndex:
        return NearIndex(PartitionView(self.tables.near, staged, partition), self.config)

    async def _story(self, value: bytes, staged: Staged, partition: int, out: Outputs) -> None:
        # The story this worker's normalise loop sent as exactly these bytes, else full validation, with pydantic's
        # own JSON parser (faster than orjson + model_validate; a rebuild without validation measured slower, see
        # docs/performance.md "Trusted decode").
        handed = None if self.handoffs is None else self.handoffs.normalised.take(value)
        story = Story.model_validate_json(value) if handed is None else handed
        read = (story, value)
        ref = f"{story.uri}@{story.version}"
        waiting = PartitionView(self.tables.pending, staged, partition).get(ref)
        if waiting is not None:  # a replay while the story waits for its answers: ask again
            probe = probe_of(waiting)
            for bucket, found in await self._scatter(story, probe, staged, out):
                await self._gather(probe.ref, bucket, _to_wire(found), staged, partition, out, read)
            return
        self.last_seen = next_seen(self.last_seen, self.clock())
        outcome = self._uris(staged, partition).check(story, self.last_seen)
        if outcome.replay:  # decided before a crash, its outputs out: nothing to send again
            metrics.dedupe_verdict("replay")
            return
        local = await self._scatter(story, outcome.near, staged, out) if outcome.near is not None else []
        if not outcome.wait_for_near:
            await self._emit(story, decide_uri(story, outcome), out, value)
            return
        assert outcome.near is not None
        if len(local) == len(outcome.near.keys):
            # Every bucket answered in this step (this worker holds all their partitions, as a single worker
            # does): the same verdict as gathering the answers one by one (``conclude`` is what ``decide`` calls),
            # without the waiting entry that path writes and deletes again within this batch (which leaves
            # nothing on the changelog either, see ``Staged.flush``).
            gathered = conclude(outcome, [c for _, found in local for c in found], story, self.config)
            await self._conclude(ref, read, gathered, staged, partition, out)
            return
        PartitionView(self.tables.pending, staged, partition)[ref] = waiting_entry(value.decode(), outcome)
        for bucket, found in local:
            await self._gather(outcome.near.ref, bucket, _to_wire(found), staged, partition, out, read)

    async def _scatter(self, story: Story, probe: NearProbe, staged: Staged,
                       out: Outputs) -> list[tuple[str, list[Candidate]]]:
        """Probe every bucket: in-process when this worker holds its partition, else through `wire.dedupe.near`.
        Returns the in-process answers as (bucket key, candidates), for the caller to gather."""
        body: bytes | None = None
        local: list[tuple[str, list[Candidate]]] = []
        for bucket in probe.keys:
            key = bucket.encode()
            near_part = self.routing.local(key)
            if near_part is None:
                body = body or orjson.dumps({"t": "probe", "uri": story.uri, "probe": probe.to_wire()})
                await out.send(self.topics.near, key, body)
                continue
            found = self._near(staged, near_part).probe(bucket, probe)
            if not probe.index_only:
                local.append((bucket, found))
        return local

    async def _gather(self, ref: str, bucket: str, candidates: list[Any], staged: Staged, partition: int,
                      out: Outputs, read: tuple[Story, bytes] | None = None) -> None:
        """One bucket's answer for the story ``ref`` waiting on ``partition``; decide once every bucket answered.
        ``read``: the story and the bytes it was decoded from, when this step has them (else the waiting entry's
        copy is decoded)."""
        pending = PartitionView(self.tables.pending, staged, partition)
        waiting = pending.get(ref)
        if waiting is None:  # decided already (a replayed answer)
            return
        waiting, complete = with_answer(waiting, bucket, candidates)
        if not complete:
            pending[ref] = waiting
            return
        if read is None:
            value = waiting["story"].encode()
            read = (Story.model_validate_json(value), value)
        await self._conclude(ref, read, decide(waiting, read[0], self.config), staged, partition, out)
        del pending[ref]

    async def _conclude(self, ref: str, read: tuple[Story, bytes], gathered: Gathered, staged: Staged,
                        partition: int, out: Outputs) -> None:
        """Relink the story's bucket entries to its cluster, settle its uri entry, send its outputs."""
        story = read[0]
        decision = gathered.decision
        for relink in gathered.relink:
            key = relink.encode()
            near_part = self.routing.local(key)
            if near_part is None:
                body = {"t": "relink", "uri": story.uri, "ref": ref, "cluster": decision.info.cluster_id}
                await out.send(self.topics.near, key, orjson.dumps(body))
            else:
                self._near(staged, near_part).relink(relink, ref, decision.info.cluster_id)
        # Settled only with the outputs: the write reaches the changelog after the broker acknowledged them.
        self._uris(staged, partition).settle(story, decision.info.cluster_id)
        await self._emit(story, decision, out, read[1])

    async def _emit(self, story: Story, decision: Decision, out: Outputs, original: bytes) -> None:
        """Send the story's outputs; ``original``: the story as dedupe read it, for a too-large rejection."""
        metrics.dedupe_verdict(decision.info.verdict)
        key = story.uri.encode()
        if decision.forward:
            enriched = enrich(story, decision.info, now=self.clock())
            value = encode(enriched)
            sent = await self._send(out, self.topics.enriched, key, value, "enriched", story, original)
            if sent and self.handoffs is not None:
                self.handoffs.enriched.put(value, enriched)
        if decision.record is not None:
            await self._send(out, self.topics.duplicates, key, encode(decision.record), "duplicate record", story,
                             original)

    async def _send(self, out: Outputs, topic: str, key: bytes, value: bytes, what: str, story: Story,
                    original: bytes) -> bool:
        stage: Stage = "enrich" if what == "enriched" else "dedupe"
        return await self.rejects.send_checked(out, topic, key, value, stage=stage,
                                               what=f"the {what} story {story.uri}@{story.version}",
                                               original=original, submission_id=story.submission_id,
                                               agency=story.agency)


def _to_wire(found: list[Candidate]) -> list[Any]:
    return [c.to_wire() for c in found]


# --------------------------------------------------------------------------------------------- the loops


def dedupe_config(settings: Settings) -> DedupeConfig:
    return DedupeConfig(window=timedelta(days=settings.dedupe_window_days), near_policy=settings.near_duplicate_policy)


def co_partitioned(settings: Settings) -> int:
    """The partition count `wire.normalised` and `wire.dedupe.answers` share (an answer must reach the partition of
    the story waiting for it); the catalogue declaring different counts is a configuration error."""
    counts = {spec.name: spec.partitions or settings.partitions for spec in STAGE_INPUTS["dedupe"]}
    if len(set(counts.values())) != 1:
        raise RuntimeError(f"dedupe's inputs must have the same number of partitions, the catalogue has {counts}: "
                           "fix pipeline/topics.py")
    return next(iter(counts.values()))


def register(wf: Wirefeed) -> Deduper:
    """Dedupe on two stage loops: ``dedupe`` on `wire.normalised` + `wire.dedupe.answers` (one consumer, range
    assignment, so partition n of both lands on the same worker) and ``dedupe-near`` on `wire.dedupe.near`. Their
    state is in-process, per partition, restored from its changelog topic when a partition is assigned and dropped
    when it is revoked; expiry runs on a timer under the same lock."""
    s, app = wf.settings, wf.app
    log.info("enrich tagger: %s", TAGGER_BUILD)
    co_partitioned(s)
    names = changelog_topics(s)
    tables = Tables(StateTable(names[0], {}), StateTable(names[1], {}), StateTable(names[2], {}, per_entry=True))
    topics = Topics.of(s)
    #: The partitions whose state this worker holds (restored), per loop; changed under ``deduper.lock`` only.
    uri_parts: set[int] = set()
    near_parts: set[int] = set()
    loops: dict[str, StageLoop] = {}
    partitioner = DefaultPartitioner()
    #: The topic's partitions in order, sorted again only when the metadata shows another count.
    near_parts_sorted: list[int] = []

    def near_partition(key: bytes) -> int | None:
        """The partition the producer sends ``key`` to on `wire.dedupe.near` (same partitioner, same metadata)."""
        consumer = loops["dedupe-near"].consumer
        found = None if consumer is None else consumer.partitions_for_topic(topics.near)
        if not found:
            return None
        if len(found) != len(near_parts_sorted):
            near_parts_sorted[:] = sorted(found)
        return int(partitioner(key, near_parts_sorted, near_parts_sorted))

    deduper = Deduper(tables, topics, dedupe_config(s), wf, ProducerChangelog(wf.start_producer),
                      NearRouting(near_partition, LOCAL_NEAR), handoffs=wf.handoffs)

    def hooks(restored: set[int], *owned: StateTable) -> dict[str, Any]:
        async def on_assigned(assigned: set[TopicPartition]) -> None:
            numbers = {tp.partition for tp in assigned}
            async with deduper.lock:
                restored.clear()  # eager rebalancing: everything held was revoked first
                await restore(s, owned, numbers)
                restored.update(numbers)

        async def on_revoked(revoked: set[TopicPartition]) -> None:
            numbers = {tp.partition for tp in revoked}
            async with deduper.lock:
                restored.difference_update(numbers)
                for table in owned:
                    table.drop(numbers)

        return {"on_assigned": on_assigned, "on_revoked": on_revoked}

    async def story_batch(records: Sequence[Record], out: Outbox) -> None:
        await deduper.story_batch(records, out, near_parts)

    async def near_batch(records: Sequence[Record], out: Outbox) -> None:
        await deduper.near_batch(records, out)

    loops["dedupe"] = wf.add_loop("dedupe", story_batch, max_records=BATCH, assignors=(RangePartitionAssignor,),
                                  **hooks(uri_parts, tables.uris, tables.pending))
    loops["dedupe-near"] = wf.add_loop("dedupe-near", near_batch, max_records=BATCH,
                                       **hooks(near_parts, tables.near))

    @app.timer(s.dedupe_evict_seconds)  # type: ignore[untyped-decorator]
    async def evict_expired() -> None:
        removed = await deduper.evict(utcnow(), uri_parts, near_parts)
        if removed:
            log.info("evicted %d dedupe entries older than %s", removed, deduper.config.window)

    return deduper

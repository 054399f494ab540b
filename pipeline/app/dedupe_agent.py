"""Dedupe + enrich, scattered and gathered so that copies are found across partitions and workers.

Topology (see docs/dedupe.md):

- agent ``dedupe`` on `wire.normalised` (keyed by uri) and `wire.dedupe.answers` (keyed by uri, co-partitioned):
  the uri part settles resends, versions, kills and stale versions at once. A uri never seen waits in the
  ``dedupe-pending`` table while its near-duplicate probe goes to `wire.dedupe.near`, once per bucket key (or is
  answered in-process for the near partitions this worker holds, :mod:`pipeline.app.near_local`). When every
  bucket has answered, ``decide``. Forwarded stories are enriched and go to `wire.enriched`; stories kept back go
  to `wire.duplicates`.
- agent ``dedupe-near`` on `wire.dedupe.near` (keyed by bucket key): looks in the bucket, stores the story there,
  answers on `wire.dedupe.answers`.

:class:`Deduper` holds the logic and its state (tables, routing, the last "seen" tick) and takes whole batches of
records, so it runs in-process without Faust or a broker; :func:`register` is the Faust loop around it.
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

import faust
import orjson
from pydantic import ValidationError

from pipeline.app.base import Wirefeed
from pipeline.app.batching import finished_batches
from pipeline.app.near_local import NearRouting
from pipeline.app.state import Changelog, PartitionView, ProducerChangelog, Staged, StateTable
from pipeline.codec import encode
from pipeline.config import Settings
from pipeline.ops import metrics
from pipeline.stages.dedupe import Decision, DedupeConfig, NearIndex, NearProbe, UriIndex, decide_uri, next_seen
from pipeline.stages.dedupe.gather import decide, probe_of, waiting_entry, with_answer
from pipeline.stages.dedupe.index import STATE_FORMAT
from pipeline.stages.enrich import TAGGER_BUILD, enrich
from pipeline.stages.errors import StageError
from pipeline.topics import DEDUPE_ANSWERS, DEDUPE_NEAR, DUPLICATES, ENRICHED, NORMALISED, topic_name
from schemas import ReasonCode, Stage, Story, utcnow

log = logging.getLogger("wirefeed.dedupe")

BATCH = 200
BATCH_SECONDS = 0.02
#: Answer near probes for the `wire.dedupe.near` partitions this worker holds in-process (pipeline/app/near_local.py).
LOCAL_NEAR = True

#: Dedupe's Faust tables; each is partitioned like the topic its agent consumes. The near table is named after
#: the layout of its entries (``STATE_FORMAT``) and of its changelog (one record per bucket entry, "e"): a new
#: layout starts a new changelog instead of misreading the old.
TABLES = ("dedupe-uris", "dedupe-pending", f"dedupe-near-v{STATE_FORMAT}e")


def changelog_topics(settings: Settings) -> tuple[str, ...]:
    """The tables' changelog topics, as Faust names them. The worker creates them before it joins the group, so
    no worker reads a metadata snapshot in which a changelog has no partitions yet (Faust's PartitionsMismatch)."""
    return tuple(f"{settings.app_id}-{name}-changelog" for name in TABLES)


# --------------------------------------------------------------------------------------------- interfaces


class Message(Protocol):
    topic: str
    partition: int
    offset: int


class Event(Protocol):
    """A record as a batch step reads it (a Faust event has this shape)."""

    @property
    def message(self) -> Message: ...
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

    async def reject_event(self, event: Any, stage: Stage, reason: ReasonCode, message: str, out: Any, *,
                           submission_id: str | None = None, agency: str | None = None) -> None: ...


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


# --------------------------------------------------------------------------------------------- the logic


class Deduper:
    """Dedupe's batch steps over explicit state.

    Every step runs under one lock (the near table is written by both agents and by expiry), sends its outputs
    through ``out`` and waits for their acknowledgement, then writes its table changes to their changelogs and
    waits for that, and only then applies them in memory (:mod:`pipeline.app.state`): a step that fails or is
    cancelled leaves the state as it was, so the redelivered batch is handled again from the same state."""

    def __init__(self, tables: Tables, topics: Topics, config: DedupeConfig, rejects: Rejects, changelog: Changelog,
                 routing: NearRouting, clock: Callable[[], datetime] = utcnow) -> None:
        self.tables = tables
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
                msg = event.message
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
                    await self.rejects.reject_event(event, "dedupe", "internal_error",
                                                    f"near probe failed: {type(exc).__name__}: {exc}", out)
            await self._finish(staged, out)

    async def evict(self, now: datetime, uri_partitions: Iterable[int], near_partitions: Iterable[int]) -> int:
        """Delete state older than the window in the given partitions (restored keys too). Returns entries removed."""
        async with self.lock:
            staged = Staged()
            removed = sum(self._uris(staged, p).evict_expired(now) for p in uri_partitions)
            removed += sum(self._near(staged, p).evict_expired(now) for p in near_partitions)
            await staged.flush(self.changelog)
        return removed

    async def _finish(self, staged: Staged, out: Outputs) -> None:
        await out.flush()
        await staged.flush(self.changelog)

    # ----------------------------------------------------------------------------------- one record

    async def _story_event(self, event: Event, staged: Staged, out: Outputs) -> str:
        msg = event.message
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
            await self.rejects.reject_event(event, "dedupe", exc.reason, exc.message, out, submission_id=submission,
                                            agency=agency)
        except (orjson.JSONDecodeError, ValidationError, KeyError, TypeError) as exc:
            await self.rejects.reject_event(event, "dedupe", "bad_envelope", f"unreadable message: {exc}", out)
        except Exception as exc:  # a bug must not stop the feed
            log.exception("dedupe failed on %s[%d]@%d", msg.topic, msg.partition, msg.offset)
            await self.rejects.reject_event(event, "dedupe", "internal_error",
                                            f"unexpected {type(exc).__name__}: {exc}", out)
        return "rejected"

    def _uris(self, staged: Staged, partition: int) -> UriIndex:
        return UriIndex(PartitionView(self.tables.uris, staged, partition), self.config)

    def _near(self, staged: Staged, partition: int) -> NearIndex:
        return NearIndex(PartitionView(self.tables.near, staged, partition), self.config)

    async def _story(self, value: bytes, staged: Staged, partition: int, out: Outputs) -> None:
        # Full validation, with pydantic's own JSON parser (faster than orjson + model_validate; a rebuild
        # without validation measured slower, see docs/performance.md "Trusted decode").
        story = Story.model_validate_json(value)
        ref = f"{story.uri}@{story.version}"
        waiting = PartitionView(self.tables.pending, staged, partition).get(ref)
        if waiting is not None:  # a replay while the story waits for its answers: ask again
            probe = probe_of(waiting)
            for bucket, candidates in await self._scatter(story, probe, staged, out):
                await self._gather(probe.ref, bucket, candidates, staged, partition, out, story)
            return
        self.last_seen = next_seen(self.last_seen, self.clock())
        outcome = self._uris(staged, partition).check(story, self.last_seen)
        local = await self._scatter(story, outcome.near, staged, out) if outcome.near is not None else []
        if not outcome.wait_for_near:
            await self._emit(story, decide_uri(story, outcome), out)
            return
        assert outcome.near is not None
        PartitionView(self.tables.pending, staged, partition)[ref] = waiting_entry(value.decode(), outcome)
        for bucket, candidates in local:
            await self._gather(outcome.near.ref, bucket, candidates, staged, partition, out, story)

    async def _scatter(self, story: Story, probe: NearProbe, staged: Staged,
                       out: Outputs) -> list[tuple[str, list[Any]]]:
        """Probe every bucket: in-process when this worker holds its partition, else through `wire.dedupe.near`.
        Returns the in-process answers as (bucket key, candidates), for the caller to gather."""
        body: bytes | None = None
        local: list[tuple[str, list[Any]]] = []
        for bucket in probe.keys:
            key = bucket.encode()
            near_part = self.routing.local(key)
            if near_part is None:
                body = body or orjson.dumps({"t": "probe", "uri": story.uri, "probe": probe.to_wire()})
                await out.send(self.topics.near, key, body)
                continue
            found = self._near(staged, near_part).probe(bucket, probe)
            if not probe.index_only:
                local.append((bucket, [c.to_wire() for c in found]))
        return local

    async def _gather(self, ref: str, bucket: str, candidates: list[Any], staged: Staged, partition: int,
                      out: Outputs, story: Story | None = None) -> None:
        """One bucket's answer for the story ``ref`` waiting on ``partition``; decide once every bucket answered."""
        pending = PartitionView(self.tables.pending, staged, partition)
        waiting = pending.get(ref)
        if waiting is None:  # decided already (a replayed answer)
            return
        waiting, complete = with_answer(waiting, bucket, candidates)
        if not complete:
            pending[ref] = waiting
            return
        if story is None:
            story = Story.model_validate_json(waiting["story"])
        gathered = decide(waiting, story, self.config)
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
        await self._emit(story, decision, out)
        del pending[ref]

    async def _emit(self, story: Story, decision: Decision, out: Outputs) -> None:
        metrics.dedupe_verdict(decision.info.verdict)
        key = story.uri.encode()
        outputs = []
        if decision.forward:
            outputs.append((self.topics.enriched, "enriched", encode(enrich(story, decision.info, now=self.clock()))))
        if decision.record is not None:
            outputs.append((self.topics.duplicates, "duplicate record", encode(decision.record)))
        for topic, what, value in outputs:
            await self.rejects.send_checked(out, topic, key, value, stage="enrich" if what == "enriched" else "dedupe",
                                            what=f"the {what} story {story.uri}@{story.version}",
                                            original=encode(story), submission_id=story.submission_id,
                                            agency=story.agency)


# --------------------------------------------------------------------------------------------- the Faust shell


class EntryTable(faust.Table):  # type: ignore[type-arg]
    """A Faust table whose changelog holds one record per bucket entry; recovery folds them back into buckets."""

    def apply_changelog_batch(self, batch: Iterable[Any]) -> None:
        StateTable.of(self, per_entry=True).recover(
            (event.key, None if event.message.value is None else event.value) for event in batch)


def dedupe_config(settings: Settings) -> DedupeConfig:
    return DedupeConfig(window=timedelta(days=settings.dedupe_window_days), near_policy=settings.near_duplicate_policy)


def register(wf: Wirefeed) -> Deduper:
    s, app = wf.settings, wf.app
    log.info("enrich tagger: %s", TAGGER_BUILD)
    # Changelogs use Faust's "json" codec, which encodes with orjson (a dependency of wirefeed).
    uris, pending = (app.Table(name, partitions=s.partitions) for name in TABLES[:2])
    near = app.tables.add(EntryTable(app, name=TABLES[2], partitions=s.partitions, beacon=app.tables.beacon))
    topics = Topics.of(s)
    source = app.topic(topics.normalised, topics.answers, key_type=bytes, value_type=bytes,
                       key_serializer="raw", value_serializer="raw")

    def near_partition(key: bytes) -> int | None:
        return app.producer.key_partition(topics.near, key).partition

    deduper = Deduper(
        Tables(StateTable.of(uris), StateTable.of(pending), StateTable.of(near, per_entry=True)), topics,
        dedupe_config(s), wf, ProducerChangelog(app.maybe_start_producer), NearRouting(near_partition, LOCAL_NEAR),
    )  # fmt: skip

    def owned(topic: str) -> list[int]:
        return [tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic]

    @app.agent(source, name="dedupe", concurrency=1)
    async def dedupe_agent(stream):  # type: ignore[no-untyped-def]
        out = await wf.outbox()
        async for events in finished_batches(stream, BATCH, BATCH_SECONDS):
            await deduper.story_batch(events, out, owned(topics.near))

    @app.agent(wf.topic(DEDUPE_NEAR), name="dedupe-near", concurrency=1)
    async def near_agent(stream):  # type: ignore[no-untyped-def]
        out = await wf.outbox()
        async for events in finished_batches(stream, BATCH, BATCH_SECONDS):
            await deduper.near_batch(events, out)

    @app.timer(s.dedupe_evict_seconds)  # type: ignore[untyped-decorator]
    async def evict_expired() -> None:
        removed = await deduper.evict(utcnow(), owned(topics.normalised), owned(topics.near))
        if removed:
            log.info("evicted %d dedupe entries older than %s", removed, deduper.config.window)

    return deduper

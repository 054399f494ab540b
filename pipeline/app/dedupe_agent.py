"""Dedupe + enrich, scattered and gathered so that copies are found across partitions and workers.

Topology (see docs/dedupe.md):

- agent ``dedupe`` on `wire.normalised` (keyed by uri) and `wire.dedupe.answers` (keyed by uri, co-partitioned):
  the uri part settles resends, versions, kills and stale versions at once. A uri never seen waits in the
  ``dedupe-pending`` table while its near-duplicate probe goes to `wire.dedupe.near`, once per bucket key. When
  every bucket has answered, ``combine`` decides. Forwarded stories are enriched and go to `wire.enriched`;
  stories kept back go to `wire.duplicates`.
- agent ``dedupe-near`` on `wire.dedupe.near` (keyed by bucket key): looks in the bucket, stores the story there,
  answers on `wire.dedupe.answers`.

Both work in batches and write their tables only after the batch's outputs are acknowledged (``state.Staged``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import Any

import orjson
from pydantic import ValidationError

from pipeline.app.base import Wirefeed
from pipeline.app.batching import finished_batches
from pipeline.app.near_local import NearRouting
from pipeline.app.outbox import Outbox
from pipeline.app.state import PartitionView, Staged
from pipeline.codec import encode
from pipeline.config import Settings
from pipeline.ops import metrics
from pipeline.stages.dedupe import (
    Decision,
    DedupeConfig,
    NearIndex,
    NearProbe,
    UriIndex,
    decide_uri,
    next_seen,
)
from pipeline.stages.dedupe.gather import decide, probe_of, waiting_entry, with_answer
from pipeline.stages.dedupe.index import STATE_FORMAT
from pipeline.stages.enrich import TAGGER_BUILD, enrich
from pipeline.stages.errors import StageError
from pipeline.topics import DEDUPE_ANSWERS, DEDUPE_NEAR, DUPLICATES, ENRICHED, NORMALISED, topic_name
from schemas import Story, utcnow

log = logging.getLogger("wirefeed.dedupe")

BATCH = 200
BATCH_SECONDS = 0.02
#: Answer near probes for the `wire.dedupe.near` partitions this worker holds in-process (pipeline/app/near_local.py).
LOCAL_NEAR = True


#: Dedupe's Faust tables; each is partitioned like the topic its agent consumes. The near table is named after
#: the layout of its entries (``STATE_FORMAT``): a new layout starts a new changelog instead of misreading the old.
TABLES = ("dedupe-uris", "dedupe-pending", f"dedupe-near-v{STATE_FORMAT}")


def changelog_topics(settings: Settings) -> tuple[str, ...]:
    """The tables' changelog topics, as Faust names them. The worker creates them before it joins the group, so
    no worker reads a metadata snapshot in which a changelog has no partitions yet (Faust's PartitionsMismatch)."""
    return tuple(f"{settings.app_id}-{name}-changelog" for name in TABLES)


def dedupe_config(wf: Wirefeed) -> DedupeConfig:
    s = wf.settings
    return DedupeConfig(window=timedelta(days=s.dedupe_window_days), near_policy=s.near_duplicate_policy)


def register(wf: Wirefeed) -> None:
    s = wf.settings
    config = dedupe_config(wf)
    log.info("enrich tagger: %s", TAGGER_BUILD)
    # Changelogs use Faust's "json" codec, which encodes with orjson (a dependency of wirefeed).
    uris_table, pending_table, near_table = (wf.app.Table(name, partitions=s.partitions) for name in TABLES)
    normalised_name = topic_name(NORMALISED, s.topic_prefix)
    answers_name = topic_name(DEDUPE_ANSWERS, s.topic_prefix)
    source = wf.app.topic(normalised_name, answers_name, key_type=bytes, value_type=bytes,
                          key_serializer="raw", value_serializer="raw")
    near_topic = wf.topic(DEDUPE_NEAR)
    near_name = near_topic.get_topic_name()
    enriched_name, duplicates_name = wf.topic(ENRICHED).get_topic_name(), wf.topic(DUPLICATES).get_topic_name()

    async def emit(story: Story, decision: Decision, out: Outbox) -> None:
        metrics.dedupe_verdict(decision.info.verdict)
        key = story.uri.encode()
        outputs = []
        if decision.forward:
            outputs.append((enriched_name, "enriched", encode(enrich(story, decision.info, now=utcnow()))))
        if decision.record is not None:
            outputs.append((duplicates_name, "duplicate record", encode(decision.record)))
        for topic, what, value in outputs:
            await wf.send_checked(out, topic, key, value, stage="enrich" if what == "enriched" else "dedupe",
                                  what=f"the {what} story {story.uri}@{story.version}", original=encode(story),
                                  submission_id=story.submission_id, agency=story.agency)

    def near_partition(key: bytes) -> int | None:
        return wf.app.producer.key_partition(near_name, key).partition

    routing = NearRouting(near_partition, enabled=LOCAL_NEAR)
    # When this worker handled its last new story (ticks): copies link in the order dedupe handled them.
    last_seen = 0
    # Held across read, outputs and flush by every writer of the near table (near agent, local probes, expiry).
    near_lock = asyncio.Lock()

    def owned_near() -> list[int]:
        return [tp.partition for tp in wf.app.assignor.assigned_actives() if tp.topic == near_name]

    async def scatter(story: Story, probe: NearProbe, staged: Staged, out: Outbox) -> list[tuple[str, list[Any]]]:
        """Probe every bucket: in-process when this worker holds its partition, else through `wire.dedupe.near`.
        Returns the in-process answers as (bucket key, candidates), for the caller to gather."""
        body: bytes | None = None
        local: list[tuple[str, list[Any]]] = []
        for bucket in probe.keys:
            key = bucket.encode()
            near_part = routing.local(key)
            if near_part is None:
                body = body or orjson.dumps({"t": "probe", "uri": story.uri, "probe": probe.to_wire()})
                await out.send(near_name, key, body)
                continue
            found = NearIndex(PartitionView(near_table, staged, near_part), config).probe(bucket, probe)
            if not probe.index_only:
                local.append((bucket, [c.to_wire() for c in found]))
        return local

    async def on_story(value: bytes, staged: Staged, partition: int, out: Outbox) -> None:
        # Full validation still, with pydantic's own JSON parser (faster than orjson + model_validate; a rebuild
        # without validation measured slower, see docs/performance.md "Trusted decode").
        story = Story.model_validate_json(value)
        ref = f"{story.uri}@{story.version}"
        pending = PartitionView(pending_table, staged, partition)
        waiting = pending.get(ref)
        if waiting is not None:  # a replay while the story waits for its answers: ask again
            probe = probe_of(waiting)
            for bucket, candidates in await scatter(story, probe, staged, out):
                await gather(probe.ref, bucket, candidates, staged, partition, out, story)
            return
        nonlocal last_seen
        last_seen = next_seen(last_seen, utcnow())
        outcome = UriIndex(PartitionView(uris_table, staged, partition), config).check(story, last_seen)
        local = await scatter(story, outcome.near, staged, out) if outcome.near is not None else []
        if not outcome.wait_for_near:
            await emit(story, decide_uri(story, outcome), out)
            return
        pending[ref] = waiting_entry(value.decode(), outcome)
        assert outcome.near is not None
        for bucket, candidates in local:
            await gather(outcome.near.ref, bucket, candidates, staged, partition, out, story)

    async def on_answer(value: bytes, staged: Staged, partition: int, out: Outbox) -> None:
        answer = orjson.loads(value)
        await gather(answer["ref"], answer["key"], answer["candidates"], staged, partition, out)

    async def gather(ref: str, bucket: str, candidates: list[Any], staged: Staged, partition: int, out: Outbox,
                     story: Story | None = None) -> None:
        """One bucket's answer for the story ``ref`` waiting on ``partition``; decide once every bucket answered."""
        pending = PartitionView(pending_table, staged, partition)
        waiting = pending.get(ref)
        if waiting is None:  # decided already (a replayed answer)
            return
        waiting, complete = with_answer(waiting, bucket, candidates)
        if not complete:
            pending[ref] = waiting
            return
        if story is None:
            story = Story.model_validate_json(waiting["story"])
        gathered = decide(waiting, story, config)
        decision = gathered.decision
        for relink in gathered.relink:
            key = relink.encode()
            near_part = routing.local(key)
            if near_part is None:
                body = {"t": "relink", "uri": story.uri, "ref": ref, "cluster": decision.info.cluster_id}
                await out.send(near_name, key, orjson.dumps(body))
            else:
                NearIndex(PartitionView(near_table, staged, near_part), config).relink(
                    relink, ref, decision.info.cluster_id)
        # Settled only with the outputs: the write is flushed after the broker acknowledged them.
        UriIndex(PartitionView(uris_table, staged, partition), config).settle(story, decision.info.cluster_id)
        await emit(story, decision, out)
        del pending[ref]

    @wf.app.agent(source, name="dedupe", concurrency=1)
    async def dedupe_agent(stream):  # type: ignore[no-untyped-def]
        out = await wf.outbox()
        async for events in finished_batches(stream, BATCH, BATCH_SECONDS):
            if routing.refresh(owned_near()):
                async with near_lock:
                    await dedupe_batch(events, out)
            else:
                await dedupe_batch(events, out)

    async def dedupe_batch(events: Any, out: Outbox) -> None:
        """One batch: every event's outputs, then (once the broker acknowledged them) the staged table writes."""
        staged = Staged()
        for event in events:
            started = time.perf_counter()
            msg = event.message
            try:
                if msg.topic == answers_name:
                    await on_answer(event.value, staged, msg.partition, out)
                else:
                    await on_story(event.value, staged, msg.partition, out)
            except StageError as exc:  # the story itself is refused (a foreign agency's uri)
                story_agency = submission = None
                with contextlib.suppress(ValidationError):
                    refused = Story.model_validate_json(event.value)
                    story_agency, submission = refused.agency, refused.submission_id
                await wf.reject_event(event, "dedupe", exc.reason, exc.message, out, submission_id=submission,
                                      agency=story_agency)
                metrics.stage_processed("dedupe", "rejected", time.perf_counter() - started)
                continue
            except (orjson.JSONDecodeError, ValidationError, KeyError, TypeError) as exc:
                await wf.reject_event(event, "dedupe", "bad_envelope", f"unreadable message: {exc}", out)
                metrics.stage_processed("dedupe", "rejected", time.perf_counter() - started)
                continue
            except Exception as exc:  # a bug must not stop the feed
                log.exception("dedupe failed on %s[%d]@%d", msg.topic, msg.partition, msg.offset)
                await wf.reject_event(event, "dedupe", "internal_error", f"unexpected {type(exc).__name__}: {exc}",
                                      out)
                metrics.stage_processed("dedupe", "rejected", time.perf_counter() - started)
                continue
            metrics.stage_processed("dedupe", "ok", time.perf_counter() - started)
        await out.flush()
        staged.flush()

    @wf.app.agent(near_topic, name="dedupe-near", concurrency=1)
    async def near_agent(stream):  # type: ignore[no-untyped-def]
        out = await wf.outbox()
        async for events in finished_batches(stream, BATCH, BATCH_SECONDS):
            async with near_lock:
                await near_batch(events, out)

    async def near_batch(events: Any, out: Outbox) -> None:
        staged = Staged()
        for event in events:
            msg = event.message
            try:
                request = orjson.loads(event.value)
                bucket = event.key.decode()
                index = NearIndex(PartitionView(near_table, staged, msg.partition), config)
                if request["t"] == "relink":
                    index.relink(bucket, request["ref"], request["cluster"])
                    continue
                probe = NearProbe.from_wire(request["probe"])
                found = index.probe(bucket, probe)
                if not probe.index_only:
                    answer = {"ref": probe.ref, "key": bucket, "candidates": [c.to_wire() for c in found]}
                    await out.send(answers_name, request["uri"].encode(), orjson.dumps(answer))
            except Exception as exc:  # never stop the feed; the DLQ keeps the message
                log.exception("dedupe-near failed on %s[%d]@%d", msg.topic, msg.partition, msg.offset)
                await wf.reject_event(event, "dedupe", "internal_error",
                                      f"near probe failed: {type(exc).__name__}: {exc}", out)
        await out.flush()
        staged.flush()

    @wf.app.timer(s.dedupe_evict_seconds)
    async def evict_expired() -> None:
        """Delete state older than the window, in every partition this worker holds (restored keys too)."""
        now = utcnow()
        staged = Staged()
        removed = 0
        async with near_lock:
            for tp in wf.app.assignor.assigned_actives():
                if tp.topic == normalised_name:
                    removed += UriIndex(PartitionView(uris_table, staged, tp.partition), config).evict_expired(now)
                elif tp.topic == near_name:
                    removed += NearIndex(PartitionView(near_table, staged, tp.partition), config).evict_expired(now)
            staged.flush()
        if removed:
            log.info("evicted %d dedupe entries older than %s", removed, config.window)

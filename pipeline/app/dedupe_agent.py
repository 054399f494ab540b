"""Agent: `wire.normalised` (keyed by uri) → dedupe → enrich → `wire.enriched`; kept-back copies → `wire.duplicates`."""

from __future__ import annotations

import time
from datetime import timedelta

import orjson
from pydantic import ValidationError

from pipeline.app.base import Wirefeed
from pipeline.codec import encode
from pipeline.config import Settings
from pipeline.ops import metrics
from pipeline.stages.dedupe import DedupeConfig, DedupeIndex, DedupeState
from pipeline.stages.process import Source, dedupe_enrich_step, reject
from pipeline.topics import DUPLICATES, ENRICHED, NORMALISED
from schemas import Story, utcnow

#: Dedupe's Faust tables (partitioned like `wire.normalised`).
TABLES = ("dedupe-uris", "dedupe-near")


def changelog_topics(settings: Settings) -> tuple[str, ...]:
    """The tables' changelog topics, as Faust names them. The worker creates them before it joins the group, so
    no worker reads a metadata snapshot in which a changelog has no partitions yet (Faust's PartitionsMismatch)."""
    return tuple(f"{settings.app_id}-{name}-changelog" for name in TABLES)


def register(wf: Wirefeed) -> None:
    s = wf.settings
    config = DedupeConfig(window=timedelta(days=s.dedupe_window_days), near_policy=s.near_duplicate_policy)
    # Table changelogs use Faust's "json" codec, which encodes with orjson when it is installed (it is a dependency).
    uris = wf.app.Table(TABLES[0], partitions=s.partitions)
    near = wf.app.Table(TABLES[1], partitions=s.partitions)
    enriched_topic = wf.topic(ENRICHED)
    duplicates_topic = wf.topic(DUPLICATES)

    @wf.app.agent(wf.topic(NORMALISED), name="dedupe-enrich", concurrency=1)
    async def dedupe_enrich_agent(stream):  # type: ignore[no-untyped-def]
        index = DedupeIndex(DedupeState(uris=uris, near=near), config)
        async for event in stream.events():
            started = time.perf_counter()
            msg = event.message
            now = utcnow()
            try:
                story = Story.model_validate(orjson.loads(event.value))
                outcome = dedupe_enrich_step(story, index, now)
            except (orjson.JSONDecodeError, ValidationError) as exc:
                await wf.send_rejection(reject("dedupe", "bad_envelope", f"not a Story: {exc}"[:500], event.value,
                                               now, source=Source(msg.topic, msg.partition, msg.offset)))
                metrics.stage_processed("dedupe", "rejected", time.perf_counter() - started)
                continue
            except Exception as exc:  # a bug must not stop the feed
                await wf.send_rejection(reject("dedupe", "internal_error",
                                               f"unexpected {type(exc).__name__}: {exc}"[:500], event.value,
                                               now, source=Source(msg.topic, msg.partition, msg.offset)))
                metrics.stage_processed("dedupe", "rejected", time.perf_counter() - started)
                continue
            if outcome.enriched:
                metrics.dedupe_verdict(outcome.enriched.dedupe.verdict)
                await enriched_topic.send(key=story.uri.encode(), value=encode(outcome.enriched))
            if outcome.duplicate:
                metrics.dedupe_verdict(outcome.duplicate.verdict)
                await duplicates_topic.send(key=story.uri.encode(), value=encode(outcome.duplicate))
            metrics.stage_processed("dedupe", "ok", time.perf_counter() - started)

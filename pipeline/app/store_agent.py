"""Sink agent: `wire.enriched` → store (batched, idempotent) → notification topics.

Offsets are acknowledged only after the database commit and after every notification is acknowledged by the
broker, so a crash anywhere replays the batch: the store ignores rows it has, notifications repeat with the same id.
A message on `wire.enriched` or `wire.duplicates` that does not decode goes to `wire.dlq` (stage ``store``,
``bad_envelope``) with the rest of its batch acknowledged only after that rejection is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from pipeline.app.base import Wirefeed
from pipeline.app.batching import finished_batches
from pipeline.app.outbox import Outbox
from pipeline.broker.admin import ensure_topics
from pipeline.codec import encode
from pipeline.ops import metrics
from pipeline.sinks.store import Store, open_store
from pipeline.sinks.subscriptions import load_subscriptions, router_from_settings
from pipeline.stages.notify import Router, Subscription
from pipeline.topics import DLQ, DUPLICATES, ENRICHED
from schemas import DuplicateRecord, EnrichedStory, Rejection

log = logging.getLogger("wirefeed.sink")

MAX_BACKOFF = 10.0

M = TypeVar("M", bound=BaseModel)


async def retry_forever(what: str, op, *args):  # type: ignore[no-untyped-def]
    """Run ``await op(*args)`` until it succeeds, backing off; the stream does not move on meanwhile."""
    delay = 0.2
    while True:
        try:
            return await op(*args)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            metrics.stage_processed("store", "retry")
            log.warning("%s failed (%s: %s); retrying in %.1fs", what, type(exc).__name__, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)


def default_subscriptions(wf: Wirefeed) -> tuple[Subscription, ...]:
    return load_subscriptions(None, wf.settings.topic_prefix)


def register(wf: Wirefeed, subscriptions: tuple[Subscription, ...] | None = None) -> None:
    s = wf.settings
    # Subscriptions from settings.subscriptions_file, validated now: a bad file stops the worker at start.
    router = router_from_settings(s) if subscriptions is None else Router(subscriptions, s.notification_link_template)

    async def readable(events: Sequence[Any], contract: type[M], out: Outbox) -> list[M]:
        """The batch's messages as ``contract`` (validated by pydantic's JSON parser); unreadable ones go to the
        DLQ through ``out`` instead of stopping the agent."""
        models = []
        for event in events:
            try:
                models.append(contract.model_validate_json(event.value))
            except ValidationError as exc:
                text = str(exc).splitlines()[0][:300]
                await wf.reject_event(event, "store", "bad_envelope", f"not a {contract.__name__}: {text}", out)
        return models

    @contextlib.asynccontextmanager
    async def store() -> AsyncIterator[Store]:
        """One connection per agent, closed when the agent stops (an open SQLite thread would block exit)."""
        db = await retry_forever("open store", open_store, s.resolved_store_url)
        try:
            yield db
        finally:
            await db.close()

    @wf.app.agent(wf.topic(ENRICHED), name="store-notify", concurrency=1)
    async def store_agent(stream):  # type: ignore[no-untyped-def]
        async with store() as db:
            await retry_forever("create notification topics", ensure_topics, s, router.topics)
            await store_batches(stream, db)

    async def store_batches(stream, db: Store) -> None:  # type: ignore[no-untyped-def]
        out = await wf.outbox()
        async for events in finished_batches(stream, s.store_batch_size, s.store_batch_seconds):
            started = time.perf_counter()
            stories = await readable(events, EnrichedStory, out)
            if stories:
                t0 = time.perf_counter()
                await retry_forever("store write", db.write_batch, stories)
                metrics.sink_write("store", time.perf_counter() - t0, len(stories))
                metrics.e2e_latencies("store", [st.received_at for st in stories])
                for story in stories:
                    key = story.uri.encode()
                    for topic, notice in router.route(story):
                        await out.send(topic, key, encode(notice))
            await out.flush()
            if stories:
                metrics.e2e_latencies("notify", [st.received_at for st in stories])
                metrics.stage_processed("store", "ok", (time.perf_counter() - started) / len(stories), len(stories))

    @wf.app.agent(wf.topic(DLQ), name="store-rejections", concurrency=1)
    async def rejections_agent(stream):  # type: ignore[no-untyped-def]
        async with store() as db:
            async for events in finished_batches(stream, s.store_batch_size, s.store_batch_seconds):
                values = [e.value for e in events]
                rejections = [Rejection.model_validate(orjson.loads(v)) for v in values]
                await retry_forever("store rejections", db.write_rejections, rejections)

    @wf.app.agent(wf.topic(DUPLICATES), name="store-duplicates", concurrency=1)
    async def duplicates_agent(stream):  # type: ignore[no-untyped-def]
        async with store() as db:
            out = await wf.outbox()
            async for events in finished_batches(stream, s.store_batch_size, s.store_batch_seconds):
                records = await readable(events, DuplicateRecord, out)
                if records:
                    await retry_forever("store duplicates", db.write_duplicates, records)
                await out.flush()

"""Store stage: `wire.enriched` → store (batched, idempotent) → notification topics; `wire.duplicates` and
`wire.dlq` → store. On a :class:`~pipeline.app.loop.StageLoop`.

Offsets are committed only after the database commit and after every notification is acknowledged by the broker,
so a crash anywhere replays the batch: the store ignores rows it has, notifications repeat with the same id. A
message on `wire.enriched` or `wire.duplicates` that does not decode goes to `wire.dlq` (stage ``store``,
``bad_envelope``) with the rest of its batch committed only after that rejection is acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pipeline.app.base import Wirefeed
from pipeline.app.handoff import Handoff
from pipeline.app.loop import Record
from pipeline.app.outbox import Outbox
from pipeline.codec import encode
from pipeline.ops import metrics
from pipeline.sinks.store import Store, StoreDataError, open_store
from pipeline.sinks.store.writer import under_embargo
from pipeline.sinks.subscriptions import router_from_settings
from pipeline.stages.notify import Router
from pipeline.topics import DLQ, DUPLICATES, ENRICHED, topic_name
from schemas import DuplicateRecord, EnrichedStory, Rejection, utcnow

log = logging.getLogger("wirefeed.sink")

MAX_BACKOFF = 10.0

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


async def retry_forever(what: str, op, *args):  # type: ignore[no-untyped-def]
    """Run ``await op(*args)`` until it succeeds, backing off; the stream does not move on meanwhile.

    A :class:`StoreDataError` is not retried (the same data fails the same way): it is raised to the caller.
    """
    delay = 0.2
    while True:
        try:
            return await op(*args)
        except (asyncio.CancelledError, StoreDataError):
            raise
        except Exception as exc:
            metrics.stage_processed("store", "retry")
            log.warning("%s failed (%s: %s); retrying in %.1fs", what, type(exc).__name__, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)


async def write_isolating(
    what: str,
    write: Callable[[list[T]], Awaitable[object]],
    items: list[T],
    on_bad: Callable[[T, StoreDataError], Awaitable[None]],
) -> list[T]:
    """Write ``items`` with ``write`` (one transaction), retrying outages; when the database refuses the data,
    split the batch in halves and write each, down to the single item at fault, which goes to ``on_bad``.
    Returns the items written. The refused transaction wrote nothing and each half is a transaction of its own;
    a bad item among n costs about 2·log2(n) extra transactions."""
    try:
        await retry_forever(what, write, items)
        return items
    except StoreDataError as exc:
        if len(items) == 1:
            await on_bad(items[0], exc)
            return []
        log.warning("%s refused a batch of %d (%s); writing it in halves", what, len(items), exc)
        mid = len(items) // 2
        return [*await write_isolating(what, write, items[:mid], on_bad),
                *await write_isolating(what, write, items[mid:], on_bad)]


async def skip_rejection(rejection: Rejection, exc: StoreDataError) -> None:
    """A rejection the database refuses stays on `wire.dlq` only (it cannot go to the DLQ again)."""
    metrics.stage_processed("store", "rejected")
    log.error("rejection of submission %s (stage %s, %s) not stored: %s", rejection.submission_id, rejection.stage,
              rejection.reason, exc)


def register(wf: Wirefeed, router: Router | None = None) -> None:
    """``router``: the subscriptions; None: loaded from ``settings.subscriptions_file`` now (a bad file stops the
    worker at start)."""
    s = wf.settings
    router = router or router_from_settings(s)
    enriched_topic, duplicates_topic, dlq_topic = (topic_name(spec, s.topic_prefix)
                                                   for spec in (ENRICHED, DUPLICATES, DLQ))

    async def readable(records: Sequence[Record], contract: type[M], out: Outbox,
                       handoff: Handoff[M] | None = None) -> list[tuple[Record, M]]:
        """The batch's messages as (record, ``contract``) (validated by pydantic's JSON parser); unreadable ones go
        to the DLQ through ``out`` instead of stopping the stage. ``handoff``: models this worker sent, taken
        instead of decoding a record whose value is exactly the bytes one was sent as (:mod:`pipeline.app.handoff`)."""
        models = []
        for record in records:
            if handoff is not None and (model := handoff.take(record.value or b"")) is not None:
                models.append((record, model))
                continue
            try:
                models.append((record, contract.model_validate_json(record.value or b"")))
            except ValidationError as exc:
                text = str(exc).splitlines()[0][:300]
                await wf.reject_record(record, record.value or b"", "store", "bad_envelope",
                                       f"not a {contract.__name__}: {text}", out)
        return models

    def to_dlq(out: Outbox) -> Callable[[tuple[Record, Any], StoreDataError], Awaitable[None]]:
        """What to do with the one message the database refused: `wire.dlq`, with the reason and its bytes."""
        async def reject(pair: tuple[Record, Any], exc: StoreDataError) -> None:
            record, model = pair
            await wf.reject_record(record, record.value or b"", "store", exc.reason,
                                   f"the store refused {model.uri}@{model.version}: {exc}", out,
                                   submission_id=model.submission_id, agency=model.agency)
        return reject

    # The stage's open store: opened with the first batch, closed when the loop stops (an open SQLite thread
    # would block exit); the embargo timer uses it while it is open.
    open_db: dict[str, Store] = {}

    async def store() -> Store:
        if "store" not in open_db:
            open_db["store"] = await retry_forever("open store", open_store, s.resolved_store_url)
        return open_db["store"]

    async def close_store() -> None:
        if db := open_db.pop("store", None):
            await db.close()

    async def notify(stories: Sequence[EnrichedStory], out: Outbox) -> None:
        for story in stories:
            key = story.uri.encode()
            for topic, notice in router.route(story):
                await out.send(topic, key, encode(notice))

    @wf.app.timer(s.embargo_check_seconds)
    async def release_embargoes() -> None:
        """Notify the stored stories whose embargo has ended, then mark them released. At least once: a crash
        between the two repeats the notices (same notification ids); every worker runs this timer, so two
        workers may both send them."""
        db = open_db.get("store")
        if db is None:
            return
        try:
            due = await db.due_embargoes(utcnow())
            if due:
                out = await wf.outbox()
                await notify(due, out)
                await out.flush()
                await db.mark_released([(st.uri, st.version) for st in due])
                log.info("released %d stories at the end of their embargo", len(due))
        except Exception as exc:  # the next tick tries again
            log.warning("releasing embargoed stories failed (%s: %s)", type(exc).__name__, exc)

    async def store_stories(records: Sequence[Record], db: Store, out: Outbox) -> None:
        started = time.perf_counter()
        pairs = await readable(records, EnrichedStory, out, wf.handoffs.enriched)
        if not pairs:
            return
        t0 = time.perf_counter()
        written = await write_isolating("store write", lambda ps: db.write_batch([p[1] for p in ps]), pairs,
                                        to_dlq(out))
        stories = [story for _, story in written]
        metrics.sink_write("store", time.perf_counter() - t0, len(pairs))
        metrics.e2e_latencies("store", [st.received_at for st in stories])
        # Stories under embargo are notified by release_embargoes when it ends.
        now = utcnow()
        await notify([st for st in stories if not under_embargo(st, now)], out)
        await out.flush()
        if stories:
            metrics.e2e_latencies("notify", [st.received_at for st in stories])
            metrics.stage_processed("store", "ok", (time.perf_counter() - started) / len(stories), len(stories))

    async def store_rejections(records: Sequence[Record], db: Store) -> None:
        rejections = []
        for record in records:
            try:
                rejections.append(Rejection.model_validate_json(record.value or b""))
            except ValidationError as exc:  # it is on wire.dlq already: nowhere further to send it
                log.error("unreadable rejection at %s[%d]@%d skipped: %s", record.topic, record.partition,
                          record.offset, str(exc).splitlines()[0][:300])
        await write_isolating("store rejections", db.write_rejections, rejections, skip_rejection)

    async def store_duplicates(records: Sequence[Record], db: Store, out: Outbox) -> None:
        pairs = await readable(records, DuplicateRecord, out)
        if pairs:
            await write_isolating("store duplicates", lambda rs: db.write_duplicates([r[1] for r in rs]), pairs,
                                  to_dlq(out))

    async def store_batch(records: Sequence[Record], out: Outbox) -> None:
        """One fetched batch: stories (stored, then notified), duplicate records and rejections, each topic's
        records in their order."""
        db = await store()
        by_topic: dict[str, list[Record]] = {enriched_topic: [], duplicates_topic: [], dlq_topic: []}
        for record in records:
            by_topic[record.topic].append(record)
        if by_topic[enriched_topic]:
            await store_stories(by_topic[enriched_topic], db, out)
        if by_topic[duplicates_topic]:
            await store_duplicates(by_topic[duplicates_topic], db, out)
        if by_topic[dlq_topic]:
            await store_rejections(by_topic[dlq_topic], db)

    wf.add_loop("store", store_batch, max_records=s.store_batch_size, on_stop=close_store)

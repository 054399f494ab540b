"""Bytes dedupe's tables write to their changelogs per story, before compaction.

``python -m benchmarks.bench_dedupe_changelog`` (``--quick``: 10,000 stories instead of 100,000).

The worker's own dedupe shell runs in-process: :func:`pipeline.app.dedupe_agent.register` on the worker's app
(never started: no broker) builds the worker's per-partition state, and its
:class:`~pipeline.app.dedupe_agent.Deduper` takes the stories in batches of ``BATCH`` on every partition, answering
its near probes in-process as one worker holding every partition does. Each record the tables would send is
encoded as the worker encodes it (the tables' codecs, via
``StateTable.records``) and counted: key bytes + value bytes, without Kafka's per-record framing. The near table
is measured in both layouts over the same stories: one record per bucket entry (the worker's), and the whole
bucket per write (the layout before). Stories are the pipeline benchmark's corpus (``benchmarks.corpus``: distinct
wire stories of real and templated paragraphs, eight agencies), normalised, received five seconds apart: common
lead phrases fill buckets as on a real feed.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka.partitioner import murmur2

from benchmarks import options
from benchmarks.corpus import Corpus
from pipeline.app.base import Wirefeed
from pipeline.app.dedupe_agent import BATCH, register
from pipeline.app.state import Record
from pipeline.config import Settings
from pipeline.ingest.publisher import make_submission
from pipeline.stages.normalise import normalise
from schemas import Story

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)

STORIES = 100_000


@dataclass(frozen=True)
class _Rec:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes

    @property
    def message(self) -> _Rec:
        return self


class _Count:
    """A changelog that acknowledges at once and counts what it was given, per topic."""

    def __init__(self) -> None:
        self.bytes: Counter[str] = Counter()
        self.records: Counter[str] = Counter()

    async def write(self, records: list[Record]) -> None:
        for topic, _, key, value in records:
            self.bytes[topic] += len(key) + (len(value) if value is not None else 0)
            self.records[topic] += 1


class _Discard:
    """The outbox: outputs acknowledged at once and dropped (only table writes are measured)."""

    sent = 0

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        self.sent += 1

    async def flush(self) -> None:
        return None


def corpus_stories(n: int) -> Iterator[Story]:
    for c in Corpus(seed=11).stories(n):
        raw = make_submission(c.payload, c.agency, content_type=c.content_type, submission_id=f"bench-{c.index}",
                              received_at=T0 + timedelta(seconds=5 * c.index))  # fmt: skip
        yield normalise(raw)


async def measure(n: int, per_entry: bool) -> dict[str, Any]:
    settings = Settings(broker="127.0.0.1:9", partitions=8)
    deduper = register(Wirefeed.create(settings))
    deduper.tables.near.per_entry = per_entry
    count = _Count()
    deduper.changelog = count
    # Keys to partitions without a producer: the Kafka producer's default partitioner (murmur2).
    deduper.routing.partition_of = lambda key: (murmur2(key) & 0x7FFFFFFF) % settings.partitions
    out = _Discard()
    partitions = range(settings.partitions)
    batch: list[_Rec] = []
    t0 = time.perf_counter()
    for i, story in enumerate(corpus_stories(n)):
        key = story.uri.encode()
        part = (murmur2(key) & 0x7FFFFFFF) % settings.partitions
        batch.append(_Rec(deduper.topics.normalised, part, i, key, story.model_dump_json().encode()))
        if len(batch) == BATCH:
            await deduper.story_batch(batch, out, partitions)
            batch = []
    if batch:
        await deduper.story_batch(batch, out, partitions)
    elapsed = time.perf_counter() - t0
    near, uris, pending = (deduper.tables.near.topic, deduper.tables.uris.topic, deduper.tables.pending.topic)
    return {
        "layout": "one record per entry" if per_entry else "whole bucket per write (before)",
        "stories": n,
        "near_bytes_per_story": round(count.bytes[near] / n, 1),
        "near_records_per_story": round(count.records[near] / n, 2),
        "uris_bytes_per_story": round(count.bytes[uris] / n, 1),
        "pending_bytes_per_story": round(count.bytes[pending] / n, 1),
        "near_keys": len(deduper.tables.near.data),
        "stories_per_s": round(n / elapsed),
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    n = 10_000 if quick else STORIES
    return [asyncio.run(measure(n, per_entry)) for per_entry in (False, True)]


def main() -> None:
    args = options.parse(
        "benchmarks.bench_dedupe_changelog", __doc__, sys.argv[1:],
        ("--quick", "a shorter run (fewer stories or rounds), for a first look"),
    )
    from rich.console import Console
    from rich.table import Table

    rows = run(quick=args.quick)
    t = Table(title="dedupe changelog bytes per story before compaction (target for the near table: ≤ 300)")
    for col in ("near-table layout", "stories", "near B/story", "near records/story", "uris B/story",
                "pending B/story", "bucket keys", "stories/s"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["layout"], f"{r['stories']:,}", str(r["near_bytes_per_story"]), str(r["near_records_per_story"]),
                  str(r["uris_bytes_per_story"]), str(r["pending_bytes_per_story"]), f"{r['near_keys']:,}",
                  f"{r['stories_per_s']:,}")  # fmt: skip
    Console().print(t)


if __name__ == "__main__":
    main()

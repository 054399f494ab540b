"""A broker in a dict, for driving :class:`pipeline.app.dedupe_agent.Deduper` in-process.

Topics are lists of records per partition; keyed sends land on ``partition_of(key)``. Workers own partitions,
read what their group has not committed yet, and commit a batch only when the step returned (as
``finished_batches`` does). A crash drops a worker's memory; a new worker recovers its tables from the changelog
records the broker acknowledged, exactly as Faust's recovery would hand them to the tables (decoded with the
tables' codec). ``fail_next_flush`` / ``fail_next_changelog`` make the next acknowledgement fail, as a broker that
went away would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import blake2b
from typing import Any

import orjson
from faust.serializers import codecs

from pipeline.app.base import Wirefeed
from pipeline.app.dedupe_agent import TABLES, Deduper, Tables, Topics
from pipeline.app.handoff import Handoffs
from pipeline.app.near_local import NearRouting
from pipeline.app.state import Record, StateTable
from pipeline.config import Settings
from pipeline.stages.dedupe import DedupeConfig
from pipeline.topics import DLQ, topic_name
from schemas import Story

SETTINGS = Settings(broker="127.0.0.1:9", app_id="wirefeed")
TOPICS = Topics.of(SETTINGS)
DLQ_TOPIC = topic_name(DLQ, SETTINGS.topic_prefix)


class BrokerDown(Exception):
    """An acknowledgement that did not come (the worker dies with its batch unfinished)."""


@dataclass(frozen=True)
class Rec:
    """A consumed record; ``message`` is itself, as a Faust event's message carries topic/partition/offset."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None

    @property
    def message(self) -> Rec:
        return self


@dataclass
class Broker:
    partitions: int = 4
    log: dict[tuple[str, int], list[Rec]] = field(default_factory=dict)
    committed: dict[tuple[str, int], int] = field(default_factory=dict)
    fail_next_flush: bool = False
    fail_next_changelog: bool = False
    #: Tear a changelog write: after this many whole writes, one lands in part (every other record) and the worker
    #: dies. Records of different partitions land independently on a real broker, so any part of a write can.
    tear_changelog: int | None = None
    #: The wall clock every worker reads (a restarted worker's clock goes on from where the last one stopped).
    clock: Clock = field(default_factory=lambda: Clock())

    def partition_of(self, key: bytes) -> int:
        return int.from_bytes(blake2b(key, digest_size=4).digest(), "big") % self.partitions

    def append(self, topic: str, partition: int, key: bytes | None, value: bytes | None) -> None:
        records = self.log.setdefault((topic, partition), [])
        records.append(Rec(topic, partition, len(records), key, value))

    def publish(self, story: Story | bytes, key: bytes | None = None) -> None:
        value = story if isinstance(story, bytes) else story.model_dump_json().encode()
        key = key if key is not None else Story.model_validate_json(value).uri.encode()
        self.append(TOPICS.normalised, self.partition_of(key), key, value)

    def unread(self, topic: str, partition: int) -> list[Rec]:
        return self.log.get((topic, partition), [])[self.committed.get((topic, partition), 0):]

    def values(self, topic: str) -> list[dict[str, Any]]:
        return [orjson.loads(r.value) for (t, _), rs in sorted(self.log.items()) if t == topic for r in rs
                if r.value is not None]  # fmt: skip

    def changelog(self, topic: str, partitions: Iterable[int]) -> list[tuple[str, Any]]:
        """Decoded (key, value) records of a changelog's partitions, in log order per partition."""
        return [(codecs.loads("json", r.key), None if r.value is None else codecs.loads("json", r.value))
                for p in partitions for r in self.log.get((topic, p), [])]  # fmt: skip


class Outbox:
    """The batch's outbox: sends land on the broker only when :meth:`flush` is acknowledged."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.pending: list[tuple[str, bytes | None, bytes]] = []

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        self.pending.append((topic, key, value))

    async def flush(self) -> None:
        pending, self.pending = self.pending, []
        if self.broker.fail_next_flush:
            self.broker.fail_next_flush = False
            raise BrokerDown("outputs not acknowledged")
        for topic, key, value in pending:
            partition = self.broker.partition_of(key) if key is not None else 0
            self.broker.append(topic, partition, key, value)


@dataclass
class Changelog:
    broker: Broker
    written: int = 0  # bytes of keys and values acknowledged

    async def write(self, records: list[Record]) -> None:
        if self.broker.fail_next_changelog:
            self.broker.fail_next_changelog = False
            raise BrokerDown("changelog not acknowledged")
        if self.broker.tear_changelog == 0:
            self.broker.tear_changelog = None
            for topic, partition, key, value in records[::2]:
                self.broker.append(topic, partition, key, value)
            raise BrokerDown("changelog write torn: part of it landed")
        if self.broker.tear_changelog is not None:
            self.broker.tear_changelog -= 1
        for topic, partition, key, value in records:
            self.broker.append(topic, partition, key, value)
            self.written += len(key) + (len(value) if value is not None else 0)


class Worker:
    """One worker process: a Deduper over tables recovered from the broker's changelogs for ``owned`` partitions
    (the same partition numbers of every input topic, as Faust's co-partitioned assignment gives them)."""

    def __init__(self, broker: Broker, owned: Iterable[int], *, local_near: bool = True,
                 config: DedupeConfig = DedupeConfig(), handoffs: Handoffs | None = None) -> None:
        self.broker = broker
        self.owned = sorted(owned)
        names = [f"{SETTINGS.app_id}-{name}-changelog" for name in TABLES]
        tables = [StateTable(names[0], {}), StateTable(names[1], {}), StateTable(names[2], {}, per_entry=True)]
        for table in tables:
            table.recover(broker.changelog(table.topic, self.owned))
        self.changelog = Changelog(broker)
        self.deduper = Deduper(Tables(*tables), TOPICS, config, Wirefeed.create(SETTINGS), self.changelog,
                               NearRouting(broker.partition_of, local_near), broker.clock, handoffs)  # fmt: skip

    @property
    def tables(self) -> Tables:
        return self.deduper.tables

    async def step(self, batch: int = 200) -> bool:
        """One batch of each agent on every owned partition; returns whether anything was read."""
        busy = False
        for p in self.owned:
            for topics, run in (((TOPICS.normalised, TOPICS.answers), self._stories), ((TOPICS.near,), self._near)):
                for topic in topics:
                    records = self.broker.unread(topic, p)[:batch]
                    if records:
                        busy = True
                        await run(records)
                        self.broker.committed[(topic, p)] = records[-1].offset + 1
        return busy

    async def _stories(self, records: list[Rec]) -> None:
        await self.deduper.story_batch(records, Outbox(self.broker), self.owned)

    async def _near(self, records: list[Rec]) -> None:
        await self.deduper.near_batch(records, Outbox(self.broker))


class Clock:
    """A wall clock that moves one millisecond per reading (deterministic "seen" ticks)."""

    def __init__(self, start: datetime = datetime(2024, 3, 1, 12, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


async def run_until_idle(workers: Iterable[Worker], rounds: int = 100) -> None:
    workers = list(workers)
    for _ in range(rounds):
        if not any([await w.step() for w in workers]):
            return
    raise AssertionError("the workers never went idle")

"""Table state as the pure stages see it: one partition's slice, with writes held back until the outputs that
depend on them are acknowledged, then written to the changelog and acknowledged before they count.

Order of a batch: outputs sent and acknowledged (``Outbox.flush``), then the table writes sent to their changelogs
and acknowledged (:meth:`Staged.flush`), then applied in memory; only then is the batch finished and its input
offsets committable. A worker that dies anywhere before that replays the batch against the state it had before it
(repeated outputs are absorbed downstream: the store is idempotent by uri+version, notifications carry stable
ids); a state write never stands for an output that did not leave, and a committed input never stands for a
state write that did not reach its changelog (Faust's own ``send_changelog`` only buffers, and its flush before a
commit gives up after 0.1 s without progress, so it cannot promise that).

Each view prefixes its keys with the partition they belong to, so state stays partition-local whatever the pure
stage's own key is, expiry can find every key's partition, and changelog writes go to that partition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from faust.serializers import codecs

from pipeline.stages.dedupe.entrylog import entry_changes, fold, record_key, split_record_key

_DELETED = object()

#: One changelog record: (topic, partition, key bytes, value bytes or None for a tombstone).
Record = tuple[str, int, bytes, bytes | None]


class Changelog(Protocol):
    """Where table writes go: :meth:`write` returns once the broker acknowledged every record."""

    async def write(self, records: list[Record]) -> None: ...


@dataclass
class StateTable:
    """A changelog-backed table: its data in memory, its changelog topic, and how writes become records.

    ``per_entry`` tables hold dedupe buckets (joined entries) and write one record per changed entry
    (``pipeline.stages.dedupe.entrylog``); the others one record per key. Keys and values are encoded with
    Faust's codecs, as the Faust tables that held this state before wrote them (the changelogs carry over)."""

    topic: str
    data: MutableMapping[str, Any]
    per_entry: bool = False
    key_serializer: str = "json"
    value_serializer: str = "json"

    def records(self, partition: int, key: str, new: Any) -> list[Record]:
        """The changelog records that take ``key`` from its value in :attr:`data` to ``new`` (None: deleted)."""
        if not self.per_entry:
            return [(self.topic, partition, self._key(key), None if new is None else self._value(new))]
        changes = entry_changes(self.data.get(key), new)
        return [(self.topic, partition, self._key(record_key(key, eid)), None if e is None else self._value(e))
                for eid, e in changes]  # fmt: skip

    def _key(self, key: str) -> bytes:
        return bytes(codecs.dumps(self.key_serializer, key))

    def _value(self, value: Any) -> bytes:
        return bytes(codecs.dumps(self.value_serializer, value))

    def decode(self, key: bytes | None, value: bytes | None) -> tuple[str, Any]:
        """A changelog record as :meth:`recover` takes it: (key, value or None for a tombstone)."""
        return (codecs.loads(self.key_serializer, key or b"null"),
                None if value is None else codecs.loads(self.value_serializer, value))  # fmt: skip

    def drop(self, partitions: Iterable[int]) -> int:
        """Forget the keys of ``partitions`` (revoked: their next owner restores them). Returns keys dropped."""
        prefixes = tuple(f"{p}|" for p in partitions)
        if not prefixes:
            return 0
        gone = [k for k in self.data if isinstance(k, str) and k.startswith(prefixes)]
        for key in gone:
            del self.data[key]
        return len(gone)

    def recover(self, records: Iterable[tuple[str, Any]]) -> None:
        """Apply decoded changelog records (key, value or None) in order, as recovery after a restart does."""
        if not self.per_entry:
            for key, value in records:
                if value is None:
                    self.data.pop(key, None)
                else:
                    self.data[key] = value
            return
        by_bucket: dict[str, list[tuple[str, str | None]]] = {}
        for record, value in records:
            key, eid = split_record_key(record)
            by_bucket.setdefault(key, []).append((eid, value))
        for key, changes in by_bucket.items():
            folded = fold(self.data.get(key), changes)
            if folded is None:
                self.data.pop(key, None)
            else:
                self.data[key] = folded


class ProducerChangelog:
    """Changelog records through a producer (:class:`~pipeline.app.producer.LoopProducer`, explicit partition),
    acknowledged."""

    def __init__(self, producer: Callable[[], Awaitable[Any]]) -> None:
        self.producer = producer

    async def write(self, records: list[Record]) -> None:
        if not records:
            return
        producer = await self.producer()
        pending = [await producer.send(topic, key, value, partition, None, None)
                   for topic, partition, key, value in records]  # fmt: skip
        results = await asyncio.gather(*pending, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result


class Staged:
    """Writes to one or more tables held back until :meth:`flush`."""

    def __init__(self) -> None:
        # (table id, key) → (table, partition, value)
        self.writes: dict[tuple[int, str], tuple[StateTable, int, Any]] = {}

    def get(self, table: StateTable, key: str) -> Any:
        hit = self.writes.get((id(table), key))
        return None if hit is None else hit[2]

    def put(self, table: StateTable, partition: int, key: str, value: Any) -> None:
        self.writes[(id(table), key)] = (table, partition, value)

    def keys_for(self, table: StateTable, prefix: str) -> list[str]:
        tid = id(table)
        return [k for (t, k) in self.writes if t == tid and k.startswith(prefix)]

    async def flush(self, changelog: Changelog, order: Sequence[StateTable] = ()) -> int:
        """Send every held write to its changelog partition, wait for the acknowledgements, then apply them in
        memory. Returns the number of keys written.

        ``order``: tables whose records are written one table at a time, in that order, each after the previous
        one's are acknowledged (the other tables' records go first, together). Records of different partitions
        land independently, so a worker that dies during a flush can leave any part of it on the changelogs;
        the order makes "this table's write landed" imply "every earlier table's write landed" (dedupe writes a
        uri's entry only after the bucket entries it stands for).

        A key deleted that the table does not hold (written and deleted within the held writes, e.g. a story that
        waited for its near answers and was decided in the same batch) sends nothing: the table holds every key
        its changelog has a live value for, so there is nothing on the changelog to delete."""
        writes = [(table, partition, key, value) for (_, key), (table, partition, value) in self.writes.items()
                  if value is not _DELETED or key in table.data]  # fmt: skip
        self.writes.clear()
        rank = {id(table): i + 1 for i, table in enumerate(order)}
        phases: list[list[Record]] = [[] for _ in range(len(order) + 1)]
        for table, partition, key, value in writes:
            phases[rank.get(id(table), 0)].extend(table.records(partition, key, None if value is _DELETED else value))
        for records in phases:
            if records:
                await changelog.write(records)
        for table, _, key, value in writes:
            if value is _DELETED:
                table.data.pop(key, None)
            else:
                table.data[key] = value
        return len(writes)


class PartitionView(MutableMapping[str, Any]):
    """The slice of a table that belongs to one partition, writes staged in ``staged``."""

    def __init__(self, table: StateTable, staged: Staged, partition: int) -> None:
        self.table = table
        self.staged = staged
        self.partition = partition
        self.prefix = f"{partition}|"

    def __getitem__(self, key: str) -> Any:
        full = self.prefix + key
        value = self.staged.get(self.table, full)
        if value is _DELETED:
            raise KeyError(key)
        if value is not None:
            return value
        return self.table.data[full]

    def __setitem__(self, key: str, value: Any) -> None:
        self.staged.put(self.table, self.partition, self.prefix + key, value)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self.staged.put(self.table, self.partition, self.prefix + key, _DELETED)

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        n = len(self.prefix)
        keys = {k for k in list(self.table.data.keys()) if isinstance(k, str) and k.startswith(self.prefix)}
        keys.update(self.staged.keys_for(self.table, self.prefix))
        for full in keys:
            if self.staged.get(self.table, full) is not _DELETED:
                yield full[n:]

    def __len__(self) -> int:
        return sum(1 for _ in self)

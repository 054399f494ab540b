"""Faust table state as the pure stages see it: one partition's slice, with writes held back until the outputs
that depend on them are acknowledged.

Why: a worker can die between a table write and the send of the message that write stands for. If the write
reached the changelog first, the replayed message would meet its own state (a story judged a duplicate of
itself) and its output would be lost. Holding writes back turns that window around: outputs first (acked), state
after; a replay then repeats an output, which every consumer downstream absorbs (the store is idempotent by
uri+version, notifications carry stable ids).

Each view prefixes its keys with the partition they belong to, so state stays partition-local whatever the pure
stage's own key is, expiry can find every key's partition, and changelog writes go to that partition.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

_DELETED = object()


class Staged:
    """Writes to one or more Faust tables held back until :meth:`flush`."""

    def __init__(self) -> None:
        self.writes: dict[tuple[int, str], tuple[Any, int, Any]] = {}  # (table id, key) → (table, partition, value)

    def get(self, table: Any, key: str) -> Any:
        hit = self.writes.get((id(table), key))
        return None if hit is None else hit[2]

    def put(self, table: Any, partition: int, key: str, value: Any) -> None:
        self.writes[(id(table), key)] = (table, partition, value)

    def keys_for(self, table: Any, prefix: str) -> list[str]:
        tid = id(table)
        return [k for (t, k) in self.writes if t == tid and k.startswith(prefix)]

    def flush(self) -> int:
        """Apply every held write to its table and send it to the table's changelog partition.

        A key deleted that the table does not hold (written and deleted within the held writes, e.g. a story that
        waited for its near answers and was decided in the same batch) sends nothing: the table holds every key
        its changelog has a live value for, so there is nothing on the changelog to delete."""
        for (_, key), (table, partition, value) in self.writes.items():
            if value is _DELETED:
                if key in table.data:
                    table.data.pop(key, None)
                    table.send_changelog(partition, key, None, value_serializer="raw")
            else:
                table.data[key] = value
                table.send_changelog(partition, key, value)
        n = len(self.writes)
        self.writes.clear()
        return n


class PartitionView(MutableMapping[str, Any]):
    """The slice of a Faust table that belongs to one partition, writes staged in ``staged``."""

    def __init__(self, table: Any, staged: Staged, partition: int) -> None:
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

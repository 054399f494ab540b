"""Which near-probe buckets this worker can answer in-process instead of through `wire.dedupe.near`.

A new story's probe visits several bucket keys (8 on the corpus); through the topics each costs a message to
`wire.dedupe.near`, a probe by the ``dedupe-near`` agent, and an answer on `wire.dedupe.answers` back to the
story's uri partition: 16 messages per story. When the bucket key's partition of `wire.dedupe.near` is one this
worker's ``dedupe-near`` loop holds and has restored, its slice of the near state is in this process, so the dedupe
loop can probe it directly and gather the answer in the same step (:class:`NearRouting` says which keys those are).

What keeps it equal to the topic path:

- the probe, the answer and the relink use the same pure calls (``NearIndex.probe``/``relink``, ``with_answer``,
  ``decide``) on the same table slice, keyed the same way (``"<partition>|<bucket>"``);
- the writes are staged with the rest of the dedupe batch and written only after its outputs are acknowledged;
- one ``asyncio.Lock`` (``Deduper.lock``): every batch step of both loops, expiry, and the restore and drop of a
  partition's state on assignment and revocation hold it, so no one reads a bucket another has staged but not yet
  written, and a partition is answered here only while its state is whole;
- ownership is read once per batch; a key whose partition is unknown (no metadata yet) goes through the topic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

#: Bucket key (as sent, bytes) → its partition of `wire.dedupe.near`, or None when not known.
PartitionOf = Callable[[bytes], "int | None"]


class NearRouting:
    """Per batch: the partitions of `wire.dedupe.near` this worker holds; per key: answer here or send."""

    def __init__(self, partition_of: PartitionOf, enabled: bool = True) -> None:
        self.partition_of = partition_of
        self.enabled = enabled
        self.owned: frozenset[int] = frozenset()

    def refresh(self, owned: Iterable[int]) -> bool:
        """Take the current assignment; returns whether any bucket can be answered here."""
        self.owned = frozenset(owned) if self.enabled else frozenset()
        return bool(self.owned)

    def local(self, key: bytes) -> int | None:
        """The partition of ``key`` when this worker holds it (answer in-process), else None (send the probe)."""
        if not self.owned:
            return None
        try:
            partition = self.partition_of(key)
        except Exception:  # no metadata for the topic yet: the topic path is always right
            return None
        return partition if partition in self.owned else None

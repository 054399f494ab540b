"""Where a stage loop starts each partition, which fetched records it processes and which offsets it commits.

The rule, per partition: records are processed in the order the fetcher returns them, one batch at a time; once a
batch's outputs are acknowledged by the broker the batch is *finished*, and the offset just past its last record may
be committed. Commits run beside the next batches (:meth:`Offsets.to_commit` offers only finished offsets, whenever
it is called), so a batch does not wait for the group coordinator's round trip.
Only fetched records are ever committed past, so offsets that hold no record (a transaction marker, a record
removed by compaction or by retention) are passed without being holes, and no offset that holds a record is passed
before that record was processed.

Why a fetched record is never skipped: aiokafka's ``getmany`` returns a partition's records in log order from its
position and only from there (records buffered before a seek are dropped), and the position is where the partition
was last sought or just past the last record returned. The loop seeks a partition only when it is assigned (to where
the group stands) and after a batch that failed (back to its committed offset); each seek starts a new *epoch*. A
batch carries the epochs of the moment ``getmany`` returned it; if a partition was sought again before the batch is
processed (a rebalance while it waited), its records are not processed, and the fetcher returns them again from the
new position. So the records processed for a partition are, epoch by epoch, exactly the log from the seek on.

This module holds no Kafka and no clock; :class:`pipeline.app.loop.StageLoop` feeds it, and
``tests/unit/test_offsets.py`` drives it against a model of the log and of the fetcher.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)  #: how partitions are named


def start_offset(committed: int | None, log_start: int) -> tuple[int, int]:
    """Where an assigned partition starts, and how many records retention deleted before the group read them.

    ``committed`` is the group's committed offset (``None``: none), ``log_start`` the partition's earliest offset.
    The group continues from its committed offset when the log still holds it, else from the log start."""
    if committed is None or committed < 0:
        return log_start, 0
    if committed < log_start:
        return log_start, log_start - committed
    return committed, 0


@dataclass
class Held:
    """One assigned partition."""

    #: The next offset to process: where the partition was sought, then just past the last record taken.
    next: int
    #: Every record taken below this offset is finished (outputs acknowledged): what may be committed.
    done: int
    #: The offset the group has committed (or the start, before the first commit).
    committed: int
    #: Changes at every seek; a batch fetched under another epoch is not processed.
    epoch: int


class Offsets(Generic[K]):
    """The delivery state of the partitions one consumer holds, keyed by any hashable partition id."""

    def __init__(self) -> None:
        self.held: dict[K, Held] = {}
        self._epochs = itertools.count(1)

    def assigned(self, tp: K, start: int) -> None:
        """``tp`` was assigned and sought to ``start`` (see :func:`start_offset`)."""
        self.held[tp] = Held(next=start, done=start, committed=start, epoch=next(self._epochs))

    def revoked(self, tp: K) -> None:
        self.held.pop(tp, None)

    def epochs(self) -> dict[K, int]:
        """The epoch of every held partition, taken as a fetch returns: pass it to :meth:`take`."""
        return {tp: held.epoch for tp, held in self.held.items()}

    def take(self, tp: K, offsets: Sequence[int], epoch: int | None) -> int:
        """Of the fetched records of ``tp`` at ``offsets`` (ascending, fetched under ``epoch``), the index of the
        first one to process; the ones from there on are processed in this batch (``len(offsets)``: none)."""
        held = self.held.get(tp)
        if held is None or epoch != held.epoch or not offsets:
            return len(offsets)  # revoked, or sought since the fetch: the fetcher returns them again
        first = 0
        while first < len(offsets) and offsets[first] < held.next:
            first += 1  # already taken under this epoch (a fetcher never returns them twice; kept as a guard)
        if first < len(offsets):
            held.next = offsets[-1] + 1
        return first

    def finish(self) -> None:
        """Every record taken so far is finished (the batch's outputs are acknowledged)."""
        for held in self.held.values():
            held.done = held.next

    def to_commit(self) -> dict[K, int]:
        """Per held partition, the offset to commit: past every finished record, beyond the last commit."""
        return {tp: held.done for tp, held in self.held.items() if held.done > held.committed}

    def committed(self, offsets: dict[K, int]) -> None:
        """The group committed ``offsets`` (as returned by :meth:`to_commit`)."""
        for tp, offset in offsets.items():
            held = self.held.get(tp)
            if held is not None and offset > held.committed:
                held.committed = offset

    def failed(self) -> dict[K, int]:
        """A batch failed (or a commit did): every held partition goes back to just past its last finished record
        (the committed offset, or beyond it while a commit is on its way) under a new epoch. Returns where to seek
        each one whose records were taken past that."""
        back: dict[K, int] = {}
        for tp, held in self.held.items():
            if held.next != held.done:
                held.next = held.done
                held.epoch = next(self._epochs)
                back[tp] = held.done
        return back

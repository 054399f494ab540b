"""Which fetched records a consumer may deliver, and which offset it may commit, per partition.

The rule: **commit, per partition, the highest offset below which every fetched record is finished.** An offset the
fetcher never returned because it does not exist (a transaction marker, a record removed by compaction or by
retention) is not a hole; an offset that exists and was not delivered is. This module is that rule as a small state
machine with no Kafka and no clock in it; :class:`pipeline.app.consumer.GaplessConsumer` feeds it.

What makes a jump in offsets a real gap rather than a lost record is where the record came from. The fetcher
returns, for a partition, the records that exist from its fetch position on, in order; the position is where the
partition was last sought, or just past the last record it returned. So a record is *trusted* when it comes from a
fetch made after the partition's last seek (same **epoch**) and every record the fetcher returned before it was
decided here (no **rewind** pending). A trusted record past ``next`` proves the offsets between do not exist. Any
other record past ``next`` is skipped: one fetched before a seek (a stale prefetch), or one that follows records the
framework dropped on their way here (a rebalance broke off its iteration, or it filtered a paused partition out).
After each fetched batch, a partition whose batch reached ``next`` or beyond without delivering up to its end is
marked for a rewind: the consumer seeks it back to ``next`` before its next fetch (a new epoch), so a skipped record
is always fetched again.

On assignment a partition delivers nothing, and nothing is committed for it, until it is sought to where the
group stands (what the fetcher returned before is fetched again from there): its committed offset, or the log
start when it has none or when retention deleted records past it (:func:`start_offset`, which also says how many
were deleted, for the consumer to log).

Delivering a record twice is harmless (the sinks are idempotent); committing past one never delivered is the loss
this module prevents.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Container, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)  #: how partitions are named

_epochs = itertools.count(1)


class Decision(enum.Enum):
    DELIVER = "deliver"  #: hand it to the streams
    SKIP = "skip"  #: already delivered since the last seek, or not trusted (fetched again after a rewind)


@dataclass
class Cursor:
    #: Next offset to deliver; ``None``: assigned, not sought yet (deliver nothing).
    next: int | None = None
    #: Where the commit stands: the offset the partition was sought to, then each offset committed
    #: (``None``: not sought yet, nothing may be committed).
    base: int | None = None
    #: Changes at every seek; a record fetched under another epoch is not trusted.
    epoch: int = field(default_factory=lambda: next(_epochs))
    #: Offsets delivered since ``base``, ascending, not yet committed.
    delivered: list[int] = field(default_factory=list)
    #: Seek back to ``next`` before the next fetch: a record at or past ``next`` was not delivered.
    rewind: bool = False
    #: Offsets between delivered records that do not exist (markers, compaction, retention), since the seek.
    absent: int = 0
    #: When the partition last delivered a record or was sought (monotonic seconds): for :meth:`stalled`.
    progress_at: float = 0.0
    #: Since when the commit has been held at ``hole_at``: delivered, unfinished while later ones are finished.
    hole_since: float | None = None
    hole_at: int | None = None


def start_offset(committed: int | None, log_start: int) -> tuple[int, int]:
    """Where an assigned partition starts, and how many records retention deleted before the group read them.

    ``committed`` is the group's committed offset (``None`` or 0: none), ``log_start`` the partition's earliest
    offset. The group continues from its committed offset when the log still holds it, else from the log start."""
    if committed is None or committed <= 0:
        return log_start, 0
    if committed < log_start:
        return log_start, log_start - committed
    return committed, 0


class GaplessCursors(Generic[K]):
    """Delivery and commit decisions for the partitions a consumer reads, keyed by any hashable partition id."""

    def __init__(self, *, stall_after: float = 5.0, hole_after: float = 30.0) -> None:
        #: A partition with records past ``next`` that delivered nothing for this long is :meth:`stalled`.
        self.stall_after = stall_after
        #: A commit held this long by a delivered, unfinished offset while later ones are finished is :meth:`held`.
        self.hole_after = hole_after
        self.cursors: dict[K, Cursor] = {}

    def assigned(self, tp: K) -> None:
        """The partition was (re)assigned: deliver and commit nothing until it is sought."""
        self.cursors[tp] = Cursor()

    def revoked(self, tp: K) -> None:
        self.cursors.pop(tp, None)

    def sought(self, tp: K, offset: int, now: float) -> None:
        """The fetch position of ``tp`` was set to where the group stands, ``offset``: deliver from there, commit
        from there."""
        self.cursors[tp] = Cursor(next=offset, base=offset, progress_at=now)

    def moved(self, tp: K, offset: int, now: float) -> None:
        """The fetch position of ``tp`` was set back to ``offset`` (a rewind; where the commit stands is kept)."""
        cursor = self.cursors.get(tp)
        if cursor is None:
            return
        cursor.epoch = next(_epochs)
        cursor.rewind = False
        cursor.progress_at = now
        if cursor.next is not None and offset < cursor.next:
            cursor.next = offset
            cursor.delivered = [o for o in cursor.delivered if o < offset]

    def cleared(self, tp: K, finished: Container[int]) -> None:
        """The framework emptied the buffers between the fetcher and the streams: a record delivered and not
        ``finished`` may be gone from them. The partition is sought back to the first such record before the next
        fetch; records that were still being processed are delivered twice, which the sinks absorb."""
        cursor = self.cursors.get(tp)
        if cursor is None or cursor.next is None:
            return
        for offset in cursor.delivered:
            if offset not in finished:
                cursor.next = offset
                cursor.delivered = [o for o in cursor.delivered if o < offset]
                cursor.rewind = True
                return

    def epochs(self) -> dict[K, int]:
        """The epoch of every partition, taken just before a fetch: pass it to :meth:`decide` for its records."""
        return {tp: cursor.epoch for tp, cursor in self.cursors.items()}

    def decide(self, tp: K, offset: int, epoch: int | None, now: float) -> Decision:
        """Deliver or skip the record at ``offset``, fetched under ``epoch`` (``None``: partition not known then)."""
        cursor = self.cursors.get(tp)
        if cursor is None:
            # Never seen assigned (the consumer was not told): follow the fetcher from this offset.
            self.cursors[tp] = Cursor(next=offset + 1)
            return Decision.DELIVER
        if cursor.next is None:
            return Decision.SKIP  # assigned, not sought yet: the seek makes the fetcher read it again
        if offset < cursor.next:
            return Decision.SKIP
        if epoch != cursor.epoch or cursor.rewind:
            return Decision.SKIP  # the end of the batch marks it for a rewind
        if cursor.base is not None:
            cursor.absent += offset - cursor.next
            cursor.delivered.append(offset)
        cursor.next = offset + 1
        cursor.progress_at = now
        return Decision.DELIVER

    def dropped(self, tp: K, offset: int) -> None:
        """The record just delivered at ``offset`` never reached a stream (a suspension of the flow interrupted its
        hand-over): it counts as not delivered, and the partition is sought back to it."""
        cursor = self.cursors.get(tp)
        if cursor is not None and cursor.next == offset + 1:
            cursor.next = offset
            cursor.rewind = True
            if cursor.delivered and cursor.delivered[-1] == offset:
                cursor.delivered.pop()

    def batch_done(self, ends: Mapping[K, int]) -> None:
        """A fetched batch was handed over; ``ends``: the last offset it held per partition. A partition whose batch
        went past what it delivered (records skipped or dropped on the way) is marked for a rewind to ``next``."""
        for tp, end in ends.items():
            cursor = self.cursors.get(tp)
            if cursor is not None and cursor.next is not None and cursor.next <= end:
                cursor.rewind = True

    def rewinds(self) -> list[tuple[K, int]]:
        """``(partition, next offset)`` of each partition to seek back before the next fetch. The consumer calls
        :meth:`moved` once it has sought it."""
        return [(tp, c.next) for tp, c in self.cursors.items() if c.rewind and c.next is not None]

    def commit(self, tp: K, finished: Container[int]) -> int | None:
        """The offset to commit for ``tp`` now, or ``None``: the lowest delivered offset not ``finished``, else
        ``next`` (everything fetched is finished; offsets never fetched do not exist). Only ever moves forward."""
        cursor = self.cursors.get(tp)
        if cursor is None or cursor.base is None or cursor.next is None:
            return None
        done = 0
        for offset in cursor.delivered:
            if offset not in finished:
                break
            done += 1
        top = cursor.delivered[done] if done < len(cursor.delivered) else cursor.next
        del cursor.delivered[:done]
        if top <= cursor.base:
            return None
        cursor.base = top
        return top

    def base(self, tp: K) -> int | None:
        cursor = self.cursors.get(tp)
        return None if cursor is None else cursor.base

    def stalled(self, highwater: Mapping[K, int | None], now: float) -> list[tuple[K, int]]:
        """``(partition, next offset)`` of each sought partition whose log holds records from ``next`` on
        (``highwater``: its end offset as last fetched) and that delivered nothing for ``stall_after`` seconds,
        reported once per ``stall_after``: for the consumer to compare with the fetch position. Not part of the
        rule's correctness: a diagnosis of the framework holding a partition back."""
        found: list[tuple[K, int]] = []
        for tp, cursor in self.cursors.items():
            if cursor.next is None or now - cursor.progress_at < self.stall_after:
                continue
            end = highwater.get(tp)
            if end is not None and end > cursor.next:
                cursor.progress_at = now
                found.append((tp, cursor.next))
        return found

    def held(self, tp: K, finished: Container[int], now: float) -> int | None:
        """The offset to read ``tp`` again from when its commit has been held for ``hole_after`` seconds by a
        delivered offset that was never finished while a later one was: the framework can drop a delivered record
        without finishing it (its stream buffers are cleared in a rebalance). Reported once per ``hole_after``."""
        cursor = self.cursors.get(tp)
        if cursor is None:
            return None
        delivered = cursor.delivered
        hole = delivered[0] if delivered and delivered[0] not in finished else None
        if hole is None or not any(o in finished for o in itertools.islice(delivered, 1, None)):
            cursor.hole_since = cursor.hole_at = None
            return None
        if cursor.hole_since is None or cursor.hole_at != hole:
            cursor.hole_since, cursor.hole_at = now, hole
            return None
        if now - cursor.hole_since < self.hole_after:
            return None
        cursor.hole_since = now
        return hole

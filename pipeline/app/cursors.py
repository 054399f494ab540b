"""Which fetched messages a consumer may deliver, and which offset it may commit: gapless partitions.

The pipeline's own topics are delete-policy and written without transactions, so their offsets have no holes. A
consumer of such a partition must deliver every offset, in order, from the position it was last sought to, and must
never commit an offset past one it has not finished. This module is that rule as a small state machine, with no
Kafka in it; :class:`pipeline.app.consumer.GaplessConsumer` applies it to Faust's consumer.

Faust's own bookkeeping (faust-streaming 0.15) breaks both halves of the rule around rebalances:

- its read offset means "last delivered" in steady state but "next to read" right after a seek, so a message
  fetched before the seek, one past the committed offset, passes as the next one, and the re-fetched message at the
  committed offset is then dropped as already read;
- a message delivered just before a rebalance can set the read offset after the seek to the committed offset;
- its commit rule accepts acked offsets that start one past the committed offset (``min(acked) - committed > 1``),
  so the committed offset can move past an unfinished message;
- it takes any forward jump for a compaction or transaction gap and commits across it;
- when a rebalance suspends its flow while a message is being handed to a stream, its drain loop drops that
  message after counting it as read.

Each of these loses a message. Here a partition is a :class:`Cursor`. After an assignment, until the consumer has
sought the partition to its committed offset, it follows the fetcher (Faust resumes fetching before it seeks, and
those messages may be the only copies the fetcher returns), but nothing can be committed yet. Once sought, it
delivers exactly the next offset, skips what it already delivered and what was fetched before the seek, and asks
for a rewind when the fetch position has really moved on. A jump is only seen when a message arrives, so a partition
whose remaining messages were all fetched before a seek and skipped would wait for the next message written to it;
:meth:`GaplessCursors.stalled` names partitions that have messages past their next offset and delivered nothing for
a while, for the consumer to compare with the fetch position; :meth:`GaplessCursors.held` names partitions whose
commit a delivered but never finished message has held for a while, to be read again from there. Delivering a
message twice is harmless: the sinks are idempotent; committing past one never delivered is the loss this module
prevents.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

#: A partition key (faust's ``TP`` in the consumer; anything hashable in the tests).
K = TypeVar("K", bound=Hashable)


class Decision(enum.Enum):
    DELIVER = "deliver"  #: the next offset: hand it to the streams
    SKIP = "skip"  #: already delivered since the last seek, or fetched before it
    REWIND = "rewind"  #: skip it and seek the partition back to ``Cursor.next``
    CHECK_LOG_START = "check_log_start"  #: jumps persist: ask whether retention moved the log start past ``next``


@dataclass
class Cursor:
    #: Next offset to deliver; ``None``: take the next message the fetcher returns.
    next: int | None = None
    #: The offset the partition was last sought to: where committing may start (``None``: nothing is committed).
    base: int | None = None
    #: When the last seek was made (monotonic seconds).
    sought_at: float = 0.0
    #: When the first jump past ``next`` was seen since the last delivery (monotonic seconds).
    jumping_since: float | None = None
    #: When the partition last delivered a message or was sought (monotonic seconds).
    progress_at: float = 0.0
    #: The fetcher moved past ``next`` without delivering it (flow suspended): seek back to ``next``.
    rewind: bool = False
    #: Since when the commit has been held at ``hole_at``: that offset unfinished while later ones are finished.
    hole_since: float | None = None
    hole_at: int | None = None


class GaplessCursors(Generic[K]):
    """Delivery and commit decisions for gapless partitions, keyed by any hashable partition id."""

    def __init__(
        self, *, reseek_after: float = 1.0, patience: float = 30.0, stall_after: float = 5.0, hole_after: float = 30.0
    ) -> None:
        #: A jump seen this soon after a seek is the stale prefetch: skip it, the seek is taking effect.
        self.reseek_after = reseek_after
        #: Jumps that persist this long make the consumer check whether retention removed the missing offsets.
        self.patience = patience
        #: A partition with messages past ``next`` that delivered nothing for this long is :meth:`stalled`.
        self.stall_after = stall_after
        #: A commit held this long by an offset that is unfinished while later ones are finished is :meth:`held`.
        self.hole_after = hole_after
        self.cursors: dict[K, Cursor] = {}

    def assigned(self, tp: K) -> None:
        """The partition was (re)assigned: follow the fetcher, commit nothing, until it is sought."""
        self.cursors[tp] = Cursor()

    def revoked(self, tp: K) -> None:
        self.cursors.pop(tp, None)

    def sought(self, tp: K, offset: int, now: float) -> None:
        """The fetch position of ``tp`` was set to ``offset``: it is the next offset to deliver, even when following
        the fetcher since the assignment already delivered it: Faust may have dropped those messages from the
        stream buffers it clears while it recovers tables, so they are delivered again (the sinks are idempotent;
        keeping them as delivered lost 19 of 2,000 stories in the worker-kill scenario)."""
        self.cursors[tp] = Cursor(next=offset, base=offset, sought_at=now, progress_at=now)

    def dropped(self, tp: K, offset: int) -> None:
        """The message just delivered at ``offset`` never reached a stream (the suspension interrupted its
        hand-over): ``next`` goes back to it, to be re-read once the flow resumes."""
        cursor = self.cursors.get(tp)
        if cursor is not None and cursor.next == offset + 1:
            cursor.next = offset
            cursor.rewind = True

    def rewinds(self, now: float) -> list[tuple[K, int]]:
        """``(partition, next offset)`` of each partition to seek back to ``next`` (flow resumed); consumed."""
        found: list[tuple[K, int]] = []
        for tp, cursor in self.cursors.items():
            if cursor.rewind and cursor.next is not None:
                cursor.rewind = False
                cursor.sought_at = cursor.progress_at = now
                found.append((tp, cursor.next))
        return found

    def stalled(self, highwater: Callable[[K], int | None], now: float) -> list[tuple[K, int]]:
        """``(partition, next offset)`` of each sought partition whose log holds messages from ``next`` on
        (``highwater``: the partition's end offset as last fetched, or None) and that delivered nothing for
        ``stall_after`` seconds. Each is reported once per ``stall_after`` while it stays so; the consumer seeks it
        back to ``next`` when its fetch position has moved past (a rewind: where committing may start is kept)."""
        found: list[tuple[K, int]] = []
        for tp, cursor in self.cursors.items():
            if cursor.next is None or now - cursor.progress_at < self.stall_after:
                continue
            end = highwater(tp)
            if end is not None and end > cursor.next:
                cursor.progress_at = cursor.sought_at = now
                found.append((tp, cursor.next))
        return found

    def held(self, tp: K, base: int | None, lowest_finished: int | None, now: float) -> int | None:
        """The offset to read ``tp`` again from, when its commit has been held for ``hole_after`` seconds by an
        offset that was delivered and never finished while later ones were: ``base`` (the next offset the group
        has not finished) below ``lowest_finished`` (the lowest finished offset not yet committed). Faust can drop
        a delivered message without finishing it (its stream buffers are cleared in a rebalance); this is the net
        under every such path. Reported once per ``hole_after`` while the hole stays; None otherwise."""
        cursor = self.cursors.get(tp)
        if cursor is None:
            return None
        if base is None or lowest_finished is None or lowest_finished <= base:
            cursor.hole_since = cursor.hole_at = None
            return None
        if cursor.hole_since is None or cursor.hole_at != base:
            cursor.hole_since, cursor.hole_at = now, base
            return None
        if now - cursor.hole_since < self.hole_after:
            return None
        cursor.hole_since = now
        return base

    def decide(self, tp: K, offset: int, now: float) -> Decision:
        cursor = self.cursors.get(tp)
        if cursor is None:
            # Never seen assigned (the consumer was not told): follow the fetcher from this offset.
            self.cursors[tp] = Cursor(next=offset + 1, base=offset, sought_at=now, progress_at=now)
            return Decision.DELIVER
        if cursor.next is None:
            cursor.next = offset + 1  # assigned, not sought yet: follow the fetcher
            cursor.sought_at = cursor.progress_at = now
            return Decision.DELIVER
        if offset < cursor.next:
            return Decision.SKIP
        if offset == cursor.next:
            cursor.next += 1
            cursor.jumping_since = None
            cursor.progress_at = now
            return Decision.DELIVER
        if cursor.jumping_since is None:
            cursor.jumping_since = now
        if now - cursor.jumping_since >= self.patience:
            cursor.jumping_since = now
            return Decision.CHECK_LOG_START
        if now - cursor.sought_at >= self.reseek_after:
            cursor.sought_at = now
            return Decision.REWIND
        return Decision.SKIP

    def base(self, tp: K) -> int | None:
        cursor = self.cursors.get(tp)
        return None if cursor is None else cursor.base


def next_commit(acked: list[int], base: int | None) -> int | None:
    """The offset to commit after the acked offsets of one partition, or ``None``; consumes what it commits.

    ``acked`` is sorted in place; ``base`` is the next offset the group has not finished (the committed offset, or
    where the partition was sought). Only a run of acked offsets starting exactly at ``base`` can be committed.
    """
    if base is None or not acked:
        return None
    acked.sort()
    stale = 0
    while stale < len(acked) and acked[stale] < base:
        stale += 1
    del acked[:stale]
    if not acked or acked[0] != base:
        return None
    end = 1
    while end < len(acked) and acked[end] - acked[end - 1] <= 1:
        end += 1
    top = acked[end - 1]
    del acked[:end]
    return top + 1

"""Two stalls of the delivery rule, driven through the real ``cursors`` functions the way the consumer applies them.

Expected to fail until the rule commits, per partition, the highest offset below which every *fetched* record is
finished (offsets that hold no record are not holes), and an assigned partition starts from its committed offset or,
when retention deleted records past it, from the log start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from pipeline.app.cursors import Decision, GaplessCursors, next_commit

TP = ("wire.raw", 0)
STEP_S = 0.1


@dataclass
class Consumer:
    """One partition read by ``GaplessConsumer``: a fetcher over a log, the cursor, instant acks and commits.

    ``records`` are the offsets that hold a record; offsets between them are transaction markers or were removed by
    compaction; ``log_start`` is where retention left the log. The commit base is the consumer's ``_commit_base``:
    the group's committed offset, else where the partition was sought."""

    records: list[int]
    committed: int
    log_start: int = 0
    cursors: GaplessCursors = field(default_factory=GaplessCursors)
    position: int = 0
    now: float = 0.0
    acked: list[int] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)
    rewinds: int = 0
    commits: int = 0

    def __post_init__(self) -> None:
        self.cursors.assigned(TP)
        self.seek(self.committed)  # seek_to_committed: a committed offset above 0 is sought as it is

    def seek(self, offset: int) -> None:
        self.position = offset
        self.cursors.sought(TP, offset, self.now)

    def run(self, seconds: float) -> None:
        while self.now < seconds:
            self.now += STEP_S
            if self.position < self.log_start:
                self.position = self.log_start  # out of range: the fetcher resets to the earliest offset
            batch = [o for o in self.records if o >= self.position][:4]
            if batch:
                self.position = batch[-1] + 1
            for offset in batch:
                decision = self.cursors.decide(TP, offset, self.now)
                if decision is Decision.DELIVER:
                    self.delivered.append(offset)
                    self.acked.append(offset)
                    continue
                if decision is Decision.SKIP:
                    continue
                expected = self.cursors.cursors[TP].next
                assert expected is not None
                self.rewinds += 1
                if decision is Decision.CHECK_LOG_START and self.log_start > expected:
                    self.seek(self.log_start)  # the consumer continues from the log start
                else:
                    self.position = expected  # a rewind keeps where committing may start
                break
            base = self.committed  # _commit_base: the committed offset first
            commit = next_commit(self.acked, base)
            if commit is not None:
                self.committed = commit
                self.commits += 1
            if round(self.now / STEP_S) % 10 == 0:  # the consumer's stall check, once a second
                end = self.records[-1] + 1 if self.records else self.log_start
                for _, expected in self.cursors.stalled(lambda _tp, end=end: end, self.now):
                    if self.position != expected:
                        self.rewinds += 1
                        self.position = expected
            hole = self.cursors.held(TP, base, min(self.acked) if self.acked else None, self.now)
            if hole is not None:
                self.rewinds += 1
                self.seek(hole)


@pytest.mark.xfail(strict=True, reason="a real offset gap (transaction marker or compacted offset) is taken for a "
                                       "hole: the partition rewinds for ever and its commit never passes the gap")
def test_a_transaction_marker_does_not_stop_the_partition() -> None:
    # A trusted producer writes wire.raw transactionally: offset 2 holds a commit marker, never fetched.
    consumer = Consumer(records=[0, 1, 3, 4, 5, 6, 7, 8, 9], committed=0)
    consumer.run(120)
    assert (consumer.committed, sorted(set(consumer.delivered))) == (10, consumer.records), (
        f"{len(set(consumer.delivered))} delivered, {consumer.rewinds} rewinds, committed {consumer.committed}")


@pytest.mark.xfail(strict=True, reason="a compacted offset is taken for a hole: the partition stops at it")
def test_a_compacted_offset_does_not_stop_the_partition() -> None:
    consumer = Consumer(records=[0, 1, 2, 5, 6], committed=0)
    consumer.run(120)
    assert consumer.committed == 7, f"{consumer.rewinds} rewinds, committed {consumer.committed}"


@pytest.mark.xfail(strict=True, reason="retention deleted records past the committed offset: the stale committed "
                                       "offset stays the commit base, nothing is committed and the partition is "
                                       "re-read every 30 s")
def test_retention_past_the_committed_offset_does_not_livelock() -> None:
    # The group committed 40; retention has since deleted everything below 100.
    consumer = Consumer(records=list(range(100, 110)), committed=40, log_start=100)
    consumer.run(600)
    assert consumer.committed == 110, f"{consumer.commits} commits, {consumer.rewinds} rewinds in 600 s"


def test_the_model_passes_on_a_log_without_gaps() -> None:
    # The same model on a log with no gap: the two tests above fail on the gap, not on the model.
    consumer = Consumer(records=list(range(10)), committed=0)
    consumer.run(120)
    assert consumer.committed == 10
    assert consumer.rewinds == 0

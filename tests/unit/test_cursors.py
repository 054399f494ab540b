"""Gapless partitions: every offset delivered in order from the last seek, commits only over finished offsets."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.app.cursors import Decision, GaplessCursors, next_commit

TP = ("wire.normalised", 6)


def test_an_assigned_partition_follows_the_fetcher_but_commits_nothing_until_it_is_sought() -> None:
    cursors = GaplessCursors()
    cursors.assigned(TP)
    assert [cursors.decide(TP, o, now=0) for o in (700, 701, 703)] == [
        Decision.DELIVER, Decision.DELIVER, Decision.SKIP,
    ]  # fmt: skip
    assert cursors.base(TP) is None
    cursors.sought(TP, 696, now=0)
    assert cursors.base(TP) == 696
    assert [cursors.decide(TP, o, now=0) for o in (696, 697)] == [Decision.DELIVER, Decision.DELIVER]


def test_what_following_delivered_before_the_seek_is_delivered_again() -> None:
    # A worker restart: the fetcher delivers 16 and 17 (followed) before the group's committed offset 16 is read and
    # the partition sought there. Faust may have dropped them while it recovered its tables: read them again.
    cursors = GaplessCursors()
    cursors.assigned(TP)
    assert [cursors.decide(TP, o, now=0) for o in (16, 17)] == [Decision.DELIVER] * 2
    cursors.sought(TP, 16, now=0.1)
    assert [cursors.decide(TP, o, now=0.2) for o in (16, 17, 18)] == [Decision.DELIVER] * 3


def test_a_prefetched_message_one_past_the_committed_offset_is_not_taken_for_the_next_one() -> None:
    # The loss seen in the rebalance scenario: committed 696, a stale 697 arrives first, then the re-fetched 696.
    cursors = GaplessCursors()
    cursors.assigned(TP)
    cursors.sought(TP, 696, now=10)
    assert cursors.decide(TP, 697, now=10.1) is Decision.SKIP
    assert cursors.decide(TP, 696, now=10.2) is Decision.DELIVER
    assert cursors.decide(TP, 697, now=10.3) is Decision.DELIVER


def test_what_was_delivered_since_the_seek_is_skipped() -> None:
    cursors = GaplessCursors()
    cursors.sought(TP, 5, now=0)
    assert [cursors.decide(TP, o, now=0) for o in (5, 6, 5, 6, 7)] == [
        Decision.DELIVER, Decision.DELIVER, Decision.SKIP, Decision.SKIP, Decision.DELIVER,
    ]  # fmt: skip


def test_a_jump_long_after_the_seek_rewinds_and_a_lasting_one_checks_the_log_start() -> None:
    cursors = GaplessCursors(reseek_after=1.0, patience=30.0)
    cursors.sought(TP, 5, now=0)
    assert cursors.decide(TP, 5, now=0) is Decision.DELIVER
    assert cursors.decide(TP, 9, now=0.5) is Decision.SKIP  # right after the seek: the stale prefetch
    assert cursors.decide(TP, 9, now=2.0) is Decision.REWIND
    assert cursors.decide(TP, 10, now=2.5) is Decision.SKIP  # the rewind is taking effect
    assert cursors.decide(TP, 12, now=31.0) is Decision.CHECK_LOG_START
    assert cursors.decide(TP, 6, now=31.5) is Decision.DELIVER


def test_a_partition_whose_last_messages_were_skipped_as_stale_prefetch_is_reported_stalled() -> None:
    # Sought to 798; the fetcher hands over 900..1121 fetched before the seek (skipped), and nothing newer is
    # written: no further message arrives to show the jump, so only the idle check can find it.
    cursors = GaplessCursors(reseek_after=1.0, stall_after=5.0)
    cursors.sought(TP, 798, now=100)
    assert {cursors.decide(TP, o, now=100.2) for o in range(900, 1122)} == {Decision.SKIP}
    end = {TP: 1122}
    assert cursors.stalled(end.get, now=104) == []  # not idle long enough yet
    assert cursors.stalled(end.get, now=105.5) == [(TP, 798)]
    assert cursors.stalled(end.get, now=106) == []  # reported once per stall_after
    assert cursors.base(TP) == 798  # a rewind keeps where committing may start
    assert cursors.decide(TP, 1000, now=106.1) is Decision.SKIP  # the rest of the stale batch, after the rewind
    assert cursors.decide(TP, 798, now=106.2) is Decision.DELIVER


def test_a_partition_that_delivers_or_has_nothing_more_is_not_stalled() -> None:
    cursors = GaplessCursors(stall_after=5.0)
    cursors.sought(TP, 10, now=0)
    assert cursors.stalled({TP: 10}.get, now=60) == []  # at the end of the log: nothing to wait for
    assert cursors.stalled({}.get, now=60) == []  # end not known yet
    assert cursors.decide(TP, 10, now=58) is Decision.DELIVER
    assert cursors.stalled({TP: 20}.get, now=60) == []  # delivered 2 s ago
    cursors.assigned(("wire.raw", 0))  # assigned, not sought: follows the fetcher, never stalled
    assert cursors.stalled({TP: 20, ("wire.raw", 0): 5}.get, now=600) == [(TP, 11)]


def test_a_delivered_message_the_suspension_dropped_is_delivered_again() -> None:
    cursors = GaplessCursors()
    cursors.sought(TP, 10, now=0)
    assert cursors.decide(TP, 10, now=0) is Decision.DELIVER
    assert cursors.decide(TP, 11, now=0) is Decision.DELIVER
    cursors.dropped(TP, 10)  # not the last one delivered: nothing to undo
    assert cursors.rewinds(now=1) == []
    cursors.dropped(TP, 11)
    assert cursors.rewinds(now=1) == [(TP, 11)]
    assert cursors.rewinds(now=1) == []  # consumed
    assert cursors.decide(TP, 11, now=1.1) is Decision.DELIVER
    assert cursors.base(TP) == 10


def test_an_untracked_partition_follows_the_fetcher() -> None:
    cursors = GaplessCursors()
    assert [cursors.decide(TP, o, now=0) for o in (40, 41, 43)] == [Decision.DELIVER, Decision.DELIVER, Decision.SKIP]


def test_commit_starts_exactly_at_the_committed_offset() -> None:
    assert next_commit([697, 698], 696) is None  # Faust's rule (min - committed > 1) commits 699 here
    acked = [698, 696, 697, 700]
    assert next_commit(acked, 696) == 699
    assert acked == [700]
    assert next_commit([0, 1], None) is None
    assert next_commit([1, 2], 0) is None
    acked = [3, 4, 5, 5, 6]
    assert next_commit(acked, 5) == 7  # below the committed offset: already done; repeats are harmless
    assert acked == []


@dataclass
class Partition:
    """One partition of a gapless topic as a Faust worker sees it, with the stale deliveries Faust makes."""

    size: int
    cursors: GaplessCursors = field(default_factory=GaplessCursors)
    committed: int = 0
    position: int = 0
    now: float = 0.0
    fetched: deque[int] = field(default_factory=deque)  # fetched, not yet decided (survives seeks: stale)
    in_flight: deque[int] = field(default_factory=deque)  # delivered, not finished
    acked: list[int] = field(default_factory=list)
    finished: set[int] = field(default_factory=set)
    awaiting_seek: bool = False

    def __post_init__(self) -> None:
        self.cursors.assigned(TP)
        self.seek_to_committed()

    def seek_to_committed(self) -> None:
        self.position = self.committed
        self.cursors.sought(TP, self.committed, self.now)
        self.awaiting_seek = False

    def step(self, action: int, amount: int) -> None:
        self.now += 0.3
        if action == 0 and self.position < self.size:  # the fetcher reads ahead
            upto = min(self.size, self.position + amount)
            self.fetched.extend(range(self.position, upto))
            self.position = upto
        elif action == 1 and self.fetched:  # the consumer decides on the oldest fetched message
            offset = self.fetched.popleft()
            decision = self.cursors.decide(TP, offset, self.now)
            if decision is Decision.DELIVER:
                self.in_flight.append(offset)
            elif decision in (Decision.REWIND, Decision.CHECK_LOG_START):
                next_ = self.cursors.cursors[TP].next
                assert next_ is not None
                self.position = next_
        elif action == 2 and self.in_flight:  # the agent finishes a message, not always the oldest one
            offset = self.in_flight[amount % len(self.in_flight)]
            self.in_flight.remove(offset)
            self.finished.add(offset)
            if offset >= self.committed:  # Faust keeps acks at or above the committed offset
                self.acked.append(offset)
        elif action == 3:
            self.commit()
        elif action == 4:  # a rebalance that keeps the partition: acks are dropped, the seek may come later
            self.commit()
            self.acked.clear()
            self.cursors.assigned(TP)
            self.awaiting_seek = True
        elif action == 5 and self.awaiting_seek:
            self.seek_to_committed()

    def commit(self) -> None:
        # Until the seek after an assignment the consumer knows no committed offset (Faust dropped it on revoke).
        offset = next_commit(self.acked, None if self.awaiting_seek else self.committed)
        if offset is not None:
            assert offset > self.committed
            self.committed = offset
        missing = set(range(self.committed)) - self.finished
        assert not missing, f"committed {self.committed} past unfinished offsets {sorted(missing)[:5]}"

    def drain(self) -> None:
        """No more faults: keep the consumer running until everything is committed."""
        if self.awaiting_seek:
            self.seek_to_committed()
        for _ in range(20 * self.size + 100):
            if self.committed == self.size:
                return
            for action in (0, 1, 1, 1, 2, 2, 2, 3):
                self.step(action, 4)
        raise AssertionError(f"stuck at {self.committed}/{self.size}")


@settings(max_examples=300, deadline=None)
@given(size=st.integers(1, 40),
       steps=st.lists(st.tuples(st.integers(0, 5), st.integers(1, 8)), max_size=200))  # fmt: skip
def test_no_offset_is_committed_unfinished_and_every_offset_is_finished(size: int,
                                                                       steps: list[tuple[int, int]]) -> None:
    partition = Partition(size)
    for action, amount in steps:
        partition.step(action, amount)
    partition.drain()
    assert partition.finished == set(range(size))


def test_a_commit_held_by_a_delivered_but_unfinished_offset_is_read_again_from_it() -> None:
    # Committed 2; 3..268 finished, 2 never (Faust dropped it): after hole_after, read again from 2, once a period.
    cursors = GaplessCursors(hole_after=30.0)
    cursors.sought(TP, 2, now=0)
    assert cursors.held(TP, base=2, lowest_finished=3, now=1) is None  # the hole is noticed
    assert cursors.held(TP, base=2, lowest_finished=3, now=20) is None  # may still be in flight
    assert cursors.held(TP, base=2, lowest_finished=3, now=31) == 2
    assert cursors.held(TP, base=2, lowest_finished=3, now=40) is None
    assert cursors.held(TP, base=2, lowest_finished=3, now=61) == 2


def test_a_commit_that_moves_or_has_nothing_finished_ahead_is_not_held() -> None:
    cursors = GaplessCursors(hole_after=30.0)
    cursors.sought(TP, 2, now=0)
    assert cursors.held(TP, base=2, lowest_finished=None, now=100) is None  # nothing finished: a slow message
    assert cursors.held(TP, base=2, lowest_finished=2, now=101) is None  # the next commit takes it
    assert cursors.held(TP, base=2, lowest_finished=5, now=102) is None
    assert cursors.held(TP, base=4, lowest_finished=5, now=131) is None  # the commit moved: a new hole, from now
    assert cursors.held(TP, base=4, lowest_finished=5, now=162) == 4
    assert cursors.held(TP, base=None, lowest_finished=5, now=300) is None  # not sought: nothing committed yet
    assert cursors.held(("other", 0), base=0, lowest_finished=5, now=300) is None  # not tracked

"""The stage loop's delivery rule (`pipeline/app/offsets.py`), driven against a model of a Kafka partition log, of
aiokafka's fetcher (records only from the position, in order; markers and removed records never returned) and of
the consumer group (committed offsets, rebalances, crashes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pipeline.app.offsets import Offsets, start_offset

PARTITIONS = (0, 1)


@dataclass
class Log:
    """One partition: each offset holds a record (True) or not (False: a transaction marker, or removed by
    compaction); offsets below ``start`` were deleted by retention."""

    slots: list[bool] = field(default_factory=list)
    start: int = 0

    @property
    def end(self) -> int:
        return len(self.slots)

    def records(self) -> list[int]:
        return [o for o in range(self.start, self.end) if self.slots[o]]

    def holds(self, offset: int) -> bool:
        return self.start <= offset < self.end and self.slots[offset]


class Fetcher:
    """aiokafka's fetcher as the loop sees it: per assigned partition a position; ``getmany`` returns the records
    that exist from the position on, in order, and moves the position past the last one (or past trailing markers);
    a position retention overtook restarts at the log start (``auto_offset_reset="earliest"``)."""

    def __init__(self, logs: dict[int, Log]) -> None:
        self.logs = logs
        self.position: dict[int, int] = {}

    def seek(self, tp: int, offset: int) -> None:
        self.position[tp] = offset

    def getmany(self, most: int) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for tp, position in self.position.items():
            log = self.logs[tp]
            position = max(position, log.start)
            batch = [o for o in range(position, log.end) if log.slots[o]][:most]
            self.position[tp] = batch[-1] + 1 if batch else log.end  # past trailing markers too
            if batch:
                out[tp] = batch
        return out


def start(offsets: Offsets[int], fetcher: Fetcher, tp: int, committed: int | None, log: Log) -> int:
    """What the loop's assignment listener does: seek to where the group stands."""
    offset, _deleted = start_offset(committed, log.start)
    fetcher.seek(tp, offset)
    offsets.assigned(tp, offset)
    return offset


def test_a_transaction_marker_is_not_a_hole() -> None:
    # The first stall of the old rule: a marker at offset 2 stopped the partition (2 of 9 delivered, commit stuck).
    log = Log([True, True, False, True, True, True, True, True, True, True])
    offsets: Offsets[int] = Offsets()
    fetcher = Fetcher({0: log})
    start(offsets, fetcher, 0, None, log)
    processed: list[int] = []
    for _ in range(3):
        fetched = fetcher.getmany(4)
        epochs = offsets.epochs()
        for tp, batch in fetched.items():
            processed += batch[offsets.take(tp, batch, epochs[tp]):]
        offsets.finish()
        commit = offsets.to_commit()
        offsets.committed(commit)
    assert processed == [0, 1, 3, 4, 5, 6, 7, 8, 9]
    assert offsets.held[0].committed == 10


def test_retention_past_the_committed_offset_starts_from_the_log_start_with_the_count() -> None:
    # The second stall of the old rule: the stale committed offset was preferred, nothing committed (livelock).
    assert start_offset(5, 50) == (50, 45)
    assert start_offset(60, 50) == (60, 0)
    assert start_offset(None, 50) == (50, 0)
    assert start_offset(0, 0) == (0, 0)
    log = Log([True] * 60, start=50)
    offsets: Offsets[int] = Offsets()
    fetcher = Fetcher({0: log})
    assert start(offsets, fetcher, 0, 5, log) == 50
    fetched = fetcher.getmany(100)
    assert offsets.take(0, fetched[0], offsets.epochs()[0]) == 0
    assert offsets.to_commit() == {}  # taken, not finished
    offsets.finish()
    assert offsets.to_commit() == {0: 60}


def test_a_batch_fetched_before_a_partition_was_sought_again_is_not_processed() -> None:
    offsets: Offsets[int] = Offsets()
    offsets.assigned(0, 10)
    stale = offsets.epochs()[0]
    offsets.revoked(0)
    offsets.assigned(0, 10)  # a rebalance while the batch waited
    assert offsets.take(0, [10, 11], stale) == 2
    offsets.finish()
    assert offsets.to_commit() == {}
    assert offsets.take(0, [10, 11], offsets.epochs()[0]) == 0
    offsets.finish()
    assert offsets.to_commit() == {0: 12}


def test_a_revoked_partition_is_neither_processed_nor_committed() -> None:
    offsets: Offsets[int] = Offsets()
    offsets.assigned(0, 3)
    epochs = offsets.epochs()
    offsets.revoked(0)
    assert offsets.take(0, [3, 4], epochs[0]) == 2
    offsets.finish()
    assert offsets.to_commit() == {}


def test_a_failed_batch_goes_back_to_the_commit_and_is_read_again() -> None:
    offsets: Offsets[int] = Offsets()
    offsets.assigned(0, 3)
    offsets.assigned(1, 0)
    epochs = offsets.epochs()
    assert offsets.take(0, [3, 4, 5], epochs[0]) == 0
    assert offsets.failed() == {0: 3}  # partition 1 took nothing: no seek
    assert offsets.to_commit() == {}
    assert offsets.take(0, [3, 4, 5], epochs[0]) == 3  # the fetch before the seek back
    assert offsets.take(0, [3, 4, 5], offsets.epochs()[0]) == 0
    offsets.finish()
    assert offsets.to_commit() == {0: 6}


def test_a_commit_still_on_its_way_is_not_read_again_after_a_failure() -> None:
    offsets: Offsets[int] = Offsets()
    offsets.assigned(0, 0)
    assert offsets.take(0, [0, 1, 2], offsets.epochs()[0]) == 0
    offsets.finish()
    sent = offsets.to_commit()
    assert sent == {0: 3}  # the commit is on its way; the next batch is taken meanwhile
    assert offsets.take(0, [3, 4], offsets.epochs()[0]) == 0
    assert offsets.to_commit() == {0: 3}  # 3 and 4 are taken, not finished: never offered
    assert offsets.failed() == {0: 3}  # back past the finished records only
    offsets.committed(sent)
    assert offsets.to_commit() == {}


def test_the_commit_only_moves_forward() -> None:
    offsets: Offsets[int] = Offsets()
    offsets.assigned(0, 7)
    offsets.committed({0: 9})
    offsets.committed({0: 8})
    assert offsets.held[0].committed == 9


class LoopModel(RuleBasedStateMachine):
    """The loop, its group and the logs under fetches, batches (finished or failed), rebalances with a batch in
    hand, crashes, transaction markers, compaction and retention.

    After every step: no record that is in the log below the group's committed offset is unfinished (nothing
    committed before it is finished). At the end, with the faults over: every record in the log gets finished and
    the commit reaches the end of the last record (nothing skipped, no partition stuck)."""

    def __init__(self) -> None:
        super().__init__()
        self.logs = {tp: Log() for tp in PARTITIONS}
        self.group: dict[int, int] = {}  # the group's committed offsets
        self.finished: dict[int, set[int]] = {tp: set() for tp in PARTITIONS}
        self.new_consumer()

    def new_consumer(self) -> None:
        self.sending: dict[int, int] | None = None  # a commit on its way (lost with the consumer that sent it)
        self.offsets: Offsets[int] = Offsets()
        self.fetcher = Fetcher(self.logs)
        self.in_hand: tuple[dict[int, list[int]], dict[int, int]] | None = None
        for tp in PARTITIONS:
            start(self.offsets, self.fetcher, tp, self.group.get(tp), self.logs[tp])

    # The log.

    @rule(tp=st.sampled_from(PARTITIONS), n=st.integers(1, 6))
    def append(self, tp: int, n: int) -> None:
        self.logs[tp].slots.extend([True] * n)

    @rule(tp=st.sampled_from(PARTITIONS), n=st.integers(1, 4))
    def transaction(self, tp: int, n: int) -> None:
        self.logs[tp].slots.extend([True] * n + [False])  # the records, then the commit marker

    @rule(tp=st.sampled_from(PARTITIONS), data=st.data())
    def compact(self, tp: int, data: st.DataObject) -> None:
        log = self.logs[tp]
        if log.end - log.start > 1:
            offset = data.draw(st.integers(log.start, log.end - 2))  # compaction keeps the latest record
            log.slots[offset] = False

    @rule(tp=st.sampled_from(PARTITIONS), n=st.integers(1, 8))
    def retention(self, tp: int, n: int) -> None:
        log = self.logs[tp]
        log.start = min(log.end, log.start + n)

    # The loop.

    @rule(most=st.integers(1, 5))
    def fetch(self, most: int) -> None:
        if self.in_hand is None:
            fetched = self.fetcher.getmany(most)
            self.in_hand = (fetched, self.offsets.epochs())

    def take(self) -> dict[int, list[int]]:
        assert self.in_hand is not None
        fetched, epochs = self.in_hand
        self.in_hand = None
        return {tp: batch[self.offsets.take(tp, batch, epochs.get(tp)):] for tp, batch in fetched.items()}

    @precondition(lambda self: self.in_hand is not None)
    @rule()
    def finish_batch(self) -> None:
        for tp, records in self.take().items():
            self.finished[tp].update(records)
        self.offsets.finish()

    @precondition(lambda self: self.in_hand is not None)
    @rule(done=st.integers(0, 3))
    def fail_batch(self, done: int) -> None:
        for tp, records in self.take().items():
            self.finished[tp].update(records[:done])  # processed before the failure; nothing acknowledged
        self.seek_back()

    def seek_back(self) -> None:
        for tp, offset in self.offsets.failed().items():
            self.fetcher.seek(tp, offset)

    # The commits, beside the loop: one on its way at a time, started at any moment, landing or failing later.

    @precondition(lambda self: self.sending is None)
    @rule()
    def send_commit(self) -> None:
        self.sending = self.offsets.to_commit() or None

    @precondition(lambda self: self.sending is not None)
    @rule()
    def commit_lands(self) -> None:
        assert self.sending is not None
        self.group.update(self.sending)
        self.offsets.committed(self.sending)
        self.sending = None

    @precondition(lambda self: self.sending is not None)
    @rule()
    def commit_fails(self) -> None:
        self.sending = None
        self.seek_back()

    def commit(self) -> None:
        """What the revoke listener and the stop do: wait for the commit on its way, commit what is finished."""
        if self.sending is not None:
            self.commit_lands()
        self.send_commit()
        if self.sending is not None:
            self.commit_lands()

    @rule(moved=st.sets(st.sampled_from(PARTITIONS), min_size=1))
    def rebalance(self, moved: set[int]) -> None:
        """The listener waits for the batch being processed (none: a batch in hand waits for the lock, after the
        rebalance), commits, lets ``moved`` go; another member may read them meanwhile; they come back."""
        self.commit()
        for tp in moved:
            self.offsets.revoked(tp)
            del self.fetcher.position[tp]
        for tp in moved:
            start(self.offsets, self.fetcher, tp, self.group.get(tp), self.logs[tp])

    @rule()
    def crash(self) -> None:
        self.new_consumer()  # what was not committed is read again from the group's offsets

    @invariant()
    def nothing_committed_before_it_is_finished(self) -> None:
        for tp, committed in self.group.items():
            log = self.logs[tp]
            unfinished = [o for o in log.records() if o < committed and o not in self.finished[tp]]
            assert not unfinished, f"partition {tp} committed at {committed} past unfinished {unfinished}"

    def teardown(self) -> None:
        for _ in range(2 * sum(log.end for log in self.logs.values()) + 4):
            if self.in_hand is None:
                self.fetch(5)
            self.finish_batch()
            self.commit()
        for tp, log in self.logs.items():
            records = log.records()
            missing = [o for o in records if o not in self.finished[tp]]
            assert not missing, f"partition {tp}: records never processed {missing}"
            if records:
                assert self.group.get(tp, 0) >= records[-1] + 1, f"partition {tp} stuck at {self.group.get(tp)}"


LoopModel.TestCase.settings = settings(max_examples=300, stateful_step_count=50, deadline=None)
test_the_loop_model = LoopModel.TestCase

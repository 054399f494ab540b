"""The delivery rule: every fetched record delivered, commits only below finished offsets, real gaps are not holes."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from pipeline.app.cursors import Decision, GaplessCursors, start_offset

Key = tuple[str, int]
TP: Key = ("wire.normalised", 6)


def deliver_all(cursors: GaplessCursors[Key], offsets: list[int], now: float = 0.0) -> list[Decision]:
    epoch = cursors.epochs().get(TP)
    decisions = [cursors.decide(TP, o, epoch, now) for o in offsets]
    cursors.batch_done({TP: offsets[-1]})
    return decisions


def test_an_assigned_partition_delivers_and_commits_nothing_until_it_is_sought() -> None:
    # Faust resumes fetching a moment before it seeks; the seek makes the fetcher read those records again.
    cursors: GaplessCursors[Key] = GaplessCursors()
    cursors.assigned(TP)
    assert deliver_all(cursors, [700, 701, 703]) == [Decision.SKIP] * 3
    assert cursors.rewinds() == []  # the seek comes
    assert cursors.commit(TP, {700, 701, 703}) is None
    cursors.sought(TP, 696, now=0)
    assert cursors.base(TP) == 696
    assert deliver_all(cursors, [696, 697]) == [Decision.DELIVER, Decision.DELIVER]
    assert cursors.commit(TP, {696, 697}) == 698


def test_an_untracked_partition_follows_the_fetcher() -> None:
    cursors: GaplessCursors[Key] = GaplessCursors()
    assert cursors.decide(TP, 40, None, now=0) is Decision.DELIVER
    assert cursors.decide(TP, 41, None, now=0) is Decision.SKIP  # not fetched under a known epoch
    assert cursors.commit(TP, {40}) is None  # never sought: nothing committed


def test_a_record_fetched_before_the_seek_is_skipped_and_the_partition_sought_back() -> None:
    # The loss once seen in the rebalance scenario: committed 696, a prefetched 697 is handed over after the seek.
    cursors: GaplessCursors[Key] = GaplessCursors()
    cursors.assigned(TP)
    stale = cursors.epochs()[TP]
    cursors.sought(TP, 696, now=10)
    assert cursors.decide(TP, 697, stale, now=10.1) is Decision.SKIP
    cursors.batch_done({TP: 697})
    assert cursors.rewinds() == [(TP, 696)]
    cursors.moved(TP, 696, now=10.2)
    assert cursors.rewinds() == []
    assert deliver_all(cursors, [696, 697]) == [Decision.DELIVER] * 2
    assert cursors.commit(TP, {697}) is None  # 696 not finished: nothing moves
    assert cursors.commit(TP, {696, 697}) == 698


def test_records_a_rebalance_kept_from_the_consumer_are_read_again() -> None:
    # Faust broke off its iteration of the batch 5..9 after 5 and 6: 7..9 never reached the rule.
    cursors: GaplessCursors[Key] = GaplessCursors()
    cursors.sought(TP, 5, now=0)
    epoch = cursors.epochs()[TP]
    assert [cursors.decide(TP, o, epoch, now=0) for o in (5, 6)] == [Decision.DELIVER] * 2
    cursors.batch_done({TP: 9})
    assert cursors.rewinds() == [(TP, 7)]
    # Until it is sought back, the fetcher's next batch (10..) must not pass as a real gap over 7..9.
    assert cursors.decide(TP, 10, cursors.epochs()[TP], now=0) is Decision.SKIP
    cursors.moved(TP, 7, now=1)
    assert deliver_all(cursors, [7, 8, 9, 10]) == [Decision.DELIVER] * 4
    assert cursors.commit(TP, {5, 6, 7, 8, 9, 10}) == 11


def test_a_delivered_record_the_suspension_dropped_is_delivered_again() -> None:
    cursors: GaplessCursors[Key] = GaplessCursors()
    cursors.sought(TP, 10, now=0)
    epoch = cursors.epochs()[TP]
    assert [cursors.decide(TP, o, epoch, now=0) for o in (10, 11)] == [Decision.DELIVER] * 2
    cursors.dropped(TP, 10)  # not the last one delivered: nothing to undo
    assert cursors.rewinds() == []
    cursors.dropped(TP, 11)
    assert cursors.rewinds() == [(TP, 11)]
    cursors.moved(TP, 11, now=1)
    assert deliver_all(cursors, [11]) == [Decision.DELIVER]
    assert cursors.commit(TP, {10, 11}) == 12


def test_a_transaction_marker_is_not_a_hole() -> None:
    # Regression: a trusted producer writes wire.raw in transactions, so offset 2 (and 5) holds a commit marker the
    # fetcher never returns. The partition used to stop there for good: rewinds every second, commit stuck at 2.
    cursors: GaplessCursors[Key] = GaplessCursors()
    cursors.assigned(TP)
    cursors.sought(TP, 0, now=0)
    assert deliver_all(cursors, [0, 1, 3, 4, 6]) == [Decision.DELIVER] * 5
    assert cursors.rewinds() == []
    assert cursors.commit(TP, {0, 1, 3}) == 4
    assert cursors.commit(TP, {4, 6}) == 7


def test_a_partition_sought_to_a_marker_starts_at_the_next_record() -> None:
    # The committed offset is a commit marker (committing after the last record of a transaction points there).
    cursors: GaplessCursors[Key] = GaplessCursors()
    cursors.sought(TP, 5, now=0)
    assert deliver_all(cursors, [6, 7]) == [Decision.DELIVER] * 2
    assert cursors.commit(TP, {6, 7}) == 8


def test_compacted_offsets_are_not_holes() -> None:
    cursors: GaplessCursors[Key] = GaplessCursors()
    cursors.sought(TP, 0, now=0)
    assert deliver_all(cursors, [0, 4, 9]) == [Decision.DELIVER] * 3
    assert cursors.commit(TP, {0, 9}) == 4  # 4 exists and is not finished
    assert cursors.commit(TP, {4, 9}) == 10


def test_retention_past_the_committed_offset_starts_from_the_log_start_with_the_count() -> None:
    # Regression: the group committed 40, retention has deleted up to 99. The consumer used to keep the stale
    # committed offset as the commit base: nothing was ever committed and the partition was re-read every 30 s.
    assert start_offset(40, 100) == (100, 60)
    assert start_offset(140, 100) == (140, 0)
    assert start_offset(None, 100) == (100, 0)
    assert start_offset(0, 7) == (7, 0)
    cursors: GaplessCursors[Key] = GaplessCursors()
    cursors.assigned(TP)
    cursors.sought(TP, start_offset(40, 100)[0], now=0)
    assert deliver_all(cursors, [100, 101]) == [Decision.DELIVER] * 2
    assert cursors.commit(TP, {100, 101}) == 102


def test_retention_while_the_partition_is_read_is_a_real_gap() -> None:
    # The fetch position fell out of range and the fetcher restarted at the log start: what it returns is trusted.
    cursors: GaplessCursors[Key] = GaplessCursors()
    cursors.sought(TP, 10, now=0)
    assert deliver_all(cursors, [10, 500]) == [Decision.DELIVER] * 2
    assert cursors.cursors[TP].absent == 489
    assert cursors.commit(TP, {10, 500}) == 501


def test_the_commit_never_moves_back_and_waits_for_the_lowest_unfinished() -> None:
    cursors: GaplessCursors[Key] = GaplessCursors()
    cursors.sought(TP, 3, now=0)
    assert cursors.commit(TP, set()) is None  # nothing fetched
    deliver_all(cursors, [3, 4, 5])
    assert cursors.commit(TP, {4, 5}) is None
    assert cursors.commit(TP, {3, 5}) == 4
    assert cursors.commit(TP, {3, 5}) is None
    assert cursors.commit(TP, {4, 5}) == 6
    assert cursors.commit(("other", 0), {0}) is None  # not tracked


def test_a_partition_that_delivered_nothing_while_its_log_holds_more_is_reported_stalled() -> None:
    cursors: GaplessCursors[Key] = GaplessCursors(stall_after=5.0)
    cursors.sought(TP, 798, now=100)
    end = {TP: 1122}
    assert cursors.stalled(end, now=104) == []
    assert cursors.stalled(end, now=105.5) == [(TP, 798)]
    assert cursors.stalled(end, now=106) == []  # reported once per stall_after
    assert cursors.stalled({TP: 798}, now=200) == []  # at the end of the log: nothing to wait for
    cursors.assigned(("wire.raw", 0))  # not sought: follows the fetcher, never stalled
    assert cursors.stalled({("wire.raw", 0): 5}, now=600) == []


def test_a_commit_held_by_a_delivered_but_unfinished_offset_is_read_again_from_it() -> None:
    cursors: GaplessCursors[Key] = GaplessCursors(hole_after=30.0)
    cursors.sought(TP, 2, now=0)
    deliver_all(cursors, [2, 3, 4])
    assert cursors.commit(TP, {3, 4}) is None
    assert cursors.held(TP, {3, 4}, now=1) is None  # the hole is noticed
    assert cursors.held(TP, {3, 4}, now=20) is None  # may still be in flight
    assert cursors.held(TP, {3, 4}, now=31) == 2
    assert cursors.held(TP, {3, 4}, now=40) is None
    assert cursors.held(TP, set(), now=100) is None  # nothing later finished: a slow record, not a hole
    assert cursors.held(("other", 0), {1}, now=300) is None


def test_records_dropped_with_the_stream_buffers_are_delivered_again() -> None:
    # 10 finished, 11 with the agent, 12 and 13 in the buffer that Faust empties when it resumes the flow.
    cursors: GaplessCursors[Key] = GaplessCursors()
    cursors.sought(TP, 10, now=0)
    assert deliver_all(cursors, [10, 11, 12, 13]) == [Decision.DELIVER] * 4
    cursors.cleared(TP, {10})
    assert cursors.rewinds() == [(TP, 11)]
    assert cursors.decide(TP, 14, cursors.epochs()[TP], now=1) is Decision.SKIP  # not past 11..13 before the seek
    assert cursors.commit(TP, {10, 11}) == 11
    cursors.moved(TP, 11, now=2)
    assert deliver_all(cursors, [11, 12, 13, 14]) == [Decision.DELIVER] * 4
    assert cursors.commit(TP, {11, 12, 13, 14}) == 15
    cursors.cleared(TP, set())  # nothing delivered and unfinished: nothing to read again
    assert cursors.rewinds() == []


async def test_the_consumer_reads_again_what_faust_drops_when_it_resumes_the_flow() -> None:
    # At the end of a rebalance Faust seeks the partitions to their committed offsets, then resumes the flow, which
    # empties every stream buffer, records delivered since the seek included. Before the consumer heard of it, those
    # records were lost unless a later one finished (then, after 30 s, the held-commit check read them again).
    from faust.types import TP as FaustTP
    from mode.utils.queues import FlowControlQueue

    from pipeline.app.consumer import WirefeedFaustApp

    app = WirefeedFaustApp("cursors-flow", broker="kafka://127.0.0.1:9", store="memory://")
    tp = FaustTP("wire.raw", 0)
    app.gapless_topics = frozenset({tp.topic})
    consumer = app.consumer  # never started: no connection
    buffer: FlowControlQueue[int] = FlowControlQueue(flow_control=app.flow_control, clear_on_resume=True)
    consumer.cursors.sought(tp, 10, now=0)
    epoch = consumer.cursors.epochs()[tp]
    for offset in (10, 11, 12):
        assert consumer.cursors.decide(tp, offset, epoch, now=0) is Decision.DELIVER
        buffer.put_nowait(offset)
    consumer._acked_index[tp].add(10)  # the agent took 10 and finished it
    buffer.get_nowait()
    app.flow_control.resume()
    assert buffer.empty()  # Faust's behaviour: 11 and 12 are gone
    assert consumer.cursors.rewinds() == [(tp, 11)]


# The model: one partition's log with transaction markers, compaction and retention; an aiokafka-like fetcher;
# Faust-like hand-over with stale batches, broken-off iterations, rebalances and crashes; and the rule above.


@dataclass
class Log:
    records: list[int] = field(default_factory=list)  # offsets holding a record, ascending
    end: int = 0  # next offset to write
    start: int = 0  # log start (retention)

    def after(self, position: int, limit: int) -> list[int]:
        return [o for o in self.records if o >= max(position, self.start)][:limit]


class DeliveryModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.log = Log()
        self.deleted: set[int] = set()  # records removed by compaction or retention
        self.committed = 0  # the group's committed offset (survives crashes)
        self.retention_logged = 0
        self.finished: set[int] = set()
        self.now = 0.0
        self.start_consumer()

    def start_consumer(self) -> None:
        """A fresh worker process (or the same one after a rebalance, with Faust's per-partition state dropped)."""
        self.cursors: GaplessCursors[Key] = GaplessCursors()
        self.position = 0
        #: Fetched batches not handed over yet (stale after a seek): epoch at the fetch, records left, last offset.
        self.batches: deque[tuple[int | None, list[int], int]] = deque()
        self.current: tuple[int | None, list[int], int] | None = None
        self.in_flight: list[int] = []
        self.acked: set[int] = set()  # Faust's acked index
        self.cursors.assigned(TP)
        self.seek_to_committed()

    def seek_to_committed(self) -> None:
        offset, deleted = start_offset(self.committed, self.log.start)
        self.retention_logged += deleted
        self.position = offset
        self.cursors.sought(TP, offset, self.now)

    # --- the log
    @rule(records=st.integers(1, 6), marker=st.booleans())
    def produce(self, records: int, marker: bool) -> None:
        for _ in range(records):
            self.log.records.append(self.log.end)
            self.log.end += 1
        if marker:  # a transaction's commit marker takes an offset and is never fetched
            self.log.end += 1

    @rule(pick=st.integers(0, 1000))
    def compact(self, pick: int) -> None:
        if len(self.log.records) > 1:  # compaction keeps the last record
            offset = self.log.records.pop(pick % (len(self.log.records) - 1))
            self.deleted.add(offset)

    @rule(upto=st.integers(1, 10))
    def retention(self, upto: int) -> None:
        start = min(self.log.end, self.log.start + upto)
        self.deleted.update(o for o in self.log.records if o < start)
        self.log.records = [o for o in self.log.records if o >= start]
        self.log.start = start

    # --- the consumer
    @rule(limit=st.integers(1, 8), flow_active=st.booleans())
    def fetch(self, limit: int, flow_active: bool = True) -> None:
        """The consumer seeks back what was not delivered, then fetches; with the flow suspended when the loop
        starts, it fetches without seeking back first (the flow resumes while it waits for records)."""
        for tp, offset in self.cursors.rewinds() if flow_active else ():
            self.position = offset
            self.cursors.moved(tp, offset, self.now)
        epoch = self.cursors.epochs().get(TP)
        if self.position < self.log.start:
            self.position = self.log.start  # out of range: the fetcher resets to the earliest offset
        batch = self.log.after(self.position, limit)
        if batch:
            self.position = batch[-1] + 1
            self.batches.append((epoch, batch, batch[-1]))

    @rule(count=st.integers(1, 8))
    def hand_over(self, count: int) -> None:
        if self.current is None:
            if not self.batches:
                return
            self.current = self.batches.popleft()
        epoch, batch, _ = self.current
        for offset in batch[:count]:
            self.now += 0.1
            if self.cursors.decide(TP, offset, epoch, self.now) is Decision.DELIVER:
                self.in_flight.append(offset)
        del batch[:count]
        if not batch:
            self.end_batch()

    def end_batch(self) -> None:
        if self.current is not None:
            self.cursors.batch_done({TP: self.current[2]})
            self.current = None

    @rule(drop_last=st.booleans())
    def break_off(self, drop_last: bool) -> None:
        """A rebalance breaks off Faust's iteration of the batch; the last record handed over may be dropped."""
        if self.current is None:
            return
        if drop_last and self.in_flight:
            offset = self.in_flight.pop()
            self.cursors.dropped(TP, offset)
        self.end_batch()

    @rule(taken=st.integers(0, 4))
    def clear_buffers(self, taken: int) -> None:
        """Faust empties the stream buffers while the flow is on (it resumes the flow): the records the agent had
        not taken yet are gone; the consumer hears of it."""
        self.in_flight = self.in_flight[:taken]
        self.cursors.cleared(TP, self.acked)

    @rule(pick=st.integers(0, 1000))
    def finish(self, pick: int) -> None:
        if self.in_flight:
            offset = self.in_flight.pop(pick % len(self.in_flight))
            self.finished.add(offset)
            if offset >= self.committed:  # Faust keeps acks at or above its committed offset
                self.acked.add(offset)

    @rule()
    def commit(self) -> None:
        offset = self.cursors.commit(TP, self.acked)
        if offset is not None:
            assert offset > self.committed
            self.committed = offset
            self.acked = {o for o in self.acked if o >= offset}

    @rule(finish_some=st.booleans())
    def rebalance(self, finish_some: bool) -> None:
        """The partition is revoked and assigned again: Faust clears its buffers and drops acks; the seek comes
        after the fetcher has already run (a stale batch may be waiting)."""
        if finish_some:
            self.finished.update(self.in_flight)
        self.in_flight = []
        self.acked = set()
        self.cursors.revoked(TP)
        self.cursors.assigned(TP)
        self.end_batch()
        self.fetch(4)  # fetched before the seek, handed over after it
        self.seek_to_committed()

    @rule()
    def crash(self) -> None:
        self.start_consumer()

    @invariant()
    def nothing_committed_unfinished(self) -> None:
        unfinished = [o for o in self.log.records if o < self.committed and o not in self.finished]
        assert not unfinished, f"committed {self.committed} past unfinished records {unfinished[:5]}"

    def teardown(self) -> None:
        """No more faults: the consumer runs, finishing every record it is given, until the commit has passed the
        last record (a trailing transaction marker is never fetched, so the commit stops just before it)."""
        self.end_batch()
        target = self.log.records[-1] + 1 if self.log.records else 0
        for _ in range(4 * (self.log.end + 10)):
            if self.committed >= target:
                break
            self.fetch(8)
            while self.batches or self.current is not None:
                self.hand_over(8)
            while self.in_flight:
                self.finish(0)
            self.commit()
        assert self.committed >= target, f"stuck at {self.committed}, last record {target - 1}"
        missing = [o for o in self.log.records if o not in self.finished]
        assert not missing, f"skipped records {missing[:5]}"


DeliveryModel.TestCase.settings = settings(max_examples=300, stateful_step_count=60, deadline=None)
test_delivery_model = DeliveryModel.TestCase


def test_the_model_finds_records_passed_over_while_a_rewind_is_pending() -> None:
    # A sequence the random search reaches rarely: a batch broken off after its first record, then a batch fetched
    # before the rewind (the flow resumed while the loop waited). Its records must not pass as a real gap.
    model = DeliveryModel()
    model.produce(6, marker=False)
    model.fetch(4, flow_active=True)
    model.hand_over(1)
    model.break_off(drop_last=False)
    model.fetch(4, flow_active=False)
    model.hand_over(4)
    for _ in range(3):
        model.finish(0)
    model.commit()
    model.nothing_committed_unfinished()
    model.teardown()

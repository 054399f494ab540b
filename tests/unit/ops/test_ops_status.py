"""Table-driven tests of the Burrow-style evaluator over synthetic offset histories."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.ops.status import (
    Sample,
    Status,
    StatusPolicy,
    evaluate_group,
    evaluate_partition,
    lag_seconds_from_history,
)

POLICY = StatusPolicy(window_s=60, min_span_s=30, allowed_lag=0)


def history(points: list[tuple[int, int]], step: float = 10.0, start: float = 1000.0) -> list[Sample]:
    """(committed, end) pairs sampled every ``step`` seconds."""
    return [Sample(at=start + i * step, committed=c, end=e) for i, (c, e) in enumerate(points)]


CASES: list[tuple[str, list[tuple[int, int]], int | None, Status]] = [
    ("caught up all along", [(10, 10), (20, 20), (30, 30), (40, 40)], 1, Status.OK),
    ("idle partition, nothing produced", [(0, 0)] * 7, 1, Status.OK),
    ("caught up once in the window", [(10, 15), (20, 20), (20, 25), (20, 30)], 1, Status.OK),
    ("stalled with a live member", [(10, 15), (10, 20), (10, 25), (10, 30)], 1, Status.STALL),
    ("stalled, constant lag", [(10, 15), (10, 15), (10, 15), (10, 15)], 2, Status.STALL),
    ("stalled, membership unknown", [(10, 15), (10, 15), (10, 15), (10, 15)], None, Status.STALL),
    ("stopped: no member left", [(10, 15), (10, 15), (10, 20), (10, 20)], 0, Status.STOP),
    ("rewound", [(10, 15), (20, 25), (5, 25), (10, 25)], 1, Status.REWIND),
    ("rewind beats caught up", [(10, 10), (5, 10), (10, 10), (10, 10)], 1, Status.REWIND),
    ("falling behind: lag never decreases", [(10, 15), (12, 20), (14, 25), (16, 30)], 1, Status.WARN),
    ("behind but catching up", [(10, 30), (20, 35), (30, 38), (35, 40)], 1, Status.OK),
    ("lag wobbles", [(10, 15), (12, 20), (19, 21), (20, 30)], 1, Status.OK),
    ("constant lag while moving", [(10, 15), (15, 20), (20, 25), (25, 30)], 1, Status.OK),
    ("too little history to judge a stall", [(10, 15), (10, 20)], 1, Status.OK),
]


@pytest.mark.parametrize(("name", "points", "members", "expected"), CASES, ids=[c[0] for c in CASES])
def test_partition_status(name: str, points: list[tuple[int, int]], members: int | None, expected: Status) -> None:
    samples = history(points)
    now = samples[-1].at
    assert evaluate_partition(samples, now, POLICY, members) is expected


def test_old_samples_leave_the_window() -> None:
    # stalled long ago, then caught up and moving: only the recent samples count
    old = history([(10, 20)] * 10, start=0.0)
    recent = history([(30, 30), (40, 45), (50, 55), (60, 60)], start=500.0)
    assert evaluate_partition(old + recent, recent[-1].at, POLICY, 1) is Status.OK
    # and the reverse: caught up long ago, stalled now
    recent_stall = history([(60, 70), (60, 75), (60, 80), (60, 85)], start=500.0)
    assert evaluate_partition(old[:1] + recent_stall, recent_stall[-1].at, POLICY, 1) is Status.STALL


def test_stall_appears_once_the_window_spans_enough() -> None:
    samples = history([(10, 15)] * 8, step=5.0)
    statuses = [evaluate_partition(samples[: i + 1], samples[i].at, POLICY, 1) for i in range(len(samples))]
    # spans 0, 5, ..., 35 s: STALL from 30 s on
    assert statuses == [Status.OK] * 6 + [Status.STALL] * 2


def test_allowed_lag() -> None:
    samples = history([(10, 12), (10, 12), (10, 12), (10, 12)])
    now = samples[-1].at
    assert evaluate_partition(samples, now, StatusPolicy(60, 30, allowed_lag=2), 1) is Status.OK
    assert evaluate_partition(samples, now, StatusPolicy(60, 30, allowed_lag=1), 1) is Status.STALL


def test_samples_in_any_order() -> None:
    samples = history([(10, 15), (12, 20), (14, 25), (16, 30)])
    assert evaluate_partition(list(reversed(samples)), samples[-1].at, POLICY, 1) is Status.WARN


def test_no_samples_is_ok() -> None:
    assert evaluate_partition([], 0.0, POLICY, 1) is Status.OK


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], Status.MISSING),
        ([Status.OK, Status.OK], Status.OK),
        ([Status.OK, Status.WARN], Status.WARN),
        ([Status.WARN, Status.STALL, Status.OK], Status.STALL),
        ([Status.REWIND, Status.WARN], Status.REWIND),
        ([Status.STALL, Status.STOP], Status.STOP),
    ],
)
def test_group_status(statuses: list[Status], expected: Status) -> None:
    assert evaluate_group(statuses) is expected


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        StatusPolicy(window_s=10, min_span_s=20)
    with pytest.raises(ValueError):
        StatusPolicy(allowed_lag=-1)


# --- lag seconds by interpolation over sampled end offsets ---


def test_interpolation_between_samples() -> None:
    ends = [(100.0, 0), (110.0, 10), (120.0, 20)]
    # offset 4 was written between t=100 (end 0) and t=110 (end 10): 5/10 of the way
    assert lag_seconds_from_history(ends, committed=4, now=130.0) == pytest.approx(25.0)
    # offset 10 became available between t=110 and t=120
    assert lag_seconds_from_history(ends, committed=10, now=130.0) == pytest.approx(130 - 111.0)


def test_interpolation_edges() -> None:
    ends = [(100.0, 5), (110.0, 10)]
    assert lag_seconds_from_history(ends, committed=10, now=200.0) == 0.0
    assert lag_seconds_from_history(ends, committed=3, now=200.0) is None  # older than the history
    assert lag_seconds_from_history([], committed=3, now=200.0) is None
    with pytest.raises(ValueError):
        lag_seconds_from_history([(1.0, 5), (2.0, 4)], committed=0, now=3.0)


@given(
    st.lists(st.integers(min_value=0, max_value=50), min_size=2, max_size=20),
    st.integers(min_value=0, max_value=1000),
)
def test_interpolation_is_bounded_by_the_surrounding_samples(increments: list[int], committed: int) -> None:
    ends: list[tuple[float, int]] = []
    end = 0
    for i, inc in enumerate(increments):
        end += inc
        ends.append((float(i * 10), end))
    now = ends[-1][0] + 5.0
    got = lag_seconds_from_history(ends, committed, now)
    if committed >= ends[-1][1]:
        assert got == 0.0
    elif committed < ends[0][1]:
        assert got is None
    else:
        assert got is not None
        # produced no earlier than the last sample that did not yet hold it, no later than the first that did
        before = max(t for t, e in ends if e <= committed)
        after = min(t for t, e in ends if e > committed)
        assert now - after <= got <= now - before


@st.composite
def histories(draw: st.DrawFn) -> list[Sample]:
    """Sampled (committed, end) histories with ends that never go back."""
    n = draw(st.integers(min_value=1, max_value=15))
    committed = draw(st.integers(min_value=0, max_value=100))
    end = committed + draw(st.integers(min_value=0, max_value=50))
    out = []
    for i in range(n):
        out.append(Sample(at=1000.0 + 5 * i, committed=committed, end=end))
        end += draw(st.integers(min_value=0, max_value=20))
        committed = min(end, max(0, committed + draw(st.integers(min_value=-3, max_value=25))))
    return out


@given(histories(), st.sampled_from([None, 0, 1, 3]))
def test_evaluator_invariants(samples: list[Sample], members: int | None) -> None:
    now = samples[-1].at
    got = evaluate_partition(samples, now, POLICY, members)
    window = [s for s in samples if s.at >= now - POLICY.window_s]
    rewound = any(b.committed < a.committed for a, b in itertools.pairwise(window))
    assert (got is Status.REWIND) == rewound
    if rewound:
        return
    if any(s.lag == 0 for s in window) or window[-1].at - window[0].at < POLICY.min_span_s:
        assert got is Status.OK
    elif window[0].committed == window[-1].committed:
        assert got is (Status.STOP if members == 0 else Status.STALL)
    else:
        assert got in (Status.OK, Status.WARN)
        assert (got is Status.WARN) == (
            window[-1].lag > window[0].lag and all(b.lag >= a.lag for a, b in itertools.pairwise(window))
        )

"""Burrow-style consumer status over a sliding window of lag samples (pure: no Kafka, no I/O).

The lag monitor samples, for every group/topic/partition, the committed offset and the end offset at a point in
time. This module judges a partition from the samples inside its window, and a group from its partitions.

Partition rules, applied in this order to the samples of the last ``window_s`` seconds:

1. ``REWIND``: the committed offset went back between two samples.
2. ``OK``: the lag was at or below ``allowed_lag`` in some sample of the window (the consumer caught up recently),
   or the window does not yet span ``min_span_s`` (too little history to judge).
3. ``STOP``: the committed offset did not move across the window, the lag stayed above ``allowed_lag``, and the
   group has no active member (the consumer is gone).
4. ``STALL``: as STOP, but the group still has members (or membership is unknown): a live consumer that does not
   make progress.
5. ``WARN``: the offset moves but the lag never decreased from one sample to the next and grew over the window.
6. ``OK`` otherwise.

A group takes the most severe status of its partitions (``MISSING`` when the group has no committed offsets at
all: expected but absent or never committed).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum


class Status(IntEnum):
    """Status of a partition or group; the integer is the value of the Prometheus status gauges."""

    OK = 0
    WARN = 1
    REWIND = 2
    STALL = 3
    STOP = 4
    MISSING = 5


@dataclass(frozen=True, slots=True)
class Sample:
    """One observation of one partition of one group."""

    at: float  # unix seconds
    committed: int
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - self.committed)


@dataclass(frozen=True, slots=True)
class StatusPolicy:
    """Thresholds of the evaluator (documented in docs/operations.md)."""

    window_s: float = 60.0  # samples older than this are not considered
    min_span_s: float = 30.0  # the window must span at least this long before STALL/STOP/WARN can be given
    allowed_lag: int = 0  # lag at or below this counts as caught up

    def __post_init__(self) -> None:
        if self.window_s <= 0 or self.min_span_s < 0 or self.min_span_s > self.window_s:
            raise ValueError("need window_s > 0 and 0 <= min_span_s <= window_s")
        if self.allowed_lag < 0:
            raise ValueError("allowed_lag must be >= 0")


def in_window(samples: Sequence[Sample], now: float, policy: StatusPolicy) -> list[Sample]:
    """The samples within the policy window ending at ``now``, oldest first."""
    start = now - policy.window_s
    return [s for s in samples if start <= s.at <= now]


def evaluate_partition(
    samples: Sequence[Sample], now: float, policy: StatusPolicy, members: int | None = None
) -> Status:
    """Status of one partition from its samples (any order; only those inside the window count).

    ``members`` is the number of active members of the group (None when unknown).
    """
    window = sorted(in_window(samples, now, policy), key=lambda s: s.at)
    if not window:
        return Status.OK
    if any(b.committed < a.committed for a, b in itertools.pairwise(window)):
        return Status.REWIND
    if any(s.lag <= policy.allowed_lag for s in window):
        return Status.OK
    if window[-1].at - window[0].at < policy.min_span_s:
        return Status.OK
    first, last = window[0], window[-1]
    if first.committed == last.committed:
        return Status.STOP if members == 0 else Status.STALL
    lags = [s.lag for s in window]
    if all(b >= a for a, b in itertools.pairwise(lags)) and lags[-1] > lags[0]:
        return Status.WARN
    return Status.OK


def evaluate_group(partition_statuses: Iterable[Status]) -> Status:
    """A group's status: the most severe of its partitions; MISSING when it has none."""
    return max(partition_statuses, default=Status.MISSING)


def lag_seconds_from_history(end_history: Sequence[tuple[float, int]], committed: int, now: float) -> float | None:
    """Estimate how long ago the end offset passed ``committed`` (kafka-lag-exporter style).

    ``end_history`` holds ``(time, end_offset)`` samples of one partition, oldest first. The first unconsumed
    message (offset ``committed``) was produced when the end offset moved past ``committed``; the time is
    interpolated linearly between the two samples around that point. Returns 0.0 when nothing is unconsumed,
    and None when the history does not reach back far enough to tell.
    """
    if not end_history:
        return None
    times = [t for t, _ in end_history]
    ends = [e for _, e in end_history]
    if any(b < a for a, b in itertools.pairwise(ends)):
        raise ValueError("end offsets must not decrease")
    if committed >= ends[-1]:
        return 0.0
    # first sample whose end offset is > committed: the message at `committed` existed by then
    i = bisect.bisect_right(ends, committed)
    if i == 0:
        return None  # already produced before the oldest sample
    t0, e0 = times[i - 1], ends[i - 1]
    t1, e1 = times[i], ends[i]
    produced_at = t0 + (t1 - t0) * (committed + 1 - e0) / (e1 - e0)
    return max(0.0, now - produced_at)

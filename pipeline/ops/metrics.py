"""The one set of Prometheus metric families of the whole pipeline.

Every process registers these in prometheus-client's default registry (``REGISTRY``) by importing this module, and
serves them on ``/metrics`` (the gateway through :func:`pipeline.ops.web.ops_router`, workers through
:func:`start_metrics_server`). Each family is described in docs/operations.md; ``FAMILIES`` lists their names.

The helpers below are what the shell calls per message or per batch. Label children are cached, so a call costs
a dict look-up and an atomic add.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server

if TYPE_CHECKING:
    from pipeline.ops.lag import LagSnapshot

__all__ = [
    "CONSUMER_GROUP_MEMBERS",
    "CONSUMER_GROUP_STATUS",
    "CONSUMER_LAG",
    "CONSUMER_LAG_SECONDS",
    "CONSUMER_OFFSET",
    "CONSUMER_PARTITION_STATUS",
    "DEDUPE_VERDICTS",
    "DLQ_MESSAGES",
    "E2E_LATENCY_SECONDS",
    "FAMILIES",
    "GATEWAY_LAST_SUBMISSION",
    "GATEWAY_REQUESTS",
    "GATEWAY_SECONDS",
    "LAG_MONITOR_ERRORS",
    "LAG_MONITOR_LAST_SAMPLE",
    "REGISTRY",
    "SINK_WRITE_SECONDS",
    "SINK_WRITTEN",
    "STAGE_MESSAGES",
    "STAGE_SECONDS",
    "TOPIC_END_OFFSET",
]

PREFIX = "wirefeed"

# Buckets: pure stages run in micro- to milliseconds; end-to-end spans batching, several hops and lag.
_STAGE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_E2E_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)
_IO_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)

# --- stages -------------------------------------------------------------------------------------------------
STAGE_MESSAGES = Counter(
    f"{PREFIX}_stage_messages",
    "Messages handled by a stage, by outcome (ok, rejected, duplicate, error)",
    ["stage", "outcome"],
)
STAGE_SECONDS = Histogram(
    f"{PREFIX}_stage_seconds", "Time a stage spends on one message", ["stage"], buckets=_STAGE_BUCKETS
)
DEDUPE_VERDICTS = Counter(f"{PREFIX}_dedupe_verdicts", "Dedupe decisions by verdict", ["verdict"])
DLQ_MESSAGES = Counter(f"{PREFIX}_dlq_messages", "Messages sent to the DLQ, by stage and reason", ["stage", "reason"])

# --- sinks --------------------------------------------------------------------------------------------------
E2E_LATENCY_SECONDS = Histogram(
    f"{PREFIX}_e2e_latency_seconds",
    "From the agency submission being accepted (received_at) to the story being stored / notified",
    ["sink"],
    buckets=_E2E_BUCKETS,
)
SINK_WRITE_SECONDS = Histogram(
    f"{PREFIX}_sink_write_seconds", "Time of one sink write (one batch)", ["sink"], buckets=_IO_BUCKETS
)
SINK_WRITTEN = Counter(f"{PREFIX}_sink_written", "Records written by a sink", ["sink"])

# --- gateway ------------------------------------------------------------------------------------------------
GATEWAY_REQUESTS = Counter(
    f"{PREFIX}_gateway_requests", "Submissions received by the gateway, by agency and HTTP status", ["agency", "status"]
)
GATEWAY_SECONDS = Histogram(
    f"{PREFIX}_gateway_seconds",
    "Gateway time per submission request, until the broker acknowledged it",
    buckets=_IO_BUCKETS,
)
GATEWAY_LAST_SUBMISSION = Gauge(
    f"{PREFIX}_gateway_last_submission_timestamp_seconds",
    "Unix time of the last accepted submission of an agency (alerts on silent agencies)",
    ["agency"],
)

# --- consumer lag (set by the lag monitor) -------------------------------------------------------------------
_LAG_LABELS = ["group", "topic", "partition"]
CONSUMER_OFFSET = Gauge(f"{PREFIX}_consumer_committed_offset", "Committed offset of a group", _LAG_LABELS)
TOPIC_END_OFFSET = Gauge(f"{PREFIX}_topic_end_offset", "End (high-water) offset of a partition", ["topic", "partition"])
CONSUMER_LAG = Gauge(f"{PREFIX}_consumer_lag", "Messages not yet consumed: end offset - committed offset", _LAG_LABELS)
CONSUMER_LAG_SECONDS = Gauge(
    f"{PREFIX}_consumer_lag_seconds",
    "Age of the oldest unconsumed message (0 when caught up)",
    _LAG_LABELS,
)
CONSUMER_PARTITION_STATUS = Gauge(
    f"{PREFIX}_consumer_partition_status",
    "Burrow-style partition status: 0 OK, 1 WARN, 2 REWIND, 3 STALL, 4 STOP",
    _LAG_LABELS,
)
CONSUMER_GROUP_STATUS = Gauge(
    f"{PREFIX}_consumer_group_status",
    "Burrow-style group status: 0 OK, 1 WARN, 2 REWIND, 3 STALL, 4 STOP, 5 MISSING",
    ["group"],
)
CONSUMER_GROUP_MEMBERS = Gauge(f"{PREFIX}_consumer_group_members", "Active members of a consumer group", ["group"])
LAG_MONITOR_LAST_SAMPLE = Gauge(
    f"{PREFIX}_lag_monitor_last_sample_timestamp_seconds", "Unix time of the lag monitor's last successful sample"
)
LAG_MONITOR_ERRORS = Counter(f"{PREFIX}_lag_monitor_errors", "Lag samples that failed (broker unreachable, ...)")

#: Every family name as exposed on /metrics (counters gain ``_total``, histograms ``_bucket``/``_sum``/``_count``).
FAMILIES: tuple[str, ...] = tuple(
    m._name
    for m in (
        STAGE_MESSAGES,
        STAGE_SECONDS,
        DEDUPE_VERDICTS,
        DLQ_MESSAGES,
        E2E_LATENCY_SECONDS,
        SINK_WRITE_SECONDS,
        SINK_WRITTEN,
        GATEWAY_REQUESTS,
        GATEWAY_SECONDS,
        GATEWAY_LAST_SUBMISSION,
        CONSUMER_OFFSET,
        TOPIC_END_OFFSET,
        CONSUMER_LAG,
        CONSUMER_LAG_SECONDS,
        CONSUMER_PARTITION_STATUS,
        CONSUMER_GROUP_STATUS,
        CONSUMER_GROUP_MEMBERS,
        LAG_MONITOR_LAST_SAMPLE,
        LAG_MONITOR_ERRORS,
    )
)


# --- cached label children -----------------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def _stage_counter(stage: str, outcome: str) -> Counter:
    return STAGE_MESSAGES.labels(stage, outcome)


@lru_cache(maxsize=256)
def _stage_hist(stage: str) -> Histogram:
    return STAGE_SECONDS.labels(stage)


@lru_cache(maxsize=256)
def _dlq_counter(stage: str, reason: str) -> Counter:
    return DLQ_MESSAGES.labels(stage, reason)


@lru_cache(maxsize=64)
def _verdict_counter(verdict: str) -> Counter:
    return DEDUPE_VERDICTS.labels(verdict)


@lru_cache(maxsize=64)
def _e2e_hist(sink: str) -> Histogram:
    return E2E_LATENCY_SECONDS.labels(sink)


@lru_cache(maxsize=64)
def _sink_hist(sink: str) -> Histogram:
    return SINK_WRITE_SECONDS.labels(sink)


@lru_cache(maxsize=64)
def _sink_counter(sink: str) -> Counter:
    return SINK_WRITTEN.labels(sink)


@lru_cache(maxsize=4096)
def _gateway_counter(agency: str, status: str) -> Counter:
    return GATEWAY_REQUESTS.labels(agency, status)


# --- helpers the shell calls -----------------------------------------------------------------------------------
def stage_processed(stage: str, outcome: str = "ok", seconds: float | None = None, count: int = 1) -> None:
    """Count ``count`` messages of a stage with an outcome; observe the per-message time if given."""
    _stage_counter(stage, outcome).inc(count)
    if seconds is not None:
        _stage_hist(stage).observe(seconds)


def dlq(stage: str, reason: str, count: int = 1) -> None:
    """Count messages routed to the DLQ."""
    _dlq_counter(stage, reason).inc(count)


def dedupe_verdict(verdict: str, count: int = 1) -> None:
    _verdict_counter(verdict).inc(count)


def e2e_latency(sink: str, received_at: datetime | float, now: float | None = None) -> None:
    """Observe received_at → now for one story reaching a sink (``received_at`` aware datetime or unix time)."""
    start = received_at.timestamp() if isinstance(received_at, datetime) else received_at
    _e2e_hist(sink).observe(max(0.0, (time.time() if now is None else now) - start))


def e2e_latencies(sink: str, received_ats: Iterable[datetime | float]) -> None:
    """Observe end-to-end latency for a batch of stories that reached a sink together."""
    now = time.time()
    hist = _e2e_hist(sink)
    for r in received_ats:
        start = r.timestamp() if isinstance(r, datetime) else r
        hist.observe(max(0.0, now - start))


def sink_write(sink: str, seconds: float, records: int = 1) -> None:
    """One sink write (a batch of ``records``) that took ``seconds``."""
    _sink_hist(sink).observe(seconds)
    _sink_counter(sink).inc(records)


def gateway_request(agency: str, status: int | str, seconds: float | None = None) -> None:
    """One gateway submission request; a 2xx status also marks the agency as seen now."""
    status_s = str(status)
    _gateway_counter(agency, status_s).inc()
    if seconds is not None:
        GATEWAY_SECONDS.observe(seconds)
    if status_s.startswith("2"):
        GATEWAY_LAST_SUBMISSION.labels(agency).set(time.time())


_lag_series: set[tuple[str, str, str]] = set()
_end_series: set[tuple[str, str]] = set()
_group_series: set[str] = set()


def update_lag(snapshot: LagSnapshot) -> None:
    """Publish a lag snapshot to the consumer-lag gauges, dropping series of partitions/groups no longer seen."""
    lag_now: set[tuple[str, str, str]] = set()
    end_now: set[tuple[str, str]] = set()
    groups_now: set[str] = set()
    for g in snapshot.groups:
        groups_now.add(g.group)
        CONSUMER_GROUP_STATUS.labels(g.group).set(int(g.status))
        CONSUMER_GROUP_MEMBERS.labels(g.group).set(g.members if g.members is not None else 0)
        for p in g.partitions:
            key = (g.group, p.topic, str(p.partition))
            lag_now.add(key)
            end_now.add((p.topic, str(p.partition)))
            CONSUMER_OFFSET.labels(*key).set(p.committed)
            TOPIC_END_OFFSET.labels(p.topic, str(p.partition)).set(p.end)
            CONSUMER_LAG.labels(*key).set(p.lag)
            CONSUMER_LAG_SECONDS.labels(*key).set(p.lag_seconds if p.lag_seconds is not None else float("nan"))
            CONSUMER_PARTITION_STATUS.labels(*key).set(int(p.status))
    for t in snapshot.topics:
        for part, end in t.ends.items():
            end_now.add((t.topic, str(part)))
            TOPIC_END_OFFSET.labels(t.topic, str(part)).set(end)
    for key in _lag_series - lag_now:
        for fam in (CONSUMER_OFFSET, CONSUMER_LAG, CONSUMER_LAG_SECONDS, CONSUMER_PARTITION_STATUS):
            fam.remove(*key)
    for key2 in _end_series - end_now:
        TOPIC_END_OFFSET.remove(*key2)
    for group in _group_series - groups_now:
        CONSUMER_GROUP_STATUS.remove(group)
        CONSUMER_GROUP_MEMBERS.remove(group)
    _lag_series.clear()
    _lag_series.update(lag_now)
    _end_series.clear()
    _end_series.update(end_now)
    _group_series.clear()
    _group_series.update(groups_now)
    LAG_MONITOR_LAST_SAMPLE.set(snapshot.taken_at)


def start_metrics_server(port: int = 0, addr: str = "127.0.0.1") -> int:
    """Serve /metrics from a worker process on a background thread; returns the bound port (0 picks a free one)."""
    server, _thread = start_http_server(port, addr=addr, registry=REGISTRY)
    return int(server.server_address[1])

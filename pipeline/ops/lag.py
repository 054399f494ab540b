"""Consumer lag monitor: committed vs end offsets per group/topic/partition, lag in messages and seconds, status.

Works for any consumer group (Faust or not): everything is read from the broker with aiokafka's admin client
(groups, members, committed offsets) and a group-less consumer (end offsets, records).

Lag in seconds is the **age of the oldest unconsumed message**: for each partition with lag > 0 the monitor
fetches the record at the committed offset and takes ``now - record.timestamp``. This is exact for the
question operators ask ("how old is the news still waiting?"), grows one second per second while a consumer is
stuck, and does not depend on how often the monitor samples. When that record cannot be read in time (fetch
timeout, ACLs) the monitor falls back to interpolating the committed offset between sampled end offsets
(kafka-lag-exporter's method, :func:`pipeline.ops.status.lag_seconds_from_history`), which needs history and is
coarser. ``lag_seconds_source`` says which was used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from aiokafka.errors import KafkaConnectionError
from pydantic import BaseModel, BeforeValidator, PlainSerializer

from pipeline import topics
from pipeline.codec import decode
from pipeline.config import Settings
from pipeline.kafka import client_kwargs
from pipeline.ops import metrics
from pipeline.ops.status import (
    Sample,
    Status,
    StatusPolicy,
    evaluate_group,
    evaluate_partition,
    lag_seconds_from_history,
)
from schemas import Rejection


def _to_status(v: Any) -> Status:
    return Status[v] if isinstance(v, str) else Status(v)


StatusField = Annotated[Status, BeforeValidator(_to_status), PlainSerializer(lambda s: s.name, return_type=str)]

#: Which stage consumes each pipeline topic (a display hint for pages and tables).
STAGE_BY_TOPIC: dict[str, str] = {
    topics.RAW.name: "normalise",
    topics.NORMALISED.name: "dedupe",
    topics.ENRICHED.name: "sink",
    topics.NOTIFICATIONS.name: "notify",
    topics.DUPLICATES.name: "audit",
    topics.DLQ.name: "dlq",
}


def stage_of(topic: str, prefix: str = "") -> str:
    name = topic[len(prefix) :] if prefix and topic.startswith(prefix) else topic
    return STAGE_BY_TOPIC.get(name, name)


class PartitionLag(BaseModel):
    topic: str
    partition: int
    committed: int
    end: int
    lag: int
    lag_seconds: float | None
    lag_seconds_source: Literal["record", "interpolated", "caught_up"] | None
    status: StatusField


class TopicLag(BaseModel):
    """One topic as consumed by one group (partitions summed)."""

    topic: str
    stage: str
    lag: int
    lag_seconds: float | None
    consume_rate: float | None  # messages/s committed over the window
    status: StatusField


class UncommittedPartition(BaseModel):
    """A partition assigned to a member of the group that has no committed offset yet (lag unknown)."""

    topic: str
    partition: int
    end: int | None


class GroupLag(BaseModel):
    group: str
    state: str  # broker's group state (Stable, Empty, Dead, ...) or "Unknown"
    members: int | None
    status: StatusField
    lag: int
    lag_seconds: float | None
    topics: list[TopicLag]
    partitions: list[PartitionLag]
    uncommitted: list[UncommittedPartition] = []


class TopicEnds(BaseModel):
    topic: str
    ends: dict[int, int]
    produce_rate: float | None  # messages/s appended over the window


class RejectionSummary(BaseModel):
    stage: str
    reason: str
    message: str
    agency: str | None
    submission_id: str | None
    rejected_at: str
    partition: int
    offset: int


class LagSnapshot(BaseModel):
    taken_at: float
    window_s: float
    groups: list[GroupLag]
    topics: list[TopicEnds]
    dlq_topic: str
    dlq_rate: float | None
    rejections: list[RejectionSummary]

    def group(self, name: str) -> GroupLag:
        for g in self.groups:
            if g.group == name:
                return g
        raise KeyError(name)


def _assignment(data: bytes | None) -> set[TopicPartition]:
    """Partitions in a member's assignment (consumer protocol); empty when it cannot be decoded."""
    if not data:
        return set()
    try:
        return set(ConsumerProtocolMemberAssignment.decode(data).partitions())
    except Exception:
        return set()


def _rate(points: Sequence[tuple[float, int]]) -> float | None:
    if len(points) < 2 or points[-1][0] <= points[0][0]:
        return None
    return max(0, points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0])


class LagMonitor:
    """Samples consumer lag of the pipeline's groups (or any groups) and judges their status over a window.

    ``groups``: groups that are expected to exist; absent ones are reported with status MISSING. Default: the
    app's stage-loop groups (``{app_id}-{stage}``). ``pattern``: a regular expression; every group on the broker
    whose name it matches (``re.search``) is reported too. Default when neither is given: groups starting with the
    app id, except the Faust app's own group (``app_id``), which reads no topic (every stage runs on a loop); name
    it in ``groups`` to see it.
    """

    def __init__(
        self,
        settings: Settings,
        groups: Sequence[str] | None = None,
        pattern: str | None = None,
        policy: StatusPolicy | None = None,
        *,
        recent_rejections: int = 20,
        fetch_timeout_s: float = 2.0,
        history_s: float = 600.0,
    ) -> None:
        self.settings = settings
        loop_groups = tuple(topics.stage_group(settings.app_id, stage) for stage in topics.STAGE_INPUTS)
        self.expected: tuple[str, ...] = tuple(groups) if groups is not None else loop_groups
        #: Groups left out of the pattern's matches: the idle Faust group, unless asked for by name.
        self._hidden: frozenset[str] = frozenset({settings.app_id}) - set(self.expected)
        if pattern is None and groups is None:
            pattern = f"^{re.escape(settings.app_id)}"
        self.pattern = re.compile(pattern) if pattern is not None else None
        self._offsets_by_partition = False
        self.policy = policy or StatusPolicy()
        self.recent_rejections = recent_rejections
        self.fetch_timeout_s = fetch_timeout_s
        self.history_s = max(history_s, self.policy.window_s)
        self.dlq_topic = topics.topic_name(topics.DLQ, settings.topic_prefix)
        #: The topics the app's stage loops read, with the group that reads each.
        self._loop_topics = {
            topics.topic_name(spec, settings.topic_prefix): topics.consumer_group(settings.app_id, spec)
            for inputs in topics.STAGE_INPUTS.values() for spec in inputs
        }
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()
        self._samples: dict[tuple[str, str, int], deque[Sample]] = defaultdict(deque)
        self._ends: dict[tuple[str, int], deque[tuple[float, int]]] = defaultdict(deque)
        self._dlq_cache: tuple[dict[int, int], list[RejectionSummary]] = ({}, [])
        self._timeline: deque[dict[str, Any]] = deque()
        self.latest: LagSnapshot | None = None

    def _reads(self, group: str, topic: str) -> bool:
        """Whether ``group`` still reads ``topic``: the app's Faust group keeps the offsets it committed on the
        topics a stage loop now reads in its own group (where that loop started on upgrade); they are not lag."""
        if group != self.settings.app_id:
            return True
        return self._loop_topics.get(topic, group) == group

    # --- lifecycle ---------------------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._admin is not None:
            return
        kwargs = client_kwargs(self.settings)
        admin = AIOKafkaAdminClient(client_id="wirefeed-lag-monitor", **kwargs)
        try:
            await admin.start()
        except Exception:
            await admin.close()
            raise
        consumer = AIOKafkaConsumer(
            client_id="wirefeed-lag-monitor",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=256 * 1024,
            **kwargs,
        )
        try:
            await consumer.start()
        except Exception:
            await consumer.stop()
            await admin.close()
            raise
        self._admin, self._consumer = admin, consumer

    async def close(self) -> None:
        admin, consumer = self._admin, self._consumer
        self._admin = self._consumer = None
        if consumer is not None:
            await consumer.stop()
        if admin is not None:
            await admin.close()

    async def __aenter__(self) -> LagMonitor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- sampling ----------------------------------------------------------------------------------------------
    async def fresh(self, max_age_s: float) -> LagSnapshot:
        """The latest snapshot if younger than ``max_age_s``, else a new sample (shared by concurrent callers)."""
        latest = self.latest
        if latest is not None and time.time() - latest.taken_at < max_age_s:
            return latest
        async with self._lock:
            latest = self.latest
            if latest is not None and time.time() - latest.taken_at < max_age_s:
                return latest
            return await self._sample_locked()

    async def sample(self) -> LagSnapshot:
        """Read offsets from the broker now, record them in the window and return the judged snapshot."""
        async with self._lock:
            return await self._sample_locked()

    async def run(self, interval_s: float = 5.0) -> None:
        """Sample forever every ``interval_s`` (keeps the window filled when nobody is looking)."""
        while True:
            with contextlib.suppress(Exception):
                await self.fresh(interval_s / 2)
            await asyncio.sleep(interval_s)

    def timeline(self) -> list[dict[str, Any]]:
        """Compact per-sample points of the last ``history_s`` seconds (for charts)."""
        return list(self._timeline)

    async def _sample_locked(self) -> LagSnapshot:
        try:
            snap = await self._take()
        except Exception:
            metrics.LAG_MONITOR_ERRORS.inc()
            raise
        metrics.update_lag(snap)
        self.latest = snap
        self._timeline.append(
            {
                "t": snap.taken_at,
                "lag": {f"{t.stage} ({g.group})": t.lag for g in snap.groups for t in g.topics},
                "rate": {f"{t.stage} ({g.group})": t.consume_rate for g in snap.groups for t in g.topics},
                "dlq_rate": snap.dlq_rate,
            }
        )
        while self._timeline and self._timeline[0]["t"] < snap.taken_at - self.history_s:
            self._timeline.popleft()
        return snap

    async def _take(self) -> LagSnapshot:
        await self.start()
        admin, consumer = self._admin, self._consumer
        assert admin is not None and consumer is not None
        listed = {g[0] for g in await admin.list_consumer_groups()}
        names = set(self.expected)
        if self.pattern is not None:
            names |= {g for g in listed if self.pattern.search(g) and g not in self._hidden}
        group_names = sorted(names)

        # one group per DescribeGroups request: aiokafka 0.14 fails to decode a multi-group response from
        # Kafka 4.x ("Buffer underrun decoding string") and drops the connection
        described: dict[str, tuple[str, int]] = {}
        assigned: dict[str, set[TopicPartition]] = defaultdict(set)
        for name in group_names:
            for resp in await admin.describe_consumer_groups([name]):
                for entry in resp.groups:
                    error_code, gid, state, protocol_type, described_members = (
                        entry[0], entry[1], entry[2], entry[3], entry[5]
                    )
                    if error_code:
                        continue
                    described[gid] = (state or "Unknown", len(described_members))
                    if protocol_type == "consumer":
                        for member in described_members:
                            assigned[gid] |= _assignment(member[4])

        committed: dict[str, dict[TopicPartition, int]] = {}
        for g in group_names:
            if g not in listed and g not in described:
                committed[g] = {}
                continue
            offsets = await self._group_offsets(admin, g)
            committed[g] = {tp: om.offset for tp, om in offsets.items() if om.offset >= 0 and self._reads(g, tp.topic)}

        # end offsets of every partition consumed, plus the DLQ topic (for its rate and recent rejections)
        tps: set[TopicPartition] = {tp for offs in committed.values() for tp in offs}
        tps |= {tp for g in group_names for tp in assigned.get(g, ())}
        tps |= {TopicPartition(self.dlq_topic, p) for p in await self._partitions(admin, self.dlq_topic)}
        ends: dict[TopicPartition, int] = await consumer.end_offsets(list(tps)) if tps else {}
        now = time.time()
        horizon = now - self.history_s
        for tp, end in ends.items():
            hist = self._ends[(tp.topic, tp.partition)]
            if hist and end < hist[-1][1]:
                hist.clear()  # topic recreated
            hist.append((now, end))
            while hist and hist[0][0] < horizon:
                hist.popleft()

        # oldest unconsumed record per lagging partition
        wanted = {(tp, off) for offs in committed.values() for tp, off in offs.items() if off < ends.get(tp, off)}
        record_ts = await self._record_timestamps(consumer, wanted)
        now = time.time()

        groups_out: list[GroupLag] = []
        for g in group_names:
            members: int | None
            if g in described:
                state, members = described[g]
            elif g in listed:
                state, members = "Unknown", None  # listed but could not be described
            else:
                state, members = "Dead", 0
            parts: list[PartitionLag] = []
            for tp, off in sorted(committed[g].items()):
                end = ends.get(tp, off)
                samples = self._samples[(g, tp.topic, tp.partition)]
                samples.append(Sample(now, off, end))
                while samples and samples[0].at < horizon:
                    samples.popleft()
                lag = max(0, end - off)
                secs: float | None
                src: Literal["record", "interpolated", "caught_up"] | None
                if lag == 0:
                    secs, src = 0.0, "caught_up"
                elif (tp, off) in record_ts:
                    secs, src = max(0.0, now - record_ts[(tp, off)]), "record"
                else:
                    secs = lag_seconds_from_history(list(self._ends[(tp.topic, tp.partition)]), off, now)
                    src = "interpolated" if secs is not None else None
                status = evaluate_partition(samples, now, self.policy, members)
                parts.append(PartitionLag(
                    topic=tp.topic, partition=tp.partition, committed=off, end=end, lag=lag,
                    lag_seconds=secs, lag_seconds_source=src, status=status,
                ))  # fmt: skip
            group_out = self._group(g, state, members, parts, now)
            group_out.uncommitted = [
                UncommittedPartition(topic=tp.topic, partition=tp.partition, end=ends.get(tp))
                for tp in sorted(assigned.get(g, set()) - committed[g].keys())
            ]
            groups_out.append(group_out)

        # forget partitions and groups that have not been seen for the whole history
        for key in [k for k, h in self._samples.items() if not h or h[-1].at < horizon]:
            del self._samples[key]
        for key2 in [k for k, h in self._ends.items() if not h or h[-1][0] < horizon]:
            del self._ends[key2]

        topic_ends: dict[str, dict[int, int]] = defaultdict(dict)
        for tp, end in ends.items():
            topic_ends[tp.topic][tp.partition] = end
        topics_out = [
            TopicEnds(topic=t, ends=dict(sorted(e.items())), produce_rate=self._produce_rate(t, e, now))
            for t, e in sorted(topic_ends.items())
        ]
        dlq_ends = topic_ends.get(self.dlq_topic, {})
        rejections = await self._recent_rejections(consumer, dlq_ends)
        return LagSnapshot(
            taken_at=now,
            window_s=self.policy.window_s,
            groups=groups_out,
            topics=topics_out,
            dlq_topic=self.dlq_topic,
            dlq_rate=self._produce_rate(self.dlq_topic, dlq_ends, now) if dlq_ends else None,
            rejections=rejections,
        )

    async def _group_offsets(self, admin: AIOKafkaAdminClient, group: str) -> dict[TopicPartition, Any]:
        """Committed offsets of ``group``. Brokers that cannot answer the all-topics form of OffsetFetch (the
        embedded Tansu broker drops the connection) are asked again for every partition of every topic."""
        if not self._offsets_by_partition:
            conn_log = logging.getLogger("aiokafka.conn")
            level = conn_log.level
            conn_log.setLevel(logging.CRITICAL)  # the failing broker's decode error is expected here, once
            try:
                return await admin.list_consumer_group_offsets(group)
            except (KafkaConnectionError, ValueError):
                self._offsets_by_partition = True
            finally:
                conn_log.setLevel(level)
        tps = [
            TopicPartition(t, p)
            for t in await admin.list_topics()
            if not t.startswith("__")
            for p in await self._partitions(admin, t)
        ]
        return await admin.list_consumer_group_offsets(group, partitions=tps)

    @staticmethod
    async def _partitions(admin: AIOKafkaAdminClient, topic: str) -> list[int]:
        """Partitions of ``topic`` from fresh metadata (empty when it does not exist)."""
        out: list[int] = []
        for t in await admin.describe_topics([topic]):
            if t.get("topic") == topic and not t.get("error_code"):
                out.extend(p["partition"] for p in t.get("partitions", []))
        return sorted(out)

    def _group(self, g: str, state: str, members: int | None, parts: list[PartitionLag], now: float) -> GroupLag:
        by_topic: dict[str, list[PartitionLag]] = defaultdict(list)
        for p in parts:
            by_topic[p.topic].append(p)
        topic_rows: list[TopicLag] = []
        start = now - self.policy.window_s
        for t, ps in sorted(by_topic.items()):
            rates = [
                _rate([(s.at, s.committed) for s in self._samples[(g, t, p.partition)] if s.at >= start]) for p in ps
            ]
            known = [r for r in rates if r is not None]
            secs = [p.lag_seconds for p in ps if p.lag_seconds is not None]
            topic_rows.append(TopicLag(
                topic=t, stage=stage_of(t, self.settings.topic_prefix), lag=sum(p.lag for p in ps),
                lag_seconds=max(secs) if secs else None, consume_rate=sum(known) if known else None,
                status=evaluate_group(p.status for p in ps),
            ))  # fmt: skip
        secs_all = [p.lag_seconds for p in parts if p.lag_seconds is not None]
        return GroupLag(
            group=g,
            state=state,
            members=members,
            status=evaluate_group(p.status for p in parts),
            lag=sum(p.lag for p in parts),
            lag_seconds=max(secs_all) if secs_all else None,
            topics=topic_rows,
            partitions=parts,
        )

    def _produce_rate(self, topic: str, ends: dict[int, int], now: float) -> float | None:
        start = now - self.policy.window_s
        rates = [_rate([pt for pt in self._ends[(topic, p)] if pt[0] >= start]) for p in ends]
        known = [r for r in rates if r is not None]
        return sum(known) if known else None

    async def _record_timestamps(
        self, consumer: AIOKafkaConsumer, wanted: set[tuple[TopicPartition, int]]
    ) -> dict[tuple[TopicPartition, int], float]:
        """Timestamp (unix s) of the first record at or after each (partition, offset)."""
        out: dict[tuple[TopicPartition, int], float] = {}
        per_tp: dict[TopicPartition, list[int]] = defaultdict(list)
        for tp, off in wanted:
            per_tp[tp].append(off)
        # several groups may lag on the same partition at different offsets: one round per offset
        while per_tp:
            round_ = {tp: offs.pop() for tp, offs in per_tp.items()}
            per_tp = {tp: offs for tp, offs in per_tp.items() if offs}
            got = await self._first_records(consumer, round_)
            for tp, (_offset, ts) in got.items():
                out[(tp, round_[tp])] = ts
        return out

    async def _first_records(
        self, consumer: AIOKafkaConsumer, positions: dict[TopicPartition, int]
    ) -> dict[TopicPartition, tuple[int, float]]:
        consumer.assign(list(positions))
        for tp, off in positions.items():
            consumer.seek(tp, off)
        found: dict[TopicPartition, tuple[int, float]] = {}
        deadline = time.monotonic() + self.fetch_timeout_s
        while len(found) < len(positions) and time.monotonic() < deadline:
            pending = [tp for tp in positions if tp not in found]
            batch = await consumer.getmany(*pending, timeout_ms=200)
            for tp, records in batch.items():
                if records and tp not in found:
                    found[tp] = (records[0].offset, records[0].timestamp / 1000.0)
                    consumer.pause(tp)
        consumer.assign([])
        return found

    async def _recent_rejections(self, consumer: AIOKafkaConsumer, dlq_ends: dict[int, int]) -> list[RejectionSummary]:
        if self.recent_rejections <= 0 or not dlq_ends or not any(dlq_ends.values()):
            return []
        cached_ends, cached = self._dlq_cache
        if cached_ends == dlq_ends:
            return cached
        k = self.recent_rejections
        tps = {TopicPartition(self.dlq_topic, p): end for p, end in dlq_ends.items() if end > 0}
        begins = await consumer.beginning_offsets(list(tps))
        consumer.assign(list(tps))
        for tp, end in tps.items():
            consumer.seek(tp, max(begins.get(tp, 0), end - k))
        out: list[RejectionSummary] = []
        done: set[TopicPartition] = set()
        deadline = time.monotonic() + self.fetch_timeout_s
        while len(done) < len(tps) and time.monotonic() < deadline:
            batch = await consumer.getmany(*[tp for tp in tps if tp not in done], timeout_ms=200)
            for tp, records in batch.items():
                for rec in records:
                    if rec.offset >= tps[tp]:
                        continue
                    with contextlib.suppress(Exception):
                        rej = decode(Rejection, rec.value or b"")
                        out.append(RejectionSummary(
                            stage=rej.stage, reason=rej.reason, message=rej.message[:300], agency=rej.agency,
                            submission_id=rej.submission_id, rejected_at=rej.rejected_at.isoformat(),
                            partition=tp.partition, offset=rec.offset,
                        ))  # fmt: skip
                    if rec.offset >= tps[tp] - 1:
                        done.add(tp)
                        consumer.pause(tp)
        consumer.assign([])
        out.sort(key=lambda r: r.rejected_at, reverse=True)
        out = out[:k]
        self._dlq_cache = (dict(dlq_ends), out)
        return out

"""What every fault scenario shares: the corpus it streams, the reference result it must reach, the checks.

The reference ("accepted set") is computed by the pure pipeline in this process (:func:`pipeline.stages.process.
process` over a fresh dedupe index, then the notification router): the uri+version of every story that passes
dedupe and the notification id of every notice it gets. A run is correct when the store holds exactly that set
of uri+versions (no more, no less, one row each) and every expected notification id is on the notification topic
(repeats allowed: they carry the same id).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import orjson
from aiokafka.admin import AIOKafkaAdminClient

from benchmarks.corpus import Corpus
from pipeline.config import KafkaSecurity, Settings
from pipeline.ingest.publisher import RawPublisher, make_submission
from pipeline.kafka import client_kwargs
from pipeline.ops.lag import LagMonitor
from pipeline.sinks.subscriptions import router_from_settings
from pipeline.stages.dedupe import DedupeConfig, DedupeIndex, DedupeState
from pipeline.stages.normalise import NormaliseOptions
from pipeline.stages.process import process
from pipeline.topics import NOTIFICATIONS, TopicSpec, consumer_group, topic_name
from schemas import EnrichedStory, RawSubmission, utcnow
from tests.integration.harness import PipelineRun, read_topic
from tests.paths import REPO
from tests.processes import stop_group
from tests.support import slow_sink_worker

#: Set to 1 for the issue's full sizes (20k stories, 10 kills, 10k poison messages); default: CI sizes.
FULL = os.environ.get("WIREFEED_FAULTS_FULL", "") not in ("", "0")

#: Rows printed at the end of the session (see conftest.py) and written to $WIREFEED_FAULTS_RESULTS if set.
RESULTS: list[FaultRow] = []


#: A killed worker's partitions move to the survivors after 10 s instead of the default 60 s.
FAST_FAILOVER = {"WIREFEED_WORKER_SESSION_TIMEOUT_S": "10"}


def size(ci: int, full: int) -> int:
    return full if FULL else ci


@dataclass
class FaultRow:
    scenario: str
    sent: int
    stored: int
    lost: int
    duplicate_rows: int
    max_lag: int | None
    recovery_s: float | None
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "scenario": self.scenario, "sent": self.sent, "stored": self.stored, "lost": self.lost,
            "duplicate_rows": self.duplicate_rows, "max_lag": self.max_lag,
            "recovery_s": None if self.recovery_s is None else round(self.recovery_s, 1), "note": self.note,
            "size": "full" if FULL else "ci",
        }  # fmt: skip


def record(row: FaultRow) -> None:
    RESULTS.append(row)
    print(f"\nFAULT ROW {orjson.dumps(row.as_dict()).decode()}")
    out = os.environ.get("WIREFEED_FAULTS_RESULTS")
    if out:
        with open(out, "ab") as fh:
            fh.write(orjson.dumps(row.as_dict()) + b"\n")


# ------------------------------------------------------------------------------------------------- pipeline


@dataclass
class FaultRun(PipelineRun):
    """A :class:`PipelineRun` with an explicit store URL and worker processes that can be killed and replaced."""

    store_url: str | None = None
    #: Story writes this many times slower (workers run through tests/support/slow_sink_worker.py); None: as is.
    store_slowdown: float | None = None
    replication: int = 1
    #: Client security for every connection (workers get it as ``WIREFEED_KAFKA_*`` variables).
    security: KafkaSecurity | None = None

    @property
    def env(self) -> dict[str, str]:
        env = super().env
        env["WIREFEED_REPLICATION_FACTOR"] = str(self.replication)
        if self.store_url:
            env["WIREFEED_STORE_URL"] = self.store_url
        if self.store_slowdown is not None:
            env[slow_sink_worker.ENV] = str(self.store_slowdown)
        if self.security is not None:
            env.update(security_env(self.security))
        return env

    @property
    def settings(self) -> Settings:
        update: dict[str, object] = {"replication_factor": self.replication}
        if self.store_url:
            update["store_url"] = self.store_url
        if self.security is not None:
            update["kafka"] = self.security
        return super().settings.model_copy(update=update)

    @property
    def check_url(self) -> str:
        """Where the store is, as the checks read it."""
        return self.settings.resolved_store_url

    started: int = 0

    def start_worker(self) -> subprocess.Popen[bytes]:
        """A new worker process; each gets its own log file (worker-<n>.log, n counting every start)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / f"worker-{self.started}.log", "ab")
        self.started += 1
        cmd = ["-m", "pipeline", "worker"] if self.store_slowdown is None else ["-m", slow_sink_worker.__name__]
        proc = subprocess.Popen([sys.executable, *cmd], cwd=REPO, env=self.env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        log.close()
        self.workers.append(proc)
        return proc

    def live(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.workers if p.poll() is None]

    def kill_worker(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker's whole process group (no shutdown, no final commit) and forget it."""
        stop_group(proc, signal.SIGKILL, timeout=10)
        self.workers.remove(proc)

    def stop_worker(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGTERM (a clean leave of the group) and forget it."""
        stop_group(proc, timeout=30)
        self.workers.remove(proc)

    def assert_workers_alive(self) -> None:
        dead = [p for p in self.workers if p.poll() is not None]
        assert not dead, f"worker exited ({dead[0].returncode}):\n{self.logs()}"


def security_env(sec: KafkaSecurity) -> dict[str, str]:
    """``WIREFEED_KAFKA_*`` variables for these client security settings."""
    return {f"WIREFEED_KAFKA_{k.upper()}": str(v) for k, v in sec.model_dump().items() if v is not None}


def rss_bytes(pid: int) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


# ------------------------------------------------------------------------------------------------- corpus


def corpus_submissions(n: int, seed: int = 11) -> list[RawSubmission]:
    """n distinct corpus stories as submissions (each has its own uri)."""
    return [
        make_submission(s.payload, s.agency, format_hint=s.fmt, content_type=s.content_type)  # type: ignore[arg-type]
        for s in Corpus(seed).stories(n)
    ]


@dataclass
class Expected:
    accepted: set[tuple[str, int]]
    notification_ids: set[str]
    rejected: int


def reference(raws: Iterable[RawSubmission], settings: Settings) -> Expected:
    """The pure pipeline's result for these submissions, in order, in this process."""
    index = DedupeIndex(
        DedupeState(),
        DedupeConfig(window=timedelta(days=settings.dedupe_window_days), near_policy=settings.near_duplicate_policy),
    )
    options = NormaliseOptions(
        max_bytes=settings.max_payload_bytes,
        max_depth=settings.max_nesting_depth,
        default_timezone=settings.default_timezone,
    )
    router = router_from_settings(settings)
    now = utcnow()
    exp = Expected(set(), set(), 0)
    for raw in raws:
        result = process(raw, index, options, now)
        exp.rejected += len(result.rejections)
        for story in result.enriched:
            exp.accepted.add((story.uri, story.version))
            exp.notification_ids.update(n.notification_id for _, n in router.route(story))
    return exp


async def publish_stream(
    run: PipelineRun, raws: Sequence[RawSubmission], *, batch: int = 200, pause: float = 0.0
) -> None:
    """Publish in acknowledged batches (acks=all), retrying a batch the broker did not acknowledge."""
    async with RawPublisher(run.settings, request_timeout_ms=30_000) as pub:
        for i in range(0, len(raws), batch):
            chunk = raws[i : i + batch]
            for attempt in range(20):
                try:
                    await pub.publish_many(chunk)
                    break
                except Exception:
                    if attempt == 19:
                        raise
                    await asyncio.sleep(1.0)  # same submission ids: a resend is the agency's retry
            if pause:
                await asyncio.sleep(pause)


# ------------------------------------------------------------------------------------------------- checks


async def _select(url: str, sql: str) -> list[tuple[object, ...]]:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")

        def read() -> list[tuple[object, ...]]:
            if not Path(path).exists():
                return []
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
            try:
                return list(con.execute(sql))
            except sqlite3.OperationalError:  # tables not created yet
                return []
            finally:
                con.close()

        return await asyncio.to_thread(read)
    import asyncpg

    con = await asyncpg.connect(url)
    try:
        if not await con.fetchval("SELECT to_regclass('story_versions') IS NOT NULL"):
            return []
        return [tuple(r) for r in await con.fetch(sql)]
    finally:
        await con.close()


async def stored_rows(url: str) -> list[tuple[str, int]]:
    """Every (uri, version) row of the store's version history (one row per stored version)."""
    return [(str(u), int(v)) for u, v in await _select(url, "SELECT uri, version FROM story_versions")]  # type: ignore[call-overload]


async def stored_notification_ids(url: str, settings: Settings) -> set[str]:
    """The notification id of every notice the stored stories must have had (as stored: verdicts included)."""
    router = router_from_settings(settings)
    ids: set[str] = set()
    for (doc,) in await _select(url, "SELECT doc FROM story_versions"):
        story = EnrichedStory.model_validate(orjson.loads(doc))  # type: ignore[arg-type]
        ids.update(n.notification_id for _, n in router.route(story))
    return ids


async def stored_count(url: str) -> int:
    with contextlib.suppress(Exception):
        return len(await stored_rows(url))
    return -1


async def notification_ids(run: PipelineRun) -> list[str]:
    values = await read_topic(run.bootstrap, run.topic(NOTIFICATIONS))
    return [orjson.loads(v)["notification_id"] for v in values]


@dataclass
class Verdict:
    sent: int
    stored: int
    lost: int
    extra: int
    duplicate_rows: int
    missing_notifications: int
    notifications: int

    def assert_exact(self) -> None:
        assert self.lost == 0, f"{self.lost} accepted stories not stored"
        assert self.extra == 0, f"{self.extra} stored stories that were never accepted"
        assert self.duplicate_rows == 0, f"{self.duplicate_rows} duplicate rows"
        assert self.missing_notifications == 0, f"{self.missing_notifications} notification ids missing"


async def judge(run: FaultRun, exp: Expected, sent: int) -> Verdict:
    rows = await stored_rows(run.check_url)
    held = set(rows)
    ids = await notification_ids(run)
    wanted = await stored_notification_ids(run.check_url, run.settings)
    return Verdict(
        sent=sent,
        stored=len(held),
        lost=len(exp.accepted - held),
        extra=len(held - exp.accepted),
        duplicate_rows=len(rows) - len(held),
        missing_notifications=len(wanted - set(ids)),
        notifications=len(ids),
    )


async def wait_stored(run: FaultRun, exp: Expected, timeout: float, *, require_alive: bool = True) -> float:
    """Wait until every accepted story is stored; returns the seconds it took."""
    t0 = time.monotonic()
    while True:
        held = set(await stored_rows(run.check_url))
        if exp.accepted <= held:
            return time.monotonic() - t0
        if require_alive:
            run.assert_workers_alive()
        if time.monotonic() - t0 > timeout:
            missing = sorted(exp.accepted - held)
            raise AssertionError(
                f"{len(missing)} of {len(exp.accepted)} accepted stories not stored after {timeout:.0f}s "
                f"(first: {missing[:5]})\n{run.logs()}"
            )
        await asyncio.sleep(1.0)


async def wait_notified(run: FaultRun, timeout: float) -> None:
    """Wait until every stored story's notification id is on the notification topic."""
    t0 = time.monotonic()
    wanted = await stored_notification_ids(run.check_url, run.settings)
    while True:
        missing = wanted - set(await notification_ids(run))
        if not missing:
            return
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{len(missing)} notification ids missing after {timeout:.0f}s")
        await asyncio.sleep(1.0)


class LagWatch:
    """Samples the pipeline's consumer-group lag in the background; keeps the maximum and the last status."""

    def __init__(self, settings: Settings, interval: float = 1.0) -> None:
        self.monitor = LagMonitor(settings)  # every group of the app: its stage loops (and the idle Faust group)

        self.interval = interval
        self.max_lag = 0
        self.last_status: str | None = None
        self.errors = 0
        self._task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        while True:
            try:
                snap = await self.monitor.sample()
                self.max_lag = max(self.max_lag, sum(g.lag for g in snap.groups))
                worst = max((g.status for g in snap.groups), default=None)
                self.last_status = None if worst is None else worst.name
            except asyncio.CancelledError:
                raise
            except Exception:
                self.errors += 1
            await asyncio.sleep(self.interval)

    async def __aenter__(self) -> LagWatch:
        await self.monitor.start()
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        with contextlib.suppress(Exception):
            await self.monitor.close()

    async def current_lag(self) -> int | None:
        with contextlib.suppress(Exception):
            snap = await self.monitor.sample()
            return sum(g.lag for g in snap.groups)
        return None


async def committed_offsets(settings: Settings, spec: TopicSpec) -> dict[int, int]:
    """The committed offsets on ``spec``'s topic of the group that reads it (partition → next offset to read)."""
    topic = topic_name(spec, settings.topic_prefix)
    admin = AIOKafkaAdminClient(**client_kwargs(settings))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(consumer_group(settings.app_id, spec))
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset >= 0}


def rng_for(name: str) -> random.Random:
    seed = int(os.environ.get("WIREFEED_FAULTS_SEED", "20261126"))
    return random.Random(f"{seed}:{name}")

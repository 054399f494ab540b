"""The two ceilings the pipeline is measured against, on the same broker, topics and messages.

* Baseline A — raw aiokafka: ``getmany`` → ``orjson.loads`` → a trivial transform (one added field) →
  ``orjson.dumps`` → produce (acks=all, sends not awaited one by one) → commit once the batch is acknowledged.
  At-least-once like the pipeline; the practical ceiling for one Python process.
* Baseline B — a one-agent Faust passthrough built with the pipeline's own app settings
  (:func:`pipeline.app.base.faust_app`): ``async for event in stream.events()`` → the same transform →
  ``await topic.send``. The naive Faust ceiling.

Both read the ``wire.raw`` topic of their own topic prefix and write to its ``wire.normalised`` topic, and run in
a worker subprocess like the pipeline (``python -m benchmarks.baselines raw|faust``, configured by the same
``WIREFEED_*`` environment as a pipeline worker). :func:`measure_drain` times how fast the output topic fills once
the first output message appears, so start-up and group join are left out for all three alike.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from pipeline.broker.admin import ensure_topics
from pipeline.codec import encode
from pipeline.config import Settings
from pipeline.kafka import client_kwargs
from pipeline.topics import NORMALISED, RAW, topic_name

REPO = Path(__file__).resolve().parents[1]


def transform(value: bytes) -> bytes:
    """The trivial transform both baselines apply: decode, add one field, encode."""
    doc = orjson.loads(value)
    doc["seen_by"] = "baseline"
    return orjson.dumps(doc)


# --------------------------------------------------------------------------------------------- measuring


def load_average() -> float:
    return os.getloadavg()[0]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) a live process has used so far (Linux /proc); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int | None:
    """VmRSS of a live process (Linux /proc), or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class TopicCounter:
    """Messages on a topic, counted by reading it from the beginning with one open consumer.

    End offsets are not a message count on every broker (the embedded one numbers batches differently), so the
    counter consumes; ``on_message`` sees each message with its receive time (``time.time()``).
    """

    def __init__(
        self, settings: Settings, topic: str, on_message: Callable[[bytes, float], None] | None = None,
        on_record: Callable[[Any], None] | None = None,
    ) -> None:
        self.topic = topic
        self.on_message = on_message
        #: Sees each whole record (key, value, timestamp, partition, offset).
        self.on_record = on_record
        self.seen = 0
        self._consumer = AIOKafkaConsumer(
            **client_kwargs(settings),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4_194_304,
            fetch_max_bytes=16_777_216,
            # The embedded broker holds a fetch over several partitions for the whole wait (aiokafka's default
            # 500 ms), which would be counted as pipeline latency.
            fetch_max_wait_ms=10,
        )
        self._assigned = False

    async def __aenter__(self) -> TopicCounter:
        await self._consumer.start()
        await self._assign()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def _assign(self) -> None:
        parts = self._consumer.partitions_for_topic(self.topic)
        if not parts:
            await self._consumer._client.force_metadata_update()
            parts = self._consumer.partitions_for_topic(self.topic) or set()
        if parts:
            tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
            self._consumer.assign(tps)
            await self._consumer.seek_to_beginning(*tps)
            self._assigned = True

    async def count(self, timeout_ms: int = 50) -> int:
        """Read what has arrived since the last call; return the total so far."""
        if not self._assigned:
            await self._assign()
            if not self._assigned:
                return 0
        batch = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=10_000)
        now = time.time()
        for msgs in batch.values():
            self.seen += len(msgs)
            for m in msgs:
                if self.on_message:
                    self.on_message(m.value or b"", now)
                if self.on_record:
                    self.on_record(m)
        return self.seen


@dataclass
class Drain:
    """How fast ``target`` outputs appeared: rate between the first output and the last one."""

    target: int
    done: int = 0
    first_at: float | None = None
    first_count: int = 0
    last_at: float | None = None
    started_at: float = field(default_factory=time.perf_counter)
    load_before: float = field(default_factory=load_average)
    load_after: float = 0.0

    @property
    def rate(self) -> float:
        if self.first_at is None or self.last_at is None or self.last_at <= self.first_at:
            return 0.0
        return (self.done - self.first_count) / (self.last_at - self.first_at)

    @property
    def wall_seconds(self) -> float:
        return (self.last_at or time.perf_counter()) - self.started_at

    @property
    def startup_seconds(self) -> float:
        """From the start of measuring (the worker's start) to the first output."""
        return (self.first_at - self.started_at) if self.first_at is not None else float("nan")

    @property
    def complete(self) -> bool:
        return self.done >= self.target


async def measure_drain(
    count: Callable[[], Awaitable[int]],
    target: int,
    timeout: float,
    alive: Callable[[], bool] = lambda: True,
    interval: float = 0.0,
) -> Drain:
    """Poll ``count()`` until it reaches ``target`` (or ``timeout`` seconds pass, or ``alive()`` turns false)."""
    drain = Drain(target=target)
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and alive():
        n = await count()
        now = time.perf_counter()
        if n > drain.done:
            if drain.first_at is None:
                drain.first_at, drain.first_count = now, n
            drain.done, drain.last_at = n, now
        if n >= target:
            break
        await asyncio.sleep(interval)
    drain.load_after = load_average()
    return drain


# --------------------------------------------------------------------------------------------- fixtures


def bench_settings(
    bootstrap: str, data_dir: Path, partitions: int, idempotence: bool, tag: str | None = None
) -> Settings:
    tag = tag or uuid.uuid4().hex[:8]
    return Settings(
        broker=bootstrap,
        topic_prefix=f"b{tag}.",
        app_id=f"bench-{tag}",
        data_dir=data_dir / tag,
        partitions=partitions,
        producer_idempotence=idempotence,
        web_port=0,
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment a subprocess needs to rebuild ``settings`` (``WIREFEED_*`` variables)."""
    return {
        **os.environ,
        "WIREFEED_BROKER": settings.broker or "",
        "WIREFEED_TOPIC_PREFIX": settings.topic_prefix,
        "WIREFEED_APP_ID": settings.app_id,
        "WIREFEED_DATA_DIR": str(settings.data_dir),
        "WIREFEED_PARTITIONS": str(settings.partitions),
        "WIREFEED_WEB_PORT": "0",
        "WIREFEED_PRODUCER_IDEMPOTENCE": str(settings.producer_idempotence).lower(),
    }


async def preload(settings: Settings, messages: Sequence[tuple[bytes, bytes]]) -> float:
    """Create the catalogue topics and write ``(key, value)`` messages to `wire.raw`; returns msgs/s written."""
    await ensure_topics(settings)
    producer = AIOKafkaProducer(
        **client_kwargs(settings),
        acks="all",
        enable_idempotence=settings.producer_idempotence,
        linger_ms=5,
        # A batch must fit the topics' max.message.bytes (``max_message_bytes``): Kafka refuses a larger one.
        max_batch_size=settings.max_message_bytes // 2,
        max_request_size=4_194_304,
    )
    await producer.start()
    started = time.perf_counter()
    try:
        topic = topic_name(RAW, settings.topic_prefix)
        for i in range(0, len(messages), 2000):
            futures = [await producer.send(topic, v, key=k) for k, v in messages[i : i + 2000]]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return len(messages) / (time.perf_counter() - started)


def _raw_message(s: Any, seed: int) -> tuple[bytes, bytes]:
    from pipeline.ingest.publisher import make_submission

    raw = make_submission(s.payload, s.agency, content_type=s.content_type, submission_id=f"bench-{seed}-{s.index}")
    return raw.submission_id.encode(), encode(raw)


def raw_messages(n: int, start: int = 0, seed: int = 7) -> list[tuple[bytes, bytes]]:
    """``n`` distinct corpus stories as encoded RawSubmission messages keyed by submission id."""
    from benchmarks.corpus import Corpus

    return [_raw_message(s, seed) for s in Corpus(seed).stories(n, start)]


class LazyRawMessages(Sequence[tuple[bytes, bytes]]):
    """What ``raw_messages(n, seed=seed)`` returns, made when read: a million of them would hold ~5 GB, and a
    process that large cannot start the broker and workers (fork fails)."""

    def __init__(self, n: int, seed: int = 7) -> None:
        from benchmarks.corpus import Corpus

        self.n, self.seed, self.corpus = n, seed, Corpus(seed)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [_raw_message(self.corpus.story(i), self.seed) for i in range(*index.indices(self.n))]
        if not -self.n <= index < self.n:
            raise IndexError(index)
        return _raw_message(self.corpus.story(index % self.n), self.seed)


def spawn(kind: str, settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """Start a baseline worker (``raw`` or ``faust``) in its own session."""
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.baselines", kind],
        cwd=REPO,
        env=settings_env(settings),
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def run_baseline(
    kind: str,
    bootstrap: str,
    messages: Sequence[tuple[bytes, bytes]],
    data_dir: Path,
    partitions: int,
    idempotence: bool,
    timeout: float = 120.0,
) -> dict[str, Any]:
    """Preload ``messages``, start the baseline worker, time the drain into the output topic."""
    settings = bench_settings(bootstrap, data_dir, partitions, idempotence)
    await preload(settings, messages)
    proc = spawn(kind, settings, settings.data_dir / f"{kind}.log")
    try:
        async with TopicCounter(settings, topic_name(NORMALISED, settings.topic_prefix)) as out:
            drain = await measure_drain(out.count, len(messages), timeout, alive=lambda: proc.poll() is None)
        rss = rss_bytes(proc.pid)
    finally:
        stop(proc)
    return {
        "name": "Baseline A: raw aiokafka" if kind == "raw" else "Baseline B: Faust passthrough",
        "kind": kind,
        "messages": len(messages),
        "done": drain.done,
        "msgs_per_s": drain.rate,
        "wall_s": drain.wall_seconds,
        "startup_s": drain.startup_seconds,
        "rss_mb": (rss or 0) / 2**20,
        "partitions": partitions,
        "topic_prefix": settings.topic_prefix,
        "load_avg": (drain.load_before + drain.load_after) / 2,
    }


# --------------------------------------------------------------------------------------------- workers


async def raw_worker(settings: Settings, max_records: int = 1000) -> None:
    """Baseline A: consume `wire.raw` in batches, transform, produce to `wire.normalised`, commit per batch."""
    source = topic_name(RAW, settings.topic_prefix)
    sink = topic_name(NORMALISED, settings.topic_prefix)
    kwargs = client_kwargs(settings)
    consumer = AIOKafkaConsumer(
        source,
        **kwargs,
        group_id=settings.app_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4_194_304,
        fetch_max_bytes=16_777_216,
    )
    producer = AIOKafkaProducer(
        **kwargs,
        acks="all",
        enable_idempotence=settings.producer_idempotence,
        linger_ms=1,
        # A batch must fit the topics' max.message.bytes (``max_message_bytes``): Kafka refuses a larger one.
        max_batch_size=settings.max_message_bytes // 2,
        max_request_size=4_194_304,
    )
    await consumer.start()
    await producer.start()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=200, max_records=max_records)
            futures = []
            for msgs in batch.values():
                for m in msgs:
                    futures.append(await producer.send(sink, transform(m.value or b"{}"), key=m.key))
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


def faust_worker(settings: Settings) -> None:
    """Baseline B: one Faust agent, `wire.raw` → transform → `wire.normalised`, with the pipeline's app settings."""
    from faust import Worker

    from pipeline.app.base import Wirefeed

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    wf = Wirefeed.create(settings, faust_clients=True)  # the agent reads through Faust's own consumer
    out = wf.topic(NORMALISED)

    @wf.app.agent(wf.topic(RAW), name="passthrough", concurrency=1)
    async def passthrough(stream):  # type: ignore[no-untyped-def]
        async for event in stream.events():
            await out.send(key=event.key, value=transform(event.value))

    Worker(wf.app, loglevel="WARNING", quiet=True, redirect_stdouts=False).execute_from_commandline()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("raw", "faust"):
        print("usage: python -m benchmarks.baselines raw|faust  (configured by WIREFEED_* variables)")
        return 2
    settings = Settings()
    if argv[0] == "raw":
        asyncio.run(raw_worker(settings))
    else:
        sys.argv = sys.argv[:1]  # Faust's worker reads the command line
        faust_worker(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Run the real pipeline for integration tests: worker processes, publishing, and reading topics back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from pipeline.broker.admin import ensure_topics
from pipeline.config import Settings
from pipeline.ingest.publisher import RawPublisher, make_submission
from pipeline.sinks.store import open_store
from pipeline.topics import TopicSpec
from tests.paths import REPO
from tests.processes import stop_group


@dataclass
class PipelineRun:
    """One isolated pipeline on a shared broker: own topic prefix, app id (consumer group) and data dir."""

    bootstrap: str
    data_dir: Path
    partitions: int = 4
    #: The embedded broker has no InitProducerId: its producers run without idempotence.
    idempotence: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    #: The checkout whose code the workers run (a benchmark times another commit's tree beside this one).
    repo: Path = REPO

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "WIREFEED_BROKER": self.bootstrap,
            "WIREFEED_TOPIC_PREFIX": f"t{self.tag}.",
            "WIREFEED_APP_ID": f"wirefeed-{self.tag}",
            "WIREFEED_DATA_DIR": str(self.data_dir),
            "WIREFEED_PARTITIONS": str(self.partitions),
            "WIREFEED_WEB_PORT": "0",
            "WIREFEED_PRODUCER_IDEMPOTENCE": str(self.idempotence).lower(),
            **self.extra_env,
        }

    @property
    def settings(self) -> Settings:
        """The same settings the workers get from their environment."""
        return Settings(broker=self.bootstrap, topic_prefix=f"t{self.tag}.", app_id=f"wirefeed-{self.tag}",
                        data_dir=self.data_dir, partitions=self.partitions,
                        producer_idempotence=self.idempotence, store_url=self.extra_env.get("WIREFEED_STORE_URL"))

    def topic(self, spec: TopicSpec | str) -> str:
        name = spec if isinstance(spec, str) else spec.name
        return f"t{self.tag}.{name}"

    def start_worker(self) -> subprocess.Popen[bytes]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / f"worker-{len(self.workers)}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "worker"], cwd=self.repo, env=self.env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.workers.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.workers:
            stop_group(proc, timeout=10)

    def stop_worker(self, proc: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM) -> int:
        """Stop one worker (SIGTERM: a clean leave; SIGKILL: a crash) and forget it; returns its exit status."""
        code = stop_group(proc, sig)
        self.workers.remove(proc)
        return code

    async def dump_tasks(self) -> None:
        """Have each running worker write the stack of every thread and asyncio task to its log (mode's SIGUSR1
        handler), so a test that timed out shows what each worker was waiting for."""
        alive = [p for p in self.workers if p.poll() is None]
        for proc in alive:
            proc.send_signal(signal.SIGUSR1)
        if alive:
            await asyncio.sleep(2)

    def logs(self, tail: int | None = 4000) -> str:
        """The workers' logs, the last ``tail`` characters of each (None: whole)."""
        return "\n".join(p.read_text(errors="replace")[-tail if tail else 0:]
                         for p in sorted(self.data_dir.glob("worker-*.log")))

    async def stored_count(self) -> int:
        """Stories in this run's store."""
        store = await open_store(self.settings.resolved_store_url)
        try:
            return await store.count_stories()
        finally:
            await store.close()

    async def create_topics(self) -> None:
        await ensure_topics(self.settings)

    async def publish(self, payload: bytes, agency: str, **kw: object) -> str:
        raw = make_submission(payload, agency, **kw)  # type: ignore[arg-type]
        async with RawPublisher(self.settings) as pub:
            await pub.publish(raw)
        return raw.submission_id


async def read_records(bootstrap: str, topic: str, timeout: float = 2.0) -> list[ConsumerRecord]:
    """Every record currently on ``topic``, from offset 0 to the end offsets at call time."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            await consumer._client.force_metadata_update()  # metadata for a topic not yet seen
            parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout + 10
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True)):
                break
            batch = await consumer.getmany(timeout_ms=int(timeout * 1000))
            for msgs in batch.values():
                records.extend(msgs)
        return records
    finally:
        await consumer.stop()


async def read_topic(bootstrap: str, topic: str, timeout: float = 2.0) -> list[bytes]:
    """Every message value currently on ``topic`` (tombstones as b"")."""
    return [r.value or b"" for r in await read_records(bootstrap, topic, timeout)]


async def wait_until(check: Callable[[], object], timeout: float, what: str, run: PipelineRun | None = None):  # type: ignore[no-untyped-def]
    """Poll an async or sync ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if run is not None:
            for proc in run.workers:
                if proc.poll() is not None:
                    raise AssertionError(f"worker exited ({proc.returncode}) waiting for {what}:\n{run.logs()}")
        if time.monotonic() > deadline:
            if run is not None:
                await run.dump_tasks()
            logs = run.logs() if run else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{logs}")
        await asyncio.sleep(0.25)

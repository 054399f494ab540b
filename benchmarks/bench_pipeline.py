"""End-to-end pipeline benchmark on a real broker, side by side with Baselines A and B on the same messages.

``python -m benchmarks.bench_pipeline [--quick] [--broker embedded|kafka|both] [--no-scale] [--baseline REF]``
prints Rich tables (``--no-scale`` leaves out the 1-vs-2-worker scale rows on Kafka; ``--profile FILE`` adds a
py-spy profile of a warm worker on Kafka, collapsed stacks to FILE; ``--baseline REF`` adds a pipeline row run on
the tree of commit ``REF``, just before this checkout's, on the same broker and messages: before and after in one
run. That tree gets this checkout's compiled enrich tagger, which is built, not committed);
``run(quick)`` returns the rows (embedded broker). Per broker, all in one run:

* throughput — N distinct corpus stories are written to `wire.raw` first, then the worker(s) start; the rate is
  taken from the first notification to the moment every story is both stored (rows in the store) and notified
  (messages read back from the notification topic), so worker start-up and group join are left out, as for the
  baselines (:func:`benchmarks.baselines.measure_drain`). ``ratio_a`` is the pipeline's rate over Baseline A's.
* latency — on the same warm worker, a paced publisher offers 50, 200 and 1,000 stories/s for a bounded time;
  each notification's latency is its receive time minus ``received_at`` (set when the submission was made);
  p50/p95/p99 over every notification of the phase, which ends when all are read back (or a drain timeout).
* memory — worker VmRSS after the throughput run and after the latency phases (dedupe state included).
* scale (:func:`scale_rows`) — 1 vs 2 worker processes and 4/8/16 partitions, throughput only.

The machine is shared: every row carries the 1-minute load average around its measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from benchmarks.baselines import (
    Drain,
    TopicCounter,
    cpu_seconds,
    load_average,
    measure_drain,
    preload,
    raw_messages,
    rss_bytes,
    run_baseline,
)
from benchmarks.corpus import Corpus
from pipeline.config import embedded_worker_env
from pipeline.ingest.publisher import RawPublisher, make_submission
from pipeline.readiness import ready_file
from pipeline.topics import NOTIFICATIONS
from tests.integration.harness import PipelineRun

LOADS = (50, 200, 1000)
#: Baseline A drains a few thousand messages in a handful of polls; it gets the same messages repeated up to at
#: least this many, so its rate spans enough polls to be stable.
BASELINE_A_MIN = 10_000


def repeated(messages: Sequence[tuple[bytes, bytes]], at_least: int) -> list[tuple[bytes, bytes]]:
    """``messages`` repeated until there are at least ``at_least`` of them (whole copies)."""
    copies = max(1, -(-at_least // max(1, len(messages))))
    return list(messages) * copies


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


class StoreCounter:
    """Rows in the run's SQLite ``stories`` table, read at most every ``every`` seconds."""

    def __init__(self, path: Path, every: float = 0.2) -> None:
        self.path = path
        self.every = every
        self._last = 0.0
        self._value = 0

    def count(self) -> int:
        now = time.perf_counter()
        if now - self._last >= self.every and self.path.exists():
            self._last = now
            try:
                with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=1) as db:
                    self._value = int(db.execute("SELECT count(*) FROM stories").fetchone()[0])
            except sqlite3.Error:
                pass  # not migrated yet, or busy: keep the last value
        return self._value


class Notifications:
    """Reads the notification topic; keeps each notification's submission → receive latency in ms."""

    def __init__(self, run: PipelineRun) -> None:
        self.latencies_ms: list[float] = []
        self.counter = TopicCounter(run.settings, run.topic(NOTIFICATIONS), on_message=self._seen)

    def _seen(self, value: bytes, received: float) -> None:
        try:
            submitted = datetime.fromisoformat(orjson.loads(value)["received_at"]).timestamp()
        except (orjson.JSONDecodeError, KeyError, ValueError):
            return
        self.latencies_ms.append((received - submitted) * 1000)


def worker_rss_mb(run: PipelineRun) -> list[float]:
    return [round((rss_bytes(p.pid) or 0) / 2**20, 1) for p in run.workers]


async def _throughput(
    run: PipelineRun, notes: Notifications, store: StoreCounter, target: int, timeout: float
) -> tuple[Drain, dict[str, float]]:
    """The drain, and the workers' CPU time from the end of each one's first rebalance (the stories are waiting
    already, so work starts there; imports, warm-up and the join are left out) to the last story: CPU per story
    is what a core carries, whatever share of the machine the workers got."""
    alive = lambda: all(p.poll() is None for p in run.workers)  # noqa: E731
    start: dict[int, tuple[float, float]] = {}
    end: dict[str, float] = {}

    async def both() -> int:
        for p in run.workers:
            if p.pid not in start and ready_file(run.data_dir, p.pid).exists():
                start[p.pid] = (cpu_seconds(p.pid), time.perf_counter())
        n = min(await notes.counter.count(), store.count())
        if n >= target and not end:
            end.update(cpu=sum(cpu_seconds(p.pid) for p in run.workers), t=time.perf_counter())
        return n

    drain = await measure_drain(both, target, timeout, alive=alive)
    if end and len(start) == len(run.workers):
        used = end["cpu"] - sum(c for c, _ in start.values())
        wall = end["t"] - min(t for _, t in start.values())
        return drain, {"cpu_ms_per_story": used / target * 1000, "cores_used": used / max(1e-9, wall)}
    return drain, {}


async def _paced(
    run: PipelineRun,
    notes: Notifications,
    store: StoreCounter,
    rate: int,
    seconds: float,
    start_index: int,
    drain_timeout: float,
) -> dict[str, Any]:
    """Offer ``rate`` stories/s for ``seconds``; wait until every one is notified; latency percentiles."""
    corpus = Corpus(seed=11)
    total = int(rate * seconds)
    before_notes, before_store = notes.counter.seen, store.count()
    first_latency = len(notes.latencies_ms)
    load_before = load_average()
    tasks: list[asyncio.Task[int]] = []
    async with RawPublisher(run.settings, linger_ms=1) as pub:
        started = time.perf_counter()
        sent = 0
        while sent < total:
            due = min(total, int(rate * (time.perf_counter() - started)) + 1)
            if due > sent:
                raws = [
                    make_submission(s.payload, s.agency, content_type=s.content_type)
                    for s in corpus.stories(due - sent, start_index + sent)
                ]
                tasks.append(asyncio.create_task(pub.publish_many(raws)))
                sent = due
            await notes.counter.count(timeout_ms=5)  # read notifications while publishing
            await asyncio.sleep(0.005)
        offered_s = time.perf_counter() - started
        await asyncio.gather(*tasks)
    deadline = time.perf_counter() + drain_timeout
    while notes.counter.seen - before_notes < total and time.perf_counter() < deadline:
        if not all(p.poll() is None for p in run.workers):
            break
        await notes.counter.count(timeout_ms=100)
    lat = notes.latencies_ms[first_latency:]
    return {
        "offered_per_s": rate,
        "achieved_offer_per_s": total / offered_s,
        "sent": total,
        "notified": notes.counter.seen - before_notes,
        "stored": store.count() - before_store,
        "p50_ms": percentile(lat, 50),
        "p95_ms": percentile(lat, 95),
        "p99_ms": percentile(lat, 99),
        "max_ms": max(lat) if lat else float("nan"),
        "mean_ms": statistics.fmean(lat) if lat else float("nan"),
        "load_avg": (load_before + load_average()) / 2,
    }


async def pipeline_scenario(
    bootstrap: str,
    messages: Sequence[tuple[bytes, bytes]],
    data_dir: Path,
    *,
    partitions: int = 4,
    idempotence: bool,
    workers: int = 1,
    loads: Sequence[tuple[int, float]] = (),
    timeout: float = 240.0,
    drain_timeout: float = 60.0,
    extra_env: dict[str, str] | None = None,
    tree: tuple[str, Path] | None = None,
) -> dict[str, Any]:
    """Throughput over preloaded ``messages``, then latency at each ``(rate, seconds)`` of ``loads``; ``tree``:
    (label, path) of another checkout whose code the workers run."""
    run = PipelineRun(
        bootstrap=bootstrap,
        data_dir=data_dir / f"pipeline-{workers}w-{partitions}p-{uuid.uuid4().hex[:6]}",
        partitions=partitions,
        idempotence=idempotence,
        extra_env=extra_env or {},
        **({"repo": tree[1]} if tree else {}),
    )
    await preload(run.settings, messages)
    for _ in range(workers):
        run.start_worker()
    notes = Notifications(run)
    store = StoreCounter(run.data_dir / "wirefeed.sqlite3")
    result: dict[str, Any] = {
        "name": f"pipeline ({workers} worker{'s' if workers > 1 else ''}{f', {tree[0]}' if tree else ''})",
        "workers": workers,
        "partitions": partitions,
        "messages": len(messages),
    }
    try:
        async with notes.counter:
            drain, cpu = await _throughput(run, notes, store, len(messages), timeout)
            result.update(
                **cpu,
                done=drain.done,
                msgs_per_s=drain.rate,
                wall_s=drain.wall_seconds,
                startup_s=drain.startup_seconds,
                load_avg=(drain.load_before + drain.load_after) / 2,
                rss_mb=worker_rss_mb(run),
                notified=notes.counter.seen,
                stored=store.count(),
            )
            if not drain.complete:
                result["error"] = f"only {drain.done} of {len(messages)} stored and notified"
                result["log_tail"] = run.logs()[-1500:]
                return result
            latency = []
            index = 0
            for rate, seconds in loads:
                latency.append(await _paced(run, notes, store, rate, seconds, index, drain_timeout))
                index += int(rate * seconds)
            result["latency"] = latency
            result["rss_after_mb"] = worker_rss_mb(run)
            result["stories_seen"] = len(messages) + index
    finally:
        run.stop()
    return result


async def broker_rows(
    bootstrap: str, *, quick: bool, idempotence: bool, data_dir: Path, n: int | None = None,
    extra_env: dict[str, str] | None = None, baseline: tuple[str, Path] | None = None,
) -> dict[str, Any]:
    """Baseline A, Baseline B and the pipeline (throughput + latency) on one broker, same messages; with
    ``baseline`` (label, tree), the pipeline of that tree first."""
    n = n or (1500 if quick else 3000)
    messages = raw_messages(n)
    size = sum(len(v) for _, v in messages) / len(messages)
    loads = [(50, 4.0), (200, 3.0), (1000, 1.0)] if quick else [(50, 8.0), (200, 5.0), (1000, 2.0)]
    a = await run_baseline("raw", bootstrap, repeated(messages, BASELINE_A_MIN), data_dir, 4, idempotence)
    b = await run_baseline("faust", bootstrap, messages, data_dir, 4, idempotence)
    before = [await pipeline_scenario(bootstrap, messages, data_dir, idempotence=idempotence, loads=loads,
                                      extra_env=extra_env, tree=baseline)] if baseline else []
    p = await pipeline_scenario(bootstrap, messages, data_dir, idempotence=idempotence, loads=loads,
                                extra_env=extra_env)
    for row in (a, b, *before, p):
        row["ratio_a"] = row["msgs_per_s"] / a["msgs_per_s"] if a["msgs_per_s"] else float("nan")
        row["avg_message_bytes"] = size
    out = {"throughput": [a, b, *before, p], "latency": p.get("latency", [])}
    if before:
        out["baseline_latency"] = before[0].get("latency", [])
    return out


def baseline_tree(ref: str, into: Path) -> tuple[str, Path]:
    """The tree of commit ``ref``, with this checkout's compiled enrich tagger (built, not committed)."""
    import shutil

    from benchmarks.bench_normalise import extract_tree
    from tests.paths import REPO

    tree = extract_tree(ref, into)
    built = REPO / "pipeline" / "stages" / "enrich"
    for path in [*built.glob("*.so"), *built.glob("tagger.build.json")]:
        shutil.copy2(path, tree / "pipeline" / "stages" / "enrich" / path.name)
    return ref, tree


async def scale_rows(
    bootstrap: str, *, quick: bool, idempotence: bool, data_dir: Path, n: int | None = None
) -> list[dict[str, Any]]:
    """1 vs 2 workers over 4/8/16 partitions (quick: 4 only), each with its own Baseline A on the same messages."""
    n = n or 1500
    messages = raw_messages(n, seed=13)
    rows = []
    for partitions in (4,) if quick else (4, 8, 16):
        a = await run_baseline("raw", bootstrap, repeated(messages, BASELINE_A_MIN), data_dir, partitions, idempotence)
        a["workers"], a["ratio_a"] = 1, 1.0
        rows.append(a)
        for workers in (1, 2):
            p = await pipeline_scenario(
                bootstrap, messages, data_dir, partitions=partitions, idempotence=idempotence, workers=workers
            )
            p["ratio_a"] = p["msgs_per_s"] / a["msgs_per_s"] if a["msgs_per_s"] else float("nan")
            rows.append(p)
    return rows


def embedded_rows(quick: bool, baseline: tuple[str, Path] | None = None) -> dict[str, Any]:
    from pipeline.broker.embedded import EmbeddedBroker

    data_dir = Path(tempfile.mkdtemp(prefix="wirefeed-bench-"))
    with EmbeddedBroker(log_path=data_dir / "broker.log") as broker:
        return asyncio.run(broker_rows(broker.bootstrap, quick=quick, idempotence=False, data_dir=data_dir,
                                       extra_env=embedded_worker_env(os.environ), baseline=baseline))


def kafka_rows(quick: bool, scale: bool = True, profile: Path | None = None,
               baseline: tuple[str, Path] | None = None) -> dict[str, Any]:
    from tests.support.apache_kafka import ApacheKafkaCluster

    data_dir = Path(tempfile.mkdtemp(prefix="wirefeed-bench-"))
    with ApacheKafkaCluster(nodes=1, heap="1g", cleanup=True) as cluster:
        out = asyncio.run(broker_rows(cluster.bootstrap, quick=quick, idempotence=True, data_dir=data_dir,
                                      baseline=baseline))
        if scale:
            out["scale"] = asyncio.run(scale_rows(cluster.bootstrap, quick=quick, idempotence=True, data_dir=data_dir))
        if profile is not None:
            out["profile"] = asyncio.run(profile_worker(cluster.bootstrap, data_dir, idempotence=True,
                                                        seconds=10 if quick else 20, out=profile))
    return out


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Throughput rows (Baseline A, Baseline B, pipeline) on the embedded broker; latency rows nested."""
    return embedded_rows(quick)["throughput"]


# --------------------------------------------------------------------------------------------- profile

#: Where a worker's CPU samples go, first match wins (markers are substrings of py-spy's "raw" stack lines).
PROFILE_BUCKETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("normalise: language detection (py3langid)", ("detect_language (",)),
    ("normalise: parse, clean, build Story", ("normalise_all (",)),
    ("dedupe: index, near probe (pure stage)", ("DedupeIndex.check (", "pipeline/stages/dedupe/")),
    ("enrich: tagging, bloc tags, EnrichedStory", ("enrich (pipeline/stages/enrich",)),
    ("notify: routing", ("Router.route (",)),
    ("store: SQLite write", ("aiosqlite", "write_batch (")),
    ("shell: decode + validate contracts (pydantic)",
     ("model_validate (", "model_validate_json (", "decode_raw (", "TypeAdapter.validate")),
    ("shell: encode contracts (model_dump + orjson)", ("encode (pipeline/codec.py",)),
    ("Kafka produce (aiokafka sender, socket writes)", ("Sender.", "AIOKafkaProducer.send (", "Producer.send (")),
    ("Kafka consume (fetcher)", ("Fetcher", "fetcher")),
    ("metrics (prometheus)", ("prometheus_client", "pipeline/ops/metrics")),
    # Every loop's stack passes through pipeline/app/loop.py and mode's service task: what the rows above did not
    # take there is the shell's own work (loops, outbox, state), not Faust's.
    ("shell: stage loops, outbox, state (pipeline/app)", ("pipeline/app/",)),
    ("Faust: streams, agents, acks, commits, tables", ("faust/", "mode/")),
    ("event loop, other", ("",)),
)


def summarise_profile(raw: Path) -> list[dict[str, Any]]:
    """py-spy ``--format raw`` (collapsed stacks) → share of samples per bucket, biggest first."""
    counts: dict[str, int] = {}
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        for name, marks in PROFILE_BUCKETS:
            if any(m in stack for m in marks):
                counts[name] = counts.get(name, 0) + int(n)
                break
    return [{"bucket": k, "samples": v, "share": v / total} for k, v in sorted(counts.items(), key=lambda kv: -kv[1])]


async def profile_worker(
    bootstrap: str, data_dir: Path, *, idempotence: bool, rate: int = 50, seconds: float = 20.0, out: Path
) -> dict[str, Any]:
    """py-spy on a warm worker while a paced publisher offers ``rate`` stories/s, so every stage runs on every
    story (a drain of preloaded stories would profile whichever stage is the bottleneck). ``--gil`` samples only
    the thread holding the GIL: where the one core a worker can use goes. Writes the collapsed stacks to ``out``;
    returns the bucket shares and the stories/s notified while profiling."""
    import shutil
    import subprocess

    if not shutil.which("py-spy"):
        return {"error": "py-spy not installed (pip install py-spy)"}
    run = PipelineRun(bootstrap=bootstrap, data_dir=data_dir / "profile", idempotence=idempotence)
    warm = raw_messages(200, seed=17)
    await preload(run.settings, warm)
    worker = run.start_worker()
    notes = Notifications(run)
    store = StoreCounter(run.data_dir / "wirefeed.sqlite3")
    err = ""
    try:
        async with notes.counter:
            # Start-up loads the models and joins the group: profile only once the warm-up stories are through.
            deadline = time.perf_counter() + 300
            while notes.counter.seen < len(warm) and time.perf_counter() < deadline:
                await notes.counter.count(timeout_ms=100)
            out.parent.mkdir(parents=True, exist_ok=True)
            proc = await asyncio.create_subprocess_exec(
                "py-spy", "record", "--pid", str(worker.pid), "--duration", str(int(seconds)), "--rate", "250",
                "--gil", "--nonblocking", "--format", "raw", "--output", str(out),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            paced = await _paced(run, notes, store, rate, seconds, 1_000_000, drain_timeout=30)
            await proc.wait()
            err = (await proc.stderr.read()).decode(errors="replace") if proc.stderr else ""
    finally:
        run.stop()
    if not await asyncio.to_thread(out.exists):
        return {"error": f"py-spy wrote no profile: {err[-300:]}"}
    return {
        "file": str(out),
        "seconds": seconds,
        "offered_per_s": rate,
        "latency": paced,
        "load_avg": load_average(),
        "buckets": summarise_profile(out),
    }


# --------------------------------------------------------------------------------------------- tables


def throughput_table(rows: Sequence[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for col in ("what", "workers", "partitions", "messages", "msgs/s", "× Baseline A", "start s", "RSS MB",
                "CPU ms/story", "per core/s", "cores used", "load avg"):
        table.add_column(col, justify="left" if col == "what" else "right")
    for r in rows:
        rss = r.get("rss_mb", 0)
        cpu = r.get("cpu_ms_per_story")
        table.add_row(
            r["name"] + (f" [red]{r['error']}[/red]" if r.get("error") else ""),
            str(r.get("workers", 1)),
            str(r.get("partitions", 4)),
            f"{r.get('done', 0):,}/{r['messages']:,}",
            f"{r['msgs_per_s']:,.0f}",
            f"{r.get('ratio_a', float('nan')):.3f}",
            f"{r.get('startup_s', float('nan')):.1f}",
            ", ".join(f"{x:.0f}" for x in rss) if isinstance(rss, list) else f"{rss:.0f}",
            f"{cpu:.2f}" if cpu else "",
            f"{1000 / cpu:,.0f}" if cpu else "",
            f"{r['cores_used']:.2f}" if cpu else "",
            f"{r.get('load_avg', 0):.1f}",
        )
    return table


def latency_table(rows: Sequence[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for col in ("offered/s", "sent", "notified", "p50 ms", "p95 ms", "p99 ms", "max ms", "load avg"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            f"{r['offered_per_s']:,} ({r['achieved_offer_per_s']:,.0f})",
            f"{r['sent']:,}",
            f"{r['notified']:,}",
            f"{r['p50_ms']:,.0f}",
            f"{r['p95_ms']:,.0f}",
            f"{r['p99_ms']:,.0f}",
            f"{r['max_ms']:,.0f}",
            f"{r['load_avg']:.1f}",
        )
    return table


def profile_table(profile: dict[str, Any], title: str) -> Table:
    table = Table(title=title)
    table.add_column("where the worker's time goes (GIL-holding samples)")
    table.add_column("share", justify="right")
    for b in profile.get("buckets", []):
        table.add_row(b["bucket"], f"{100 * b['share']:.1f}%")
    return table


def print_broker(console: Console, broker: str, result: dict[str, Any]) -> None:
    console.print(throughput_table(result["throughput"], f"{broker}: end-to-end throughput (drain of N stories)"))
    if result.get("baseline_latency"):
        console.print(latency_table(result["baseline_latency"], f"{broker}: latency, baseline tree"))
    if result.get("latency"):
        console.print(latency_table(result["latency"], f"{broker}: submission → notification latency"))
    if result.get("scale"):
        console.print(throughput_table(result["scale"], f"{broker}: scale (workers × partitions)"))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_pipeline", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer stories and shorter latency phases")
    ap.add_argument("--broker", choices=("embedded", "kafka", "both"), default="embedded")
    ap.add_argument("--no-scale", action="store_true", help="leave out the 1-vs-2-worker scale rows on Kafka")
    ap.add_argument("--profile", type=Path, metavar="FILE", help="py-spy profile of a warm worker on Kafka")
    ap.add_argument("--baseline", metavar="REF", help="also run the pipeline of commit REF, just before this one")
    args = ap.parse_args(argv)
    quick, scale, profile, broker = args.quick, not args.no_scale, args.profile, args.broker
    console = Console(width=140)
    with tempfile.TemporaryDirectory(prefix="wirefeed-baseline-") as tmp:
        baseline = baseline_tree(args.baseline, Path(tmp)) if args.baseline else None
        if broker in ("embedded", "both"):
            print_broker(console, "embedded broker", embedded_rows(quick, baseline))
        if broker in ("kafka", "both"):
            result = kafka_rows(quick, scale=scale, profile=profile, baseline=baseline)
            print_broker(console, "Apache Kafka", result)
            if result.get("profile"):
                console.print(result["profile"].get("error") or profile_table(result["profile"], "worker profile"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

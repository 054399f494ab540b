"""Where a story's latency goes, hop by hop, on a warm worker at a paced rate.

``python -m benchmarks.bench_hops [--broker embedded|kafka] [--rate 50] [--seconds 6]`` starts one worker, waits
until a first story is notified, offers ``rate`` stories/s for ``seconds``, then reads every topic of the run back
and follows each story by its uri through the producer timestamps (``CreateTime``, set when a client hands the
message to its producer):

* ``publish``: the submission's ``received_at`` → its `wire.raw` message (the publisher);
* ``normalise``: `wire.raw` → `wire.normalised` (the worker's fetch, Faust's hand-over, the batch window, the stage);
* ``dedupe+enrich``: `wire.normalised` → `wire.enriched`;
* ``store+notify``: `wire.enriched` → the notification (fetch, batch window, database commit);
* ``read``: the notification → received by this process (its own consumer, 10 ms fetch wait);

and prints p50/p90/p99 per hop, with the worker's CPU time: its share of a core over 5 idle seconds, and CPU ms per
story over the paced phase (user + system, all threads, from /proc): the figures that do not depend on how loaded
the machine is. All clocks are this machine's, so the hops add up to the end-to-end latency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from benchmarks.baselines import TopicCounter, cpu_seconds, load_average
from benchmarks.bench_pipeline import percentile
from benchmarks.corpus import Corpus
from pipeline.config import Settings, embedded_worker_env
from pipeline.ingest.publisher import RawPublisher, make_submission
from pipeline.topics import ENRICHED, NORMALISED, NOTIFICATIONS, RAW
from tests.integration.harness import PipelineRun

HOPS = ("publish", "normalise", "dedupe+enrich", "store+notify", "read", "total")


async def read_topic(settings: Settings, topic: str) -> list[Any]:
    """Every record of ``topic`` (all partitions, from the beginning), read until three polls return nothing."""
    records: list[Any] = []
    async with TopicCounter(settings, topic, on_record=records.append) as counter:
        idle = 0
        while idle < 3:
            before = counter.seen
            idle = 0 if await counter.count(timeout_ms=300) > before else idle + 1
    return records


async def wait_notified(counter: TopicCounter, n: int, timeout: float) -> None:
    """Read notifications until ``n`` are seen or ``timeout`` passes (one poll at least)."""
    deadline = time.monotonic() + timeout
    while await counter.count(timeout_ms=5 if timeout == 0 else 20) < n and time.monotonic() < deadline:
        pass


async def paced(run: PipelineRun, rate: int, seconds: float, profile: Path | None = None) -> dict[str, Any]:
    settings = run.settings
    received: dict[str, float] = {}

    def seen(value: bytes, at: float) -> None:
        received.setdefault(orjson.loads(value)["uri"], at)

    corpus = Corpus(seed=17)
    started_wait = time.monotonic()
    async with TopicCounter(settings, run.topic(NOTIFICATIONS), on_message=seen) as counter:
        async with RawPublisher(settings, linger_ms=1) as pub:
            # A first story, notified before the paced phase starts: the worker has joined and is warm.
            await pub.publish_many([make_submission(s.payload, s.agency, content_type=s.content_type)
                                    for s in corpus.stories(1, 0)])
            await wait_notified(counter, 1, 180)
            if not received:
                raise RuntimeError(f"no notification within 180 s of starting the worker; logs:\n{run.logs()}")
            ready_s = time.monotonic() - started_wait
            pid = run.workers[0].pid
            idle_cpu, idle_t = cpu_seconds(pid), time.monotonic()
            await asyncio.sleep(5.0)
            idle_share = (cpu_seconds(pid) - idle_cpu) / (time.monotonic() - idle_t)
            busy_cpu, busy_t = cpu_seconds(pid), time.monotonic()
            spy = None
            if profile is not None:  # every thread, on CPU only: where the worker's CPU time per story goes
                spy = await asyncio.create_subprocess_exec(
                    "py-spy", "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
                    "--nonblocking", "--format", "raw", "--output", str(profile),
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            total = int(rate * seconds)
            load_before = load_average()
            t0 = time.perf_counter()
            sent = 0
            tasks = []
            while sent < total:
                due = min(total, int(rate * (time.perf_counter() - t0)) + 1)
                if due > sent:
                    raws = [make_submission(s.payload, s.agency, content_type=s.content_type)
                            for s in corpus.stories(due - sent, 1 + sent)]
                    tasks.append(asyncio.create_task(pub.publish_many(raws)))
                    sent = due
                await wait_notified(counter, 1 + total, 0.0)
                await asyncio.sleep(0.004)
            await asyncio.gather(*tasks)
        await wait_notified(counter, 1 + total, 60)
        busy_cpu = cpu_seconds(pid) - busy_cpu
        busy_s = time.monotonic() - busy_t
        if spy is not None:
            await spy.wait()
    return {"ready_s": ready_s, "received": received, "sent": total, "idle_cpu_share": idle_share,
            "cpu_ms_per_story": busy_cpu / total * 1000,
            "net_cpu_ms_per_story": (busy_cpu - idle_share * busy_s) / total * 1000,
            "load_avg": (load_before + load_average()) / 2}


def hop_table(run: PipelineRun, topics: dict[str, list[Any]], received: dict[str, float]) -> dict[str, list[float]]:
    """Per story (by uri): milliseconds spent in each hop."""
    raw_ts = {orjson.loads(m.value)["submission_id"]: (m.timestamp, orjson.loads(m.value)["received_at"])
              for m in topics["raw"]}
    by_uri: dict[str, dict[str, float]] = defaultdict(dict)
    for m in topics["normalised"]:
        doc = orjson.loads(m.value)
        sub = raw_ts.get(doc["submission_id"])
        if sub is None:
            continue
        by_uri[doc["uri"]].update(norm=m.timestamp / 1000, raw=sub[0] / 1000,
                                  made=datetime.fromisoformat(sub[1]).timestamp())
    for name, topic in (("enriched", topics["enriched"]), ("note", topics["notifications"])):
        for m in topic:
            uri = orjson.loads(m.value)["uri"]
            by_uri[uri].setdefault(name, m.timestamp / 1000)
    hops: dict[str, list[float]] = {h: [] for h in HOPS}
    for uri, t in by_uri.items():
        if uri not in received or not {"made", "raw", "norm", "enriched", "note"} <= t.keys():
            continue
        t["got"] = received[uri]
        for hop, (a, b) in zip(HOPS, (("made", "raw"), ("raw", "norm"), ("norm", "enriched"), ("enriched", "note"),
                                      ("note", "got"), ("made", "got")), strict=True):
            hops[hop].append((t[b] - t[a]) * 1000)
    return hops


async def measure(bootstrap: str, data_dir: Path, *, idempotence: bool, rate: int, seconds: float,
                  extra_env: dict[str, str], profile: Path | None = None) -> dict[str, Any]:
    run = PipelineRun(bootstrap=bootstrap, data_dir=data_dir / "hops", idempotence=idempotence,
                      extra_env=extra_env)
    from benchmarks.baselines import preload

    await preload(run.settings, [])
    run.start_worker()
    try:
        result = await paced(run, rate, seconds, profile)
    finally:
        run.stop()
    names = {"raw": RAW, "normalised": NORMALISED, "enriched": ENRICHED, "notifications": NOTIFICATIONS}
    topics = {k: await read_topic(run.settings, run.topic(spec)) for k, spec in names.items()}
    hops = hop_table(run, topics, result["received"])
    # The first story (the warm-up one) is left out.
    rows = []
    for hop, values in hops.items():
        vals = values[1:] if len(values) > 1 else values
        rows.append({"hop": hop, "n": len(vals), "p50_ms": percentile(vals, 50), "p90_ms": percentile(vals, 90),
                     "p99_ms": percentile(vals, 99), "mean_ms": sum(vals) / len(vals) if vals else float("nan")})
    return {"rate": rate, "seconds": seconds, "sent": result["sent"], "notified": len(result["received"]) - 1,
            "ready_s": result["ready_s"], "load_avg": result["load_avg"], "hops": rows,
            "idle_cpu_share": result["idle_cpu_share"], "cpu_ms_per_story": result["cpu_ms_per_story"],
            "net_cpu_ms_per_story": result["net_cpu_ms_per_story"]}


def run_broker(broker: str, rate: int, seconds: float, extra_env: dict[str, str],
               profile: Path | None = None) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="wirefeed-hops-"))
    if broker == "embedded":
        from pipeline.broker.embedded import EmbeddedBroker

        with EmbeddedBroker(log_path=data_dir / "broker.log") as b:
            env = {**embedded_worker_env(os.environ), **extra_env}
            return asyncio.run(measure(b.bootstrap, data_dir, idempotence=False, rate=rate, seconds=seconds,
                                       extra_env=env, profile=profile))
    from tests.support.apache_kafka import ApacheKafkaCluster

    with ApacheKafkaCluster(nodes=1, heap="1g", cleanup=True) as cluster:
        return asyncio.run(measure(cluster.bootstrap, data_dir, idempotence=True, rate=rate, seconds=seconds,
                                   extra_env=extra_env, profile=profile))


def table(result: dict[str, Any], title: str) -> Table:
    t = Table(title=title)
    for c in ("hop", "n", "p50 ms", "p90 ms", "p99 ms", "mean ms"):
        t.add_column(c, justify="right")
    for r in result["hops"]:
        t.add_row(r["hop"], str(r["n"]), *(f"{r[k]:,.1f}" for k in ("p50_ms", "p90_ms", "p99_ms", "mean_ms")))
    return t


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_hops", description=__doc__.splitlines()[0])
    parser.add_argument("--broker", choices=("embedded", "kafka"), default="embedded")
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the worker (repeatable)")
    parser.add_argument("--profile", type=Path, help="py-spy collapsed stacks of the worker's paced phase to FILE")
    args = parser.parse_args(argv)
    extra = dict(e.split("=", 1) for e in args.env)
    result = run_broker(args.broker, args.rate, args.seconds, extra, args.profile)
    title = (f"{args.broker}, {args.rate}/s for {args.seconds:g} s: {result['notified']} of {result['sent']} "
             f"notified, first story after {result['ready_s']:.1f} s, load {result['load_avg']:.1f} {extra or ''}; "
             f"worker CPU: idle {result['idle_cpu_share']:.1%} of a core, {result['cpu_ms_per_story']:.2f} ms per "
             f"story while paced ({result['net_cpu_ms_per_story']:.2f} ms above idle)")
    Console(width=120).print(table(result, title))
    return 0 if result["notified"] == result["sent"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

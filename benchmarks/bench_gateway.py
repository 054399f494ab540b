"""Load test of the ingest gateway on loopback: ``python -m benchmarks.bench_gateway [--quick]``.

A single-node Apache Kafka (jars from ``deploy/kafka``), the gateway under uvicorn and the agency clients all run
in this one process and event loop (so the figures are per core, gateway and clients together). A bounded loop:
``CLIENTS`` agency clients (each with ``IN_FLIGHT`` requests at a time) publish ``n`` stories through
``POST /v1/stories``; then every message on `wire.raw` is read back to check that each acknowledged submission is
there exactly once and nothing else is (no loss, no duplicate). Baseline, same run and same stories: the
``RawPublisher`` alone (no HTTP) with the same concurrency. ``run(quick)`` returns the rows.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks import options

CLIENTS = 4
IN_FLIGHT = 8
SEED = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "seed-story-tca.txt"


def _stories(n: int) -> list[bytes]:
    base = SEED.read_bytes() if SEED.exists() else b"BISHKEK (TCA) - Headline\n\nBody paragraph."
    return [base + f"\n\nStory number {i}.".encode() for i in range(n)]


async def _drive(n: int, send: Callable[[int], Awaitable[str]]) -> tuple[float, list[float], list[str]]:
    """Send stories 0..n-1 from CLIENTS x IN_FLIGHT workers; return wall seconds, latencies, submission ids."""
    latencies: list[float] = []
    ids: list[str] = []
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            t = time.perf_counter()
            ids.append(await send(i))
            latencies.append(time.perf_counter() - t)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CLIENTS * IN_FLIGHT)))
    return time.perf_counter() - t0, latencies, ids


def _row(
    what: str, n: int, seconds: float, latencies: list[float], cpu: float, check: dict[str, int]
) -> dict[str, Any]:
    q = statistics.quantiles(latencies, n=100)
    return {
        "what": what,
        "stories": n,
        "seconds": round(seconds, 2),
        "stories_per_s": round(n / seconds),
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "cpu_s": round(cpu, 2),
        **check,
    }


async def _verify(bootstrap: str, topic: str, ids: list[str]) -> dict[str, int]:
    from pipeline.codec import decode
    from schemas import RawSubmission
    from tests.integration.harness import read_topic

    on_topic = Counter(decode(RawSubmission, v).submission_id for v in await read_topic(bootstrap, topic))
    acked = set(ids)
    return {
        "acked": len(ids),
        "on_topic": sum(on_topic.values()),
        "lost": len(acked - set(on_topic)),
        "duplicates": sum(c - 1 for c in on_topic.values() if c > 1) + (len(ids) - len(acked)),
        "unexpected": len(set(on_topic) - acked),
    }


async def _measure(n: int, workdir: Path) -> list[dict[str, Any]]:
    from pipeline.broker.admin import ensure_topics
    from pipeline.config import Settings
    from pipeline.ingest.app import create_gateway_app, serve_in_background
    from pipeline.ingest.client import AgencyClient
    from pipeline.ingest.keys import generate_key
    from pipeline.ingest.publisher import RawPublisher, make_submission
    from pipeline.sinks.store.interface import open_store
    from pipeline.topics import RAW, topic_name
    from tests.support.apache_kafka import ApacheKafkaCluster

    stories = _stories(n)
    rows = []
    with ApacheKafkaCluster(workdir=workdir / "kafka") as cluster:
        base = {
            "broker": cluster.bootstrap,
            "partitions": 4,
            "gateway_rate_per_second": 1e9,
            "gateway_rate_burst": 10**9,
            "data_dir": workdir,
        }

        # Baseline: the publisher alone, same concurrency, no HTTP.
        s = Settings(topic_prefix="bench-base.", **base)
        await ensure_topics(s)
        async with RawPublisher(s) as pub:

            async def direct(i: int) -> str:
                raw = make_submission(stories[i], "TCA", format_hint="text", content_type="text/plain")
                await pub.publish(raw)
                return raw.submission_id

            await direct(0)  # connection and metadata warm-up, not counted below
            c0 = time.process_time()
            seconds, lat, ids = await _drive(n, direct)
            cpu = time.process_time() - c0
        check = await _verify(cluster.bootstrap, topic_name(RAW, s.topic_prefix), ids)
        check["unexpected"] -= 1  # the warm-up story
        check["on_topic"] -= 1
        rows.append(_row("RawPublisher alone (baseline, no HTTP)", n, seconds, lat, cpu, check))

        # The gateway, over HTTP, with agency clients.
        s = Settings(topic_prefix="bench-gw.", store_url=f"sqlite:///{workdir / 'keys.sqlite3'}", **base)
        await ensure_topics(s)
        store = await open_store(s.resolved_store_url)
        key = generate_key()
        await store.add_agency_key("TCA", key.key_id, key.key_hash)
        server = await serve_in_background(create_gateway_app(s, store))
        try:
            clients = [AgencyClient(server.url, key.token) for _ in range(CLIENTS)]
            await clients[0].publish(b"WARM (TCA) - up\n\nnot counted", "text/plain")

            async def via_gateway(i: int) -> str:
                accepted = await clients[i % CLIENTS].publish(stories[i], "text/plain; charset=utf-8")
                return accepted.submission_id

            c0 = time.process_time()
            seconds, lat, ids = await _drive(n, via_gateway)
            cpu = time.process_time() - c0
            for c in clients:
                await c.aclose()
        finally:
            await server.stop()
            await store.close()
        check = await _verify(cluster.bootstrap, topic_name(RAW, s.topic_prefix), ids)
        check["unexpected"] -= 1
        check["on_topic"] -= 1
        rows.append(_row(f"gateway POST /v1/stories, {CLIENTS} clients x {IN_FLIGHT}", n, seconds, lat, cpu, check))
    return rows


def run(quick: bool = False) -> list[dict[str, Any]]:
    n = 2_000 if quick else 20_000
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        return asyncio.run(_measure(n, Path(tmp)))


def main(argv: list[str]) -> int:
    args = options.parse(
        "benchmarks.bench_gateway", __doc__, argv,
        ("--quick", "a shorter run (fewer stories or rounds), for a first look"),
    )
    from rich.console import Console
    from rich.table import Table

    rows = run(quick=args.quick)
    console = Console(width=160)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    console.print(f"load average after measuring: {load} ({os.cpu_count()} cores); Apache Kafka, 1 node, acks=all")
    t = Table(title="ingest gateway load test (one process: gateway + clients; wall clock, perf_counter)")
    cols = (
        "what",
        "stories",
        "seconds",
        "stories/s",
        "p50 ms",
        "p99 ms",
        "CPU s",
        "acked",
        "on topic",
        "lost",
        "duplicates",
        "unexpected",
    )
    keys = (
        "what",
        "stories",
        "seconds",
        "stories_per_s",
        "p50_ms",
        "p99_ms",
        "cpu_s",
        "acked",
        "on_topic",
        "lost",
        "duplicates",
        "unexpected",
    )
    for c in cols:
        t.add_column(c, justify="left" if c == "what" else "right")
    for r in rows:
        t.add_row(*(f"{r[k]:,}" if isinstance(r[k], int) else str(r[k]) for k in keys))
    console.print(t)
    bad = [r for r in rows if r["lost"] or r["duplicates"] or r["unexpected"]]
    if bad:
        console.print("[red]loss or duplicates on wire.raw[/]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

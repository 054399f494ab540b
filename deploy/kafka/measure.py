"""Measure start time and resident memory of local Kafka nodes per version (figures for docs/kafka-versions.md).

    python deploy/kafka/measure.py 4.4.0 3.9.2 [--nodes 1 3] [--messages 20000]

For each version and cluster size: wall time of ``start()`` (storage format + JVM start + ready line + aiokafka
metadata), each node's RSS when ready, and after producing N 1 KiB messages with acks=all.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.table import Table

from tests.support.apache_kafka import ApacheKafkaCluster, ensure_libs


async def produce(bootstrap: str, topic: str, n: int) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        payload = b"x" * 1024
        t0 = time.perf_counter()
        for i in range(n):
            await producer.send(topic, key=b"%d" % (i % 64), value=payload)
        await producer.flush()
        return n / (time.perf_counter() - t0)
    finally:
        await producer.stop()


def measure(version: str, nodes: int, messages: int) -> dict[str, object]:
    ensure_libs(version)
    cluster = ApacheKafkaCluster(nodes=nodes, version=version, heap="384m" if nodes > 1 else "512m", cleanup=True)
    t0 = time.perf_counter()
    with cluster:
        start_s = time.perf_counter() - t0
        rss_ready = [cluster.rss_bytes(i) or 0 for i in range(nodes)]
        rate = asyncio.run(produce(cluster.bootstrap, "measure", messages))
        rss_load = [cluster.rss_bytes(i) or 0 for i in range(nodes)]
    return {
        "version": version,
        "nodes": nodes,
        "start_s": round(start_s, 2),
        "rss_ready_mib": [r // 2**20 for r in rss_ready],
        "rss_after_mib": [r // 2**20 for r in rss_load],
        "produce_msg_s": round(rate),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("versions", nargs="+")
    ap.add_argument("--nodes", type=int, nargs="+", default=[1])
    ap.add_argument("--messages", type=int, default=20_000)
    args = ap.parse_args()
    table = Table(title="Local Kafka nodes: start time and RSS")
    for col in ("version", "nodes", "start s", "RSS ready MiB", "RSS after load MiB", "acks=all msg/s"):
        table.add_column(col)
    for v in args.versions:
        for n in args.nodes:
            r = measure(v, n, args.messages)
            print(r, flush=True)
            table.add_row(
                v, str(n), str(r["start_s"]), str(r["rss_ready_mib"]), str(r["rss_after_mib"]), str(r["produce_msg_s"])
            )
    Console().print(table)


if __name__ == "__main__":
    main()

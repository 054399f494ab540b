"""Operations benchmark: what metrics cost per message, and how fast the status evaluator judges partitions.

``python -m benchmarks.bench_ops`` prints a Rich table; ``run(quick)`` returns the rows. Single process,
``time.perf_counter``.

* per-message metrics: the helper a stage calls per message (``stage_processed`` with a timing) against two
  baselines measured in the same run: an empty loop (floor) and the naive prometheus-client call that looks up
  the label child on every message (``STAGE_MESSAGES.labels(...).inc()`` + ``STAGE_SECONDS.labels(...).observe()``);
* per-batch end-to-end latency: ``e2e_latencies`` over batches of 500 stories;
* status: ``evaluate_partition`` over a full window (13 samples, 5 s apart) — partitions judged per second, i.e.
  how many partitions one monitor sample can afford to evaluate;
* ``update_lag``: publishing a snapshot of 8 groups × 3 topics × 8 partitions to the gauges.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import options
from pipeline.ops import metrics
from pipeline.ops.lag import GroupLag, LagSnapshot, PartitionLag, TopicEnds, TopicLag
from pipeline.ops.status import Sample, Status, StatusPolicy, evaluate_partition


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def per_message(n: int) -> list[dict[str, Any]]:
    rows = []
    t0 = time.perf_counter()
    for _ in range(n):
        pass
    floor = time.perf_counter() - t0
    rows.append(
        {"case": "empty loop (floor)", "unit": "messages/s", "per_s": _rate(n, floor), "us_each": 1e6 * floor / n}
    )

    t0 = time.perf_counter()
    for _ in range(n):
        metrics.STAGE_MESSAGES.labels("bench", "ok").inc()
        metrics.STAGE_SECONDS.labels("bench").observe(0.0004)
    naive = time.perf_counter() - t0
    rows.append({"case": "labels() per call (baseline)", "unit": "messages/s", "per_s": _rate(n, naive),
                 "us_each": 1e6 * naive / n})  # fmt: skip

    t0 = time.perf_counter()
    for _ in range(n):
        metrics.stage_processed("bench", "ok", 0.0004)
    helper = time.perf_counter() - t0
    rows.append({"case": "stage_processed() helper", "unit": "messages/s", "per_s": _rate(n, helper),
                 "us_each": 1e6 * helper / n})  # fmt: skip

    batch = [datetime.now(UTC)] * 500
    batches = max(1, n // 500)
    t0 = time.perf_counter()
    for _ in range(batches):
        metrics.e2e_latencies("bench", batch)
    e2e = time.perf_counter() - t0
    rows.append({"case": "e2e_latencies() per story, batches of 500", "unit": "stories/s",
                 "per_s": _rate(batches * 500, e2e), "us_each": 1e6 * e2e / (batches * 500)})  # fmt: skip
    return rows


def status(n: int) -> dict[str, Any]:
    policy = StatusPolicy(window_s=60, min_span_s=30)
    histories = [
        [Sample(at=1000.0 + 5 * i, committed=100 + i * (p % 3), end=120 + 2 * i) for i in range(13)] for p in range(64)
    ]
    now = 1060.0
    t0 = time.perf_counter()
    for k in range(n):
        evaluate_partition(histories[k % 64], now, policy, 1)
    dt = time.perf_counter() - t0
    return {"case": "evaluate_partition (13-sample window)", "unit": "partitions/s", "per_s": _rate(n, dt),
            "us_each": 1e6 * dt / n}  # fmt: skip


def publish(n: int) -> dict[str, Any]:
    groups = []
    for g in range(8):
        parts = [
            PartitionLag(topic=f"bench.t{t}", partition=p, committed=10, end=15, lag=5, lag_seconds=1.0,
                         lag_seconds_source="record", status=Status.OK)
            for t in range(3) for p in range(8)
        ]  # fmt: skip
        topics = [TopicLag(topic=f"bench.t{t}", stage="s", lag=40, lag_seconds=1.0, consume_rate=1.0, status=Status.OK)
                  for t in range(3)]  # fmt: skip
        groups.append(GroupLag(group=f"bench-{g}", state="Stable", members=1, status=Status.OK, lag=120,
                               lag_seconds=1.0, topics=topics, partitions=parts))  # fmt: skip
    snap = LagSnapshot(taken_at=time.time(), window_s=60, groups=groups,
                       topics=[TopicEnds(topic=f"bench.t{t}", ends=dict.fromkeys(range(8), 15), produce_rate=None)
                               for t in range(3)],
                       dlq_topic="wire.dlq", dlq_rate=None, rejections=[])  # fmt: skip
    t0 = time.perf_counter()
    for _ in range(n):
        metrics.update_lag(snap)
    dt = time.perf_counter() - t0
    series = 8 * 3 * 8
    return {"case": f"update_lag ({series} partitions)", "unit": "snapshots/s", "per_s": _rate(n, dt),
            "us_each": 1e6 * dt / n}  # fmt: skip


def run(quick: bool = False) -> list[dict[str, Any]]:
    n = 20_000 if quick else 300_000
    rows = per_message(n)
    rows.append(status(n // 10))
    rows.append(publish(20 if quick else 200))
    return rows


def main() -> None:
    options.parse("benchmarks.bench_ops", __doc__, sys.argv[1:])
    rows = run()
    table = Table(title="wirefeed ops: metric and status costs (single core)")
    for col in ("case", "rate", "unit", "µs each"):
        table.add_column(col, justify="left" if col in ("case", "unit") else "right")
    for r in rows:
        table.add_row(r["case"], f"{r['per_s']:,.0f}", r["unit"], f"{r['us_each']:.3f}")
    Console().print(table)


if __name__ == "__main__":
    main()

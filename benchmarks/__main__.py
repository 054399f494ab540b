"""Every benchmark in one command: ``python -m benchmarks [--quick] [--broker embedded|kafka|both]``.

Prints one table per part, with ratios to baselines measured in the same run, and writes every row to
``benchmarks/results/<UTC date>.json`` (with the machine, the load average and the options).

Parts, in order:

1. pure stages, each alone (``benchmarks.bench_{normalise,dedupe,enrich,notify,store,ops}.run``) — in quick mode
   unless ``--full-stages`` (the full per-stage runs alone take several minutes);
2. normalise + dedupe + enrich together (``pipeline.stages.process.process``), stories/s per core, against
   decoding the envelope alone (``decode_raw``) measured in the same run;
3. per broker: Baseline A, Baseline B and the pipeline on the same messages (throughput, latency at 50, 200 and
   1,000 stories/s, worker RSS) — ``benchmarks.bench_pipeline``; on Apache Kafka also 1 vs 2 workers over
   4/8/16 partitions (quick: 4 only);
4. a py-spy profile of one worker under load (``--no-profile`` to skip), on Apache Kafka when it runs.

Other options: ``--no-stages``, ``--broker none`` (no broker parts), ``--memory N`` (worker RSS after N stories
through the pipeline, on the embedded broker or with ``--memory-broker kafka`` on Apache Kafka; 100,000 take
about ten minutes on their own, so it is not part of the default run), ``--out PATH``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import platform
import tempfile
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"
STAGES = ("normalise", "dedupe", "enrich", "notify", "store", "ops")
console = Console(width=150)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_at_start": os.getloadavg(),
    }


def generic_table(title: str, rows: list[dict[str, Any]]) -> Table:
    """A table of whatever scalar columns the rows carry (the stage benchmarks each have their own)."""
    columns: list[str] = []
    for r in rows:
        columns += [k for k, v in r.items() if k not in columns and isinstance(v, str | int | float | bool)]
    table = Table(title=title)
    for c in columns:
        table.add_column(c, justify="right")
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c, "")
            cells.append(f"{v:,.1f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v))
        table.add_row(*cells)
    return table


def stage_rows(quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in STAGES:
        started = time.perf_counter()
        load = os.getloadavg()[0]
        try:
            result = importlib.import_module(f"benchmarks.bench_{name}").run(quick=quick)
            # A benchmark returns its rows, or a dict of row lists by table (normalise: samples, corpus).
            rows = result if isinstance(result, list) else [r for v in result.values() if isinstance(v, list)
                                                           for r in v if isinstance(r, dict)]
        except Exception as exc:  # one broken benchmark must not hide the others
            out[name] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-2000:]}
            console.print(f"[red]bench_{name} failed: {exc}[/red]")
            continue
        out[name] = {
            "rows": rows,
            "seconds": time.perf_counter() - started,
            "load_avg": (load + os.getloadavg()[0]) / 2,
        }
        console.print(generic_table(f"{name} (quick={quick}, load avg {out[name]['load_avg']:.1f})", rows))
    return out


def together_row(quick: bool) -> dict[str, Any]:
    """normalise + dedupe + enrich in-process over distinct corpus stories: stories/s per core.

    Baseline (same run): ``decode_raw`` alone, i.e. orjson + validating the RawSubmission envelope. Best of three
    rounds, in CPU seconds of this process (``time.process_time``), so a loaded machine does not lower it; every
    round continues the corpus, so dedupe always sees new stories and its state grows.
    """
    from benchmarks.baselines import raw_messages
    from pipeline.stages.dedupe import DedupeConfig, DedupeIndex, DedupeState
    from pipeline.stages.normalise import NormaliseOptions
    from pipeline.stages.process import decode_raw, process
    from schemas import RawSubmission

    n = 600 if quick else 3000
    messages = [v for _, v in raw_messages(n * 3, seed=23)]
    now = datetime.now(UTC)
    index = DedupeIndex(DedupeState(uris={}, near={}), DedupeConfig(window=timedelta(days=7)))
    options = NormaliseOptions()
    raws = [r for r in (decode_raw(m, now) for m in messages) if isinstance(r, RawSubmission)]
    process(raws[0], index, options, now)  # warm-up: loads the language model and gazetteer
    best = base = 0.0
    enriched = 0
    load = os.getloadavg()[0]
    for round_ in range(3):
        # CPU time of this process, not wall time: "per core" whatever share of the machine it got.
        chunk = raws[round_ * n : (round_ + 1) * n]
        started = time.process_time()
        for raw in chunk:
            enriched += len(process(raw, index, options, now).enriched)
        best = max(best, len(chunk) / (time.process_time() - started))
        started = time.process_time()
        for m in messages[round_ * n : (round_ + 1) * n]:
            decode_raw(m, now)
        base = max(base, n / (time.process_time() - started))
    return {
        "case": "normalise + dedupe + enrich together",
        "stories": 3 * n,
        "enriched": enriched,
        "stories_per_s": best,
        "cpu_ms_per_story": 1000 / best,
        "baseline_decode_per_s": base,
        "target_per_s": 5000,
        "load_avg": (load + os.getloadavg()[0]) / 2,
    }


def broker_part(broker: str, quick: bool, profile: bool) -> dict[str, Any]:
    from benchmarks import bench_pipeline as bp

    data_dir = Path(tempfile.mkdtemp(prefix="wirefeed-bench-"))
    title = "embedded broker" if broker == "embedded" else "Apache Kafka"
    if broker == "embedded":
        from pipeline.broker.embedded import EmbeddedBroker
        from pipeline.config import embedded_worker_env

        with EmbeddedBroker(log_path=data_dir / "broker.log") as b:
            out = asyncio.run(bp.broker_rows(b.bootstrap, quick=quick, idempotence=False, data_dir=data_dir,
                                             extra_env=embedded_worker_env(os.environ)))
            if profile:
                out["profile"] = asyncio.run(_profile(bp, b.bootstrap, data_dir, False, quick, broker))
    else:
        from tests.support.apache_kafka import ApacheKafkaCluster

        with ApacheKafkaCluster(nodes=1, heap="1g", cleanup=True) as cluster:
            out = asyncio.run(bp.broker_rows(cluster.bootstrap, quick=quick, idempotence=True, data_dir=data_dir))
            out["scale"] = asyncio.run(
                bp.scale_rows(cluster.bootstrap, quick=quick, idempotence=True, data_dir=data_dir)
            )
            if profile:
                out["profile"] = asyncio.run(_profile(bp, cluster.bootstrap, data_dir, True, quick, broker))
    bp.print_broker(console, title, out)
    if out.get("profile", {}).get("buckets"):
        console.print(bp.profile_table(out["profile"], f"{title}: worker profile (py-spy --gil)"))
    return out


async def _profile(bp: Any, bootstrap: str, data_dir: Path, idempotence: bool, quick: bool, broker: str) -> Any:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M")
    out = RESULTS / f"{stamp}-worker-{broker}.pyspy.txt"
    return await bp.profile_worker(bootstrap, data_dir, idempotence=idempotence, seconds=10 if quick else 20, out=out)


def memory_part(n: int, broker: str = "embedded") -> dict[str, Any]:
    """Worker RSS after ``n`` stories through the pipeline (one worker, 4 partitions). The embedded broker keeps
    every topic in memory (≈ 20 KB per story over all topics), so runs past a few hundred thousand stories belong
    on Apache Kafka (``broker="kafka"``: one node, topics on disk)."""
    from benchmarks import bench_pipeline as bp
    from benchmarks.baselines import LazyRawMessages

    data_dir = Path(tempfile.mkdtemp(prefix="wirefeed-bench-"))
    messages = LazyRawMessages(n, seed=29)

    def scenario(bootstrap: str, idempotence: bool) -> dict[str, Any]:
        return asyncio.run(
            bp.pipeline_scenario(bootstrap, messages, data_dir, idempotence=idempotence, timeout=max(600.0, n / 20))
        )

    if broker == "kafka":
        from tests.support.apache_kafka import ApacheKafkaCluster

        with ApacheKafkaCluster(nodes=1, heap="1g", cleanup=True) as cluster:
            row = scenario(cluster.bootstrap, True)
    else:
        from pipeline.broker.embedded import EmbeddedBroker

        with EmbeddedBroker(log_path=data_dir / "broker.log") as b:
            row = scenario(b.bootstrap, False)
    row["broker"] = broker
    row["rss_per_story_bytes"] = [round(mb * 2**20 / n) for mb in row.get("rss_mb", [])]
    console.print(
        generic_table(
            f"worker RSS after {n:,} stories ({broker})",
            [
                {
                    "stories": row.get("done", 0),
                    "rss_mb": (row.get("rss_mb") or [0])[0],
                    "msgs_per_s": row["msgs_per_s"],
                    "load_avg": row.get("load_avg", 0.0),
                }
            ],
        )
    )
    return row


def summary(result: dict[str, Any]) -> Table:
    """The issue's targets against what this run measured."""
    table = Table(title="targets")
    for c in ("target", "measured", "met"):
        table.add_column(c)
    for broker in ("embedded", "kafka"):
        part = result.get(broker)
        if not part:
            continue
        a, _, p = part["throughput"]
        table.add_row(
            f"{broker}: pipeline ≥ 0.25 × Baseline A",
            f"{p['msgs_per_s']:,.0f} / {a['msgs_per_s']:,.0f} = {p.get('ratio_a', 0):.3f}",
            "yes" if p.get("ratio_a", 0) >= 0.25 else "no",
        )
        for lat in part.get("latency", []):
            if lat["offered_per_s"] == 200:
                table.add_row(
                    f"{broker}: p99 submission → notification ≤ 50 ms at 200/s",
                    f"{lat['p99_ms']:,.0f} ms",
                    "yes" if lat["p99_ms"] <= 50 else "no",
                )
    if "together" in result:
        t = result["together"]
        table.add_row(
            "normalise + dedupe + enrich ≥ 5k stories/s per core",
            f"{t['stories_per_s']:,.0f}/s",
            "yes" if t["stories_per_s"] >= 5000 else "no",
        )
    dedupe = result.get("stages", {}).get("dedupe", {}).get("rows", [])
    sizes = [r["changelog_bytes_per_story"] for r in dedupe if "changelog_bytes_per_story" in r]
    if sizes:
        table.add_row(
            "dedupe state ≤ 100 bytes per story (changelog)", f"{max(sizes)} B", "yes" if max(sizes) <= 100 else "no"
        )
    return table


def markdown(result: dict[str, Any]) -> str:
    """The broker tables of a results file as Markdown (for docs/performance.md)."""
    lines: list[str] = []
    for broker, title in (("embedded", "Embedded broker"), ("kafka", "Apache Kafka (1 node)")):
        part = result.get(broker) or {}
        if "throughput" not in part:
            continue
        lines += [
            f"**{title}: throughput** (drain of N stories, first to last output)",
            "",
            "| what | workers | partitions | done | msgs/s | × Baseline A | start s | RSS MB | load avg |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for r in part["throughput"] + part.get("scale", []):
            rss = r.get("rss_mb", 0)
            rss_s = ", ".join(f"{x:.0f}" for x in rss) if isinstance(rss, list) else f"{rss:.0f}"
            lines.append(
                f"| {r['name']} | {r.get('workers', 1)} | {r.get('partitions', 4)} | "
                f"{r.get('done', 0):,}/{r['messages']:,} | {r['msgs_per_s'] or 0:,.0f} | "
                f"{r.get('ratio_a') or 0:.3f} | {r.get('startup_s') or 0:.1f} | {rss_s} | "
                f"{r.get('load_avg', 0):.1f} |"
            )
        if part.get("latency"):
            lines += [
                "",
                f"**{title}: submission → notification latency**",
                "",
                "| offered/s (achieved) | sent | notified | p50 ms | p95 ms | p99 ms | max ms | load avg |",
                "|--:|--:|--:|--:|--:|--:|--:|--:|",
            ]
            for r in part["latency"]:
                lines.append(
                    f"| {r['offered_per_s']:,} ({r['achieved_offer_per_s']:,.0f}) | {r['sent']:,} | "
                    f"{r['notified']:,} | {r['p50_ms']:,.0f} | {r['p95_ms']:,.0f} | {r['p99_ms']:,.0f} | "
                    f"{r['max_ms']:,.0f} | {r['load_avg']:.1f} |"
                )
        if part.get("profile", {}).get("buckets"):
            lines += ["", f"**{title}: worker profile** (py-spy --gil)", "", "| where | share |", "|---|--:|"]
            lines += [f"| {b['bucket']} | {100 * b['share']:.1f}% |" for b in part["profile"]["buckets"]]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller runs (a few minutes)")
    ap.add_argument("--broker", choices=("embedded", "kafka", "both", "none"), default="both")
    ap.add_argument("--no-stages", action="store_true", help="skip the pure-stage benchmarks")
    ap.add_argument("--full-stages", action="store_true", help="run the stage benchmarks in full mode")
    ap.add_argument("--no-profile", action="store_true", help="skip the py-spy worker profile")
    ap.add_argument("--memory", type=int, default=0, metavar="N", help="also: worker RSS after N stories")
    ap.add_argument("--memory-broker", choices=("embedded", "kafka"), default="embedded", help="broker of --memory")
    ap.add_argument("--out", type=Path, help="JSON results file (default benchmarks/results/<date>.json)")
    ap.add_argument(
        "--report", type=Path, metavar="JSON", help="print a results file's tables as Markdown, run nothing"
    )
    args = ap.parse_args(argv)
    if args.report:
        print(markdown(orjson.loads(args.report.read_bytes())))
        return 0

    started = time.perf_counter()
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "options": vars(args) | {"out": str(args.out) if args.out else None},
    }
    if not args.no_stages:
        result["stages"] = stage_rows(quick=not args.full_stages)
        result["together"] = together_row(args.quick)
        console.print(generic_table("normalise + dedupe + enrich together (stories/s per core)", [result["together"]]))
    brokers = {"both": ("embedded", "kafka"), "none": ()}.get(args.broker, (args.broker,))
    for i, broker in enumerate(brokers):
        profile = not args.no_profile and i == len(brokers) - 1
        try:
            result[broker] = broker_part(broker, args.quick, profile)
        except Exception as exc:
            result[broker] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-3000:]}
            console.print(f"[red]{broker}: {exc}[/red]")
    if args.memory:
        result["memory"] = memory_part(args.memory, args.memory_broker)
    result["seconds"] = time.perf_counter() - started
    result["machine"]["load_avg_at_end"] = os.getloadavg()
    console.print(summary({k: v for k, v in result.items() if not (isinstance(v, dict) and "error" in v)}))
    out = args.out or RESULTS / f"{datetime.now(UTC):%Y-%m-%d}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY, default=str))
    console.print(f"{result['seconds']:.0f} s; results in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

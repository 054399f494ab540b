"""Dedupe's batch step in-process: CPU per story of the dedupe loop and of the store's decode, against another tree.

``python -m benchmarks.bench_dedupe_step [--quick] [--baseline REF | --no-baseline]`` prints a Rich table.

No broker: the stories go through :class:`pipeline.app.dedupe_agent.Deduper` on the in-memory broker of the unit
tests (``tests/unit/dedupe/inprocess.py``: outputs and changelog records land in a dict when a batch is flushed),
one worker holding every partition, as a single worker runs on Kafka. Then every `wire.enriched` message is decoded
as the store loop decodes it. Where the tree has the worker's hand-offs (``pipeline/app/handoff.py``), the stories
are handed over as the normalise loop hands them over and the store takes the enriched stories from the hand-off, as
in a worker. The stories are ``Corpus(7)`` stories normalised once by this checkout, the same bytes for every tree.

Each tree runs in its own processes (the tree first on ``sys.path``), two processes per tree taking turns, each
timing three passes after an untimed one (the best pass counts): CPU time of the process (``time.process_time``)
per story. The table also says whether every output and changelog record was byte for byte the same as this
checkout's (a hash of them all).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]


def _measure(tree: Path, stories_file: Path, passes: int) -> dict[str, Any]:
    """In a process whose imports come from ``tree``: the best of ``passes`` timed passes."""
    sys.path.insert(0, str(tree))
    import pipeline
    from schemas import EnrichedStory, Story

    if not Path(pipeline.__file__).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"imported {pipeline.__file__}, not the tree {tree}")
    from tests.unit.dedupe.inprocess import TOPICS, Broker, Worker, run_until_idle

    make_handoffs: Any = None
    try:
        from pipeline.app.handoff import Handoffs

        make_handoffs = Handoffs
    except ImportError:  # a tree from before the hand-offs
        pass
    values: list[bytes] = pickle.loads(stories_file.read_bytes())

    async def one_pass() -> tuple[float, float, str]:
        stories = [Story.model_validate_json(v) for v in values]  # as the normalise loop built them: not timed
        broker = Broker()
        handoffs = make_handoffs() if make_handoffs is not None else None
        extra: dict[str, Any] = {"handoffs": handoffs} if handoffs is not None else {}
        worker = Worker(broker, range(broker.partitions), **extra)
        for story, value in zip(stories, values, strict=True):
            broker.publish(value, story.uri.encode())
            if handoffs is not None:
                handoffs.normalised.put(value, story)
        c0 = time.process_time()
        await run_until_idle([worker], rounds=10_000)
        c1 = time.process_time()
        for (topic, _), records in sorted(broker.log.items()):
            for record in records if topic == TOPICS.enriched else ():
                value = record.value or b""
                taken = handoffs.enriched.take(value) if handoffs is not None else None
                if taken is None:
                    EnrichedStory.model_validate_json(value)
        c2 = time.process_time()
        digest = hashlib.sha256()
        for (topic, partition), records in sorted(broker.log.items()):
            for record in records:
                digest.update(f"{topic}|{partition}|".encode() + (record.key or b"") + b"|" + (record.value or b"-"))
        return c1 - c0, c2 - c1, digest.hexdigest()[:16]

    asyncio.run(one_pass())  # untimed: the gazetteer, the word memo
    runs = [asyncio.run(one_pass()) for _ in range(passes)]
    dedupe, decode, digest = min(runs, key=lambda r: r[0] + r[1])
    n = len(values)
    return {"dedupe_us": dedupe / n * 1e6, "decode_us": decode / n * 1e6, "outputs": digest,
            "handoffs": make_handoffs is not None}  # fmt: skip


def _stories(n: int, into: Path) -> Path:
    from benchmarks.bench_stages import OPTIONS, corpus_raws
    from pipeline.codec import encode
    from pipeline.stages.normalise import normalise_all

    values = [encode(s) for raw in corpus_raws(n) for s in normalise_all(raw, OPTIONS)]
    path = into / "stories.pickle"
    path.write_bytes(pickle.dumps(values))
    return path


def run(quick: bool, baseline: str | None) -> list[dict[str, Any]]:
    n, processes = (600, 1) if quick else (1500, 2)
    with tempfile.TemporaryDirectory(prefix="bench-dedupe-step-") as tmp:
        stories = _stories(n, Path(tmp))
        trees = {"this checkout": REPO}
        if baseline:
            from benchmarks.bench_pipeline import baseline_tree

            trees[baseline] = baseline_tree(baseline, Path(tmp) / "baseline")[1]
        results: dict[str, list[dict[str, Any]]] = {label: [] for label in trees}
        for turn in range(processes):
            order = list(trees.items()) if turn % 2 == 0 else list(trees.items())[::-1]
            for label, tree in order:
                out = subprocess.run([sys.executable, str(HERE), "--measure", str(tree), str(stories)], check=True,
                                     capture_output=True, text=True, cwd=tree).stdout  # fmt: skip
                results[label].append(json.loads(out.strip().splitlines()[-1]))
    rows = []
    for label, runs in results.items():
        best = min(runs, key=lambda r: r["dedupe_us"] + r["decode_us"])
        rows.append({"tree": label, "stories": n, **best, "total_us": best["dedupe_us"] + best["decode_us"]})
    ours = rows[0]
    for row in rows:
        row["x_this"] = row["total_us"] / ours["total_us"]
        row["same_outputs"] = row["outputs"] == ours["outputs"]
    return rows


def main(argv: list[str]) -> int:
    first = (__doc__ or "").strip().splitlines()[0]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_dedupe_step", description=first)
    parser.add_argument("--quick", action="store_true", help="600 stories, one process per tree")
    parser.add_argument("--baseline", default="main", metavar="REF", help="the other tree's commit (default: main)")
    parser.add_argument("--no-baseline", action="store_true", help="this checkout only")
    parser.add_argument("--measure", nargs=2, metavar=("TREE", "STORIES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(_measure(Path(args.measure[0]), Path(args.measure[1]), passes=3)))
        return 0
    from rich.console import Console
    from rich.table import Table

    rows = run(args.quick, None if args.no_baseline else args.baseline)
    table = Table(title="dedupe batch step in-process (CPU µs per story, best pass)")
    for col in ("tree", "stories", "hand-offs", "dedupe step", "store decode", "total", "× this", "same outputs"):
        table.add_column(col, justify="left" if col == "tree" else "right", no_wrap=col == "tree")
    for r in rows:
        table.add_row(r["tree"], f"{r['stories']:,}", "yes" if r["handoffs"] else "no", f"{r['dedupe_us']:.0f}",
                      f"{r['decode_us']:.1f}", f"{r['total_us']:.0f}", f"{r['x_this']:.2f}",
                      "yes" if r["same_outputs"] else "NO")  # fmt: skip
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

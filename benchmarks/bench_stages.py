"""The three pure stages together: normalise → dedupe → enrich through ``pipeline.stages.process.process``.

``python -m benchmarks.bench_stages [--quick]`` prints a Rich table; ``run(quick)`` returns the rows.

Single process, no Kafka. Two inputs:

* ``corpus``: ``Corpus(seed).stories(n)`` from ``benchmarks/corpus.py`` (distinct 1–6 KB plain-text and ninjs
  stories), every one new to the dedupe index (a fresh index per round);
* ``seed + samples``: the seed story and the IPTC agency samples (NITF, NewsML-G2, NewsML 1.2, ninjs), each
  processed against a fresh index so every round goes through dedupe's "new story" path.

For each, stories/s of the whole ``process()`` (wall clock, ``time.perf_counter``, and CPU time of this process,
``time.process_time``, which other work on the machine disturbs less), the best of several rounds, and each stage's
share of the time, measured by timing the stage calls (``normalise_all``, ``DedupeIndex.check``, ``enrich``) one by
one in a separate round. The baseline measured in the same run is decoding the envelope payload alone
(``orjson.loads`` for JSON, UTF-8 decode otherwise): what any consumer of the bytes pays.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from benchmarks import options
from benchmarks.corpus import Corpus
from pipeline.stages.dedupe import DedupeIndex, DedupeState
from pipeline.stages.enrich import enrich, load_gazetteer
from pipeline.stages.normalise import NormaliseOptions, normalise_all
from pipeline.stages.process import process
from schemas import RawSubmission

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
SAMPLES = SHARED / "reference" / "samples"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
RECEIVED = datetime(2025, 3, 1, tzinfo=UTC)
OPTIONS = NormaliseOptions()


def corpus_raws(n: int, seed: int = 7) -> list[RawSubmission]:
    return [
        RawSubmission(
            submission_id=f"bench-{s.index}",
            agency=s.agency,
            received_at=RECEIVED,
            content_type=s.content_type,
            payload=s.payload,
        )
        for s in Corpus(seed).stories(n)
    ]


def sample_raws() -> list[RawSubmission]:
    paths = [SHARED / "fixtures" / "seed-story-tca.txt"]
    paths += [p for p in sorted(SAMPLES.iterdir()) if p.suffix in (".xml", ".json")]
    return [
        RawSubmission(submission_id=p.name, agency="BENCH", received_at=RECEIVED, payload=p.read_bytes()) for p in paths
    ]


def _round(raws: list[RawSubmission], fresh_index_each: bool) -> tuple[int, float, float]:
    """One pass of ``process()`` over ``raws``: (stories out, wall s, CPU s)."""
    index = DedupeIndex(DedupeState())
    stories = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for raw in raws:
        if fresh_index_each:
            index = DedupeIndex(DedupeState())
        result = process(raw, index, OPTIONS, NOW)
        stories += len(result.enriched) + len(result.duplicates)
    return stories, time.perf_counter() - t0, time.process_time() - c0


def _shares(raws: list[RawSubmission], fresh_index_each: bool) -> dict[str, float]:
    """CPU seconds spent in each stage's call over one pass (process_time around each call)."""
    spent = {"normalise": 0.0, "dedupe": 0.0, "enrich": 0.0}
    clock = time.process_time
    index = DedupeIndex(DedupeState())
    for raw in raws:
        if fresh_index_each:
            index = DedupeIndex(DedupeState())
        t0 = clock()
        stories = normalise_all(raw, OPTIONS)
        t1 = clock()
        spent["normalise"] += t1 - t0
        for story in stories:
            t1 = clock()
            decision = index.check(story)
            t2 = clock()
            spent["dedupe"] += t2 - t1
            if decision.forward:
                enrich(story, decision.info, now=NOW)
                spent["enrich"] += clock() - t2
    return spent


def _baseline(raws: list[RawSubmission]) -> float:
    t0 = time.process_time()
    for raw in raws:
        if raw.payload.lstrip()[:1] == b"{":
            orjson.loads(raw.payload)
        else:
            raw.payload.decode("utf-8", errors="replace")
    return time.process_time() - t0


def measure(label: str, raws: list[RawSubmission], rounds: int, fresh_index_each: bool) -> dict[str, Any]:
    _round(raws[: min(len(raws), 50)], fresh_index_each)  # warm-up: gazetteer, language model, caches
    best_wall, best_cpu, stories = 0.0, 0.0, 0
    for _ in range(rounds):
        stories, wall, cpu = _round(raws, fresh_index_each)
        best_wall = max(best_wall, stories / wall)
        best_cpu = max(best_cpu, stories / cpu if cpu else 0.0)
    spent = _shares(raws, fresh_index_each)
    total = sum(spent.values()) or 1.0
    base = _baseline(raws)
    return {
        "input": label,
        "submissions": len(raws),
        "stories": stories,
        "avg_payload_bytes": round(sum(len(r.payload) for r in raws) / len(raws)),
        "stories_per_s_wall": round(best_wall),
        "stories_per_s_cpu": round(best_cpu),
        "normalise_share": round(spent["normalise"] / total, 3),
        "dedupe_share": round(spent["dedupe"] / total, 3),
        "enrich_share": round(spent["enrich"] / total, 3),
        "normalise_us": round(spent["normalise"] / stories * 1e6, 1),
        "dedupe_us": round(spent["dedupe"] / stories * 1e6, 1),
        "enrich_us": round(spent["enrich"] / stories * 1e6, 1),
        "baseline_decode_per_s": round(len(raws) / base) if base else None,
        "load_average": round(os.getloadavg()[0], 1),
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    load_gazetteer()
    n, rounds = (300, 2) if quick else (3000, 3)
    samples = sample_raws()
    return [
        measure(f"corpus ({n} stories)", corpus_raws(n), rounds, fresh_index_each=False),
        measure("seed + IPTC samples", samples * (3 if quick else 30), rounds, fresh_index_each=True),
    ]


def main(argv: list[str]) -> int:
    args = options.parse(
        "benchmarks.bench_stages", __doc__, argv,
        ("--quick", "a shorter run (fewer stories or rounds), for a first look"),
    )
    from rich.console import Console
    from rich.table import Table

    rows = run(quick=args.quick)
    console = Console(width=160)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    console.print(f"load average while measuring: {load} ({os.cpu_count()} cores)")
    t = Table(title="normalise + dedupe + enrich, one process (stories/s per core; target ≥ 5,000)")
    cols = ("input", "avg bytes", "stories/s wall", "stories/s CPU", "normalise", "dedupe", "enrich", "decode/s")
    for col in cols:
        t.add_column(col, justify="left" if col == "input" else "right")
    for r in rows:
        t.add_row(
            r["input"],
            f"{r['avg_payload_bytes']:,}",
            f"{r['stories_per_s_wall']:,}",
            f"{r['stories_per_s_cpu']:,}",
            f"{r['normalise_share']:.0%} ({r['normalise_us']} µs)",
            f"{r['dedupe_share']:.0%} ({r['dedupe_us']} µs)",
            f"{r['enrich_share']:.0%} ({r['enrich_us']} µs)",
            f"{r['baseline_decode_per_s']:,}",
        )
    console.print(t)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

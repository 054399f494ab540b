"""What the stages derive from their data at a worker's start, derived again or loaded from the cache files.

``python -m benchmarks.bench_startup_cache [--rounds 5]`` runs each way in a fresh process (the stages imported
first, as in the worker), the ways taking turns, and prints per way the median CPU time of the gazetteer, of its
English automata (built on first use either way), of the language detector, and the process's resident memory
after them and at its peak:

* ``before``: ``build_gazetteer()`` with the garbage collector on, the model loaded by py3langid (what every start
  did before the cache, ``pipeline/startup_cache.py``);
* ``no cache``: a start with the cache off or unusable (the gazetteer built with the collector paused);
* ``cache``: a start with the cache files of the current fingerprints.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.baselines import load_average

WAYS = ("before", "no cache", "cache")

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import pipeline.stages.process  # the stages' imports, as in the worker
from pipeline import startup_cache
from pipeline.stages.enrich.gazetteer import build_gazetteer, load_gazetteer, use_gazetteer
from pipeline.stages.normalise import language

way, directory = sys.argv[1], Path(sys.argv[2])
cpu = time.process_time()
if way == "before":
    use_gazetteer(build_gazetteer())
else:
    got = startup_cache.gazetteer(directory if way == "cache" else None)
    assert got.source == ("cache" if way == "cache" else "built, not cached"), got.source
    use_gazetteer(got.value)
gazetteer = time.process_time() - cpu
view = load_gazetteer().for_language("en")
view.leftmost, view.leftmost_bytes
automata = time.process_time() - cpu - gazetteer
if way == "cache":
    model = startup_cache.language_model(directory)
    assert model is not None and model.source == "cache", model
    language.use_detector(model.value)
language._detector()
detector = time.process_time() - cpu - gazetteer - automata
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"gazetteer": gazetteer, "automata": automata, "language": detector, "rss": rss / 1024,
                  "peak": peak / 1024}))
"""


def one(way: str, directory: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, way, str(directory)], check=True, capture_output=True,
                         text=True).stdout
    row: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return row


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_startup_cache",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="runs of each way, taking turns (default 5)")
    args = ap.parse_args(argv)
    rows: dict[str, list[dict[str, float]]] = {way: [] for way in WAYS}
    loads = [load_average()]
    with tempfile.TemporaryDirectory(prefix="wirefeed-stage-cache-") as tmp:
        from pipeline import startup_cache

        startup_cache.gazetteer(Path(tmp))  # the cache files the "cache" runs read
        startup_cache.language_model(Path(tmp))
        for _ in range(args.rounds):
            for way in WAYS:
                rows[way].append(one(way, Path(tmp)))
            loads.append(load_average())
        sizes = ", ".join(f"{p.name.partition('-')[0]} {p.stat().st_size / 1e6:.1f} MB" for p in Path(tmp).iterdir())

    def med(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    def total(r: dict[str, float]) -> float:
        return r["gazetteer"] + r["automata"] + r["language"]

    base = statistics.median(map(total, rows["before"]))
    print(f"{args.rounds} fresh processes per way, taking turns; load {min(loads):.1f}–{max(loads):.1f}; "
          f"cache files: {sizes}")
    print("| way | gazetteer CPU s | English automata CPU s | language detector CPU s | total CPU s (range) "
          "| × before | RSS after MB | peak RSS MB |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for way, runs in rows.items():
        totals = list(map(total, runs))
        print(f"| {way} | {med(runs, 'gazetteer'):.3f} | {med(runs, 'automata'):.3f} | {med(runs, 'language'):.3f} "
              f"| {statistics.median(totals):.3f} ({min(totals):.3f}–{max(totals):.3f}) "
              f"| {statistics.median(totals) / base:.2f} | {med(runs, 'rss'):.0f} | {med(runs, 'peak'):.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

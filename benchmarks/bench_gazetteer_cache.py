"""The gazetteer at a worker's start: built from the data files, or loaded from its cache file.

``python -m benchmarks.bench_gazetteer_cache [--rounds 5]`` runs each way in a fresh process (the stages imported
first, as in the worker), the ways taking turns, and prints per way the median CPU time of getting the gazetteer
(then of its English automata, built on first use either way) and the process's resident memory after it and at
its peak:

* ``build``: ``build_gazetteer()`` with the garbage collector on (what every start did before the cache);
* ``build, GC paused``: what a start without a usable cache does now;
* ``cache``: a start with the cache file of the current fingerprint.
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

WAYS = ("build", "build, GC paused", "cache")

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import pipeline.stages.process  # the stages' imports, as in the worker
from pipeline import gazetteer_cache
from pipeline.stages.enrich.gazetteer import build_gazetteer, use_gazetteer

way, directory = sys.argv[1], Path(sys.argv[2])
cpu = time.process_time()
if way == "build":
    use_gazetteer(build_gazetteer())
else:
    loaded = gazetteer_cache.prime(directory if way == "cache" else None)
    assert loaded.source == ("cache" if way == "cache" else "built, not cached"), loaded.source
got = time.process_time() - cpu
from pipeline.stages.enrich.gazetteer import load_gazetteer
view = load_gazetteer().for_language("en")
view.leftmost, view.leftmost_bytes
automata = time.process_time() - cpu - got
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"cpu_s": got, "automata_s": automata, "rss_mb": rss / 1024, "peak_mb": peak / 1024}))
"""


def one(way: str, directory: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, way, str(directory)], check=True, capture_output=True,
                         text=True).stdout
    row: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return row


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_gazetteer_cache",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="runs of each way, taking turns (default 5)")
    args = ap.parse_args(argv)
    rows: dict[str, list[dict[str, float]]] = {way: [] for way in WAYS}
    loads = [load_average()]
    with tempfile.TemporaryDirectory(prefix="wirefeed-gazetteer-") as tmp:
        from pipeline import gazetteer_cache

        gazetteer_cache.load(Path(tmp))  # the cache file the "cache" runs read
        for _ in range(args.rounds):
            for way in WAYS:
                rows[way].append(one(way, Path(tmp)))
            loads.append(load_average())
        size = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
    base = statistics.median(r["cpu_s"] for r in rows["build"])
    print(f"gazetteer at start, {args.rounds} fresh processes per way, taking turns; load "
          f"{min(loads):.1f}–{max(loads):.1f}; cache file {size:.1f} MB")
    print("| way | CPU s (median, range) | × build | then English automata CPU s | RSS after MB | peak RSS MB |")
    print("|---|--:|--:|--:|--:|--:|")
    for way, runs in rows.items():
        cpu = [r["cpu_s"] for r in runs]
        med = statistics.median(cpu)
        print(f"| {way} | {med:.3f} ({min(cpu):.3f}–{max(cpu):.3f}) | {med / base:.2f} | "
              f"{statistics.median(r['automata_s'] for r in runs):.3f} | "
              f"{statistics.median(r['rss_mb'] for r in runs):.0f} | {statistics.median(r['peak_mb'] for r in runs):.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

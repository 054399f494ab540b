"""Normalise throughput per core: stories/s for the seed story, each IPTC sample and the real-copy corpus.

Run ``python -m benchmarks.bench_normalise [--quick] [--baseline REF | --no-baseline]``. Every rate is per second
of CPU time of the process that runs the stage (``time.process_time``), so other work on a shared machine changes
it less than wall time would.

Two baselines, measured in the same run:

- **the code of another commit** (``--baseline REF``, default ``main``): the tree of ``REF`` is extracted
  (``git archive``) to a temporary folder, and ``benchmarks/bench_normalise_worker.py`` times the same documents
  with this checkout's stage and with that tree's stage, in two worker processes that take turns document by
  document (which goes first alternates), so both see the same load. Each figure is the best round. ``× REF``
  is this checkout's stories/s over REF's;
- **parsing alone** (``orjson.loads`` for JSON, defusedxml ``fromstring`` for XML, decode + line split for text):
  what any consumer of the bytes must pay; ``overhead ×`` is how many times slower the full step is.

The corpus tables (``benchmarks.eval_formats`` finds the real-copy corpus; skipped with the reason when absent) give
each format's median document and the median accepted document of the whole corpus (stories/s of the median
µs/document, the document's own agency profile applied).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from defusedxml.ElementTree import fromstring
from rich.console import Console
from rich.table import Table

from benchmarks.bench_normalise_worker import per_call_us
from pipeline.stages.normalise import normalise_all
from schemas import RawSubmission

REPO = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("bench_normalise_worker.py")
SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
CASES: list[tuple[str, Path]] = [
    ("seed (plain text)", SHARED / "fixtures" / "seed-story-tca.txt"),
    ("NTB NITF 3.6", SHARED / "reference" / "samples" / "NTB_nitf_sample.xml"),
    ("TT NewsML-G2", SHARED / "reference" / "samples" / "TT_newsmlg2_sample.xml"),
    ("AFP NewsML 1.2", SHARED / "reference" / "samples" / "afp.com_newsml1.2_sample.xml"),
    ("NTB ninjs 3.0", SHARED / "reference" / "samples" / "ntb_text.json"),
    ("dpa ninjs 3.0", SHARED / "reference" / "samples" / "dpa_text.json"),
    ("ninjs 3.1 simple", SHARED / "reference" / "samples" / "004_simple_text_article.json"),
    ("ninjs 3.1 complex", SHARED / "reference" / "samples" / "005_complex_text_article.json"),
]
RECEIVED = datetime(2026, 1, 1, tzinfo=UTC)


def submission_of(payload: bytes) -> RawSubmission:
    """A sample submitted as the benchmark submits it (agency ``BENCH``, format ``auto``)."""
    return RawSubmission(submission_id="bench", agency="BENCH", received_at=RECEIVED, payload=payload)


def _baseline(payload: bytes) -> Callable[[], object]:
    head = payload.lstrip()[:1]
    if head == b"{":
        return lambda: orjson.loads(payload)
    if head == b"<":
        return lambda: fromstring(payload, forbid_dtd=True)
    return lambda: payload.decode("utf-8").splitlines()


def _rate(fn: Callable[[], object], seconds: float, repeats: int = 3) -> float:
    """Calls per CPU second of ``fn``: the best of ``repeats`` rounds of about ``seconds / repeats`` each
    (after one warm-up call). The best round is the one least disturbed by other work on the machine."""
    fn()
    return max(1e6 / per_call_us(fn, seconds / repeats) for _ in range(repeats))


def _documents() -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, str], str | None]:
    """The timed documents (samples, then corpus), the agency profiles, each corpus document's format, and why
    the corpus is absent (None when present)."""
    docs = [{"key": name, "agency": "BENCH", "payload_hex": path.read_bytes().hex()} for name, path in CASES]
    from benchmarks import eval_formats as ev

    root = ev.corpus_dir()
    if root is None:
        return docs, {}, {}, "real-copy corpus absent: set WIREFEED_CORPORA to the folder holding agency-copy/"
    manifest = ev.load_manifest()
    payloads, problems = ev.read_documents(root, manifest)
    if problems:
        return docs, {}, {}, "real-copy corpus unusable: " + "; ".join(problems[:3])
    formats = {}
    for d in manifest["documents"]:
        key = f"corpus:{d['id']}"
        docs.append({"key": key, "agency": d["agency"], "payload_hex": payloads[d["id"]].hex()})
        formats[key] = d["format"]
    return docs, manifest.get("agencies") or {}, formats, None


def extract_tree(ref: str, into: Path) -> Path:
    """The files of commit ``ref`` of this repository, extracted under ``into``."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def time_trees(trees: dict[str, Path], job: dict[str, Any], rounds: int) -> dict[str, dict[str, float | None]]:
    """Best µs per call of every document for each tree, the trees' rounds alternating."""
    procs = {
        label: subprocess.Popen(
            [sys.executable, str(WORKER), str(tree)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for label, tree in trees.items()
    }
    best: dict[str, dict[str, float | None]] = {}
    try:
        for proc in procs.values():
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(job) + "\n")
            proc.stdin.flush()
        # Document by document, each tree in turn (which goes first alternates), so both see the same load.
        turn = 0
        for _ in range(rounds):
            for doc in job["docs"]:
                turn += 1
                for label, proc in list(procs.items())[:: 1 if turn % 2 else -1]:
                    assert proc.stdin is not None and proc.stdout is not None
                    proc.stdin.write(json.dumps([doc["key"]]) + "\n")
                    proc.stdin.flush()
                    line = proc.stdout.readline()
                    if not line:
                        raise RuntimeError(f"the {label} worker stopped (its error is printed above)")
                    result: dict[str, float | None] = json.loads(line)
                    mine = best.setdefault(label, {})
                    for key, us in result.items():
                        old = mine.get(key)
                        mine[key] = us if old is None or (us is not None and us < old) else old
    finally:
        for proc in procs.values():
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=60)
    return best


def run(quick: bool = False, baseline: str | None = None) -> dict[str, Any]:
    """Rows of the sample table and of the corpus table; ``baseline`` (a git ref, e.g. ``main``: the command line's
    default) is timed beside this checkout; None (the benchmark harness) times this checkout alone."""
    docs, agencies, formats, absent = _documents()
    job = {"docs": docs, "agencies": agencies, "seconds": 0.01 if quick else 0.05}
    with tempfile.TemporaryDirectory(prefix="wirefeed-baseline-") as tmp:
        trees = {"this": REPO}
        if baseline is not None:
            trees[baseline] = extract_tree(baseline, Path(tmp))
        best = time_trees(trees, job, rounds=2 if quick else 3)
    seconds = 0.2 if quick else 1.0
    samples = []
    for name, path in CASES:
        payload = path.read_bytes()
        stories = len(normalise_all(submission_of(payload)))
        base_per_s = _rate(_baseline(payload), seconds)
        us = best["this"][name]
        assert us is not None, f"{name} was rejected"
        row = {
            "case": name, "bytes": len(payload), "stories_per_doc": stories, "us_per_doc": us,
            "stories_per_s": stories * 1e6 / us, "baseline_parse_per_s": base_per_s,
            "overhead_x": base_per_s * us / 1e6,
        }
        if baseline is not None and (old := best[baseline][name]) is not None:
            row |= {"baseline_stories_per_s": stories * 1e6 / old, "speedup_x": old / us}
        samples.append(row)
    corpus: list[dict[str, Any]] = []
    if absent is None:
        by_format: dict[str, list[str]] = defaultdict(list)
        for key, fmt in formats.items():
            if best["this"][key] is not None:
                by_format[fmt].append(key)
        groups = [*sorted(by_format.items()), ("corpus median", [k for ks in by_format.values() for k in ks])]
        for label, keys in groups:
            us = _median_us(best["this"], keys)
            row = {"case": label, "documents": len(keys), "us_per_doc": us, "stories_per_s": 1e6 / us}
            if baseline is not None:
                old = _median_us(best[baseline], keys)
                row |= {"baseline_stories_per_s": 1e6 / old, "speedup_x": old / us}
            corpus.append(row)
    return {"baseline": baseline, "samples": samples, "corpus": corpus, "corpus_absent": absent}


def _median_us(times: dict[str, float | None], keys: list[str]) -> float:
    return statistics.median(t for k in keys if (t := times[k]) is not None)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_normalise", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a first look")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--baseline", default="main", metavar="REF",
                       help="the git revision measured beside the working tree, in turns (default: main)")
    which.add_argument("--no-baseline", action="store_true", help="measure the working tree only")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, baseline=None if args.no_baseline else args.baseline)
    ref = result["baseline"]
    console = Console(width=160)
    table = Table(title="normalise: stories/s per core (CPU time, one process per tree)")
    cols = ["case", "bytes", "stories/doc", "stories/s", "µs/doc"]
    cols += [f"{ref} stories/s", f"× {ref}"] if ref else []
    cols += ["parse only/s", "overhead ×"]
    for col in cols:
        table.add_column(col, justify="left" if col == "case" else "right")
    for r in result["samples"]:
        cells = [r["case"], f"{r['bytes']:,}", str(r["stories_per_doc"]), f"{r['stories_per_s']:,.0f}"]
        cells.append(f"{r['us_per_doc']:,.0f}")
        if ref:
            cells += [_num(r.get("baseline_stories_per_s")), _num(r.get("speedup_x"), ".2f")]
        cells += [f"{r['baseline_parse_per_s']:,.0f}", f"{r['overhead_x']:.1f}"]
        table.add_row(*cells)
    console.print(table)
    if result["corpus_absent"]:
        console.print(f"corpus: skipped ({result['corpus_absent']})")
        return 0
    table = Table(title="real-copy corpus: the median document of each format (stories/s per core)")
    cols = ["format", "documents", "stories/s", "µs/doc"] + ([f"{ref} stories/s", f"× {ref}"] if ref else [])
    for col in cols:
        table.add_column(col, justify="left" if col == "format" else "right")
    for r in result["corpus"]:
        cells = [r["case"], str(r["documents"]), f"{r['stories_per_s']:,.0f}", f"{r['us_per_doc']:,.0f}"]
        if ref:
            cells += [_num(r.get("baseline_stories_per_s")), _num(r.get("speedup_x"), ".2f")]
        table.add_row(*cells)
    console.print(table)
    return 0


def _num(value: float | None, spec: str = ",.0f") -> str:
    return "-" if value is None or math.isnan(value) else format(value, spec)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

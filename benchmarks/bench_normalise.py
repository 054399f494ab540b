"""Normalise throughput per core: stories/s for the seed story, each IPTC sample format and the real-copy corpus.

Run ``python -m benchmarks.bench_normalise [--quick]``. Single process; every rate is per second of this
process's CPU time (``time.process_time``), so other work on a shared machine changes it less than wall time
would. The baseline, measured in the same run, is parsing alone (``orjson.loads`` for JSON, defusedxml
``fromstring`` for XML, decode + line split for text): what any consumer of the bytes must pay. ``overhead`` is
how many times slower the full normalise step is than that baseline. Each rate is the best of three rounds.

The last row is the real-copy corpus (``benchmarks.eval_formats`` finds it; skipped with the reason when absent):
each accepted document is timed alone, the row gives the median document's cost (stories/s of the median
µs/document, the document's own agency profile applied).
"""

from __future__ import annotations

import functools
import math
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from defusedxml.ElementTree import fromstring
from rich.console import Console
from rich.table import Table

from pipeline.stages.errors import StageError
from pipeline.stages.normalise import normalise_all
from schemas import RawSubmission

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


def _rate(fn: Callable[[], object], seconds: float, repeats: int = 3) -> tuple[float, int]:
    """Calls per second of ``fn``: the best of ``repeats`` rounds of about ``seconds / repeats`` each
    (after one warm-up call). The best round is the one least disturbed by other work on the machine."""
    fn()
    best, total = 0.0, 0
    for _ in range(repeats):
        n, batch = 0, 1
        start = time.process_time()
        while True:
            for _ in range(batch):
                fn()
            n += batch
            elapsed = time.process_time() - start
            if elapsed >= seconds / repeats:
                break
            batch = min(batch * 2, 1000)
        best, total = max(best, n / elapsed), total + n
    return best, total


def run(quick: bool = False) -> list[dict[str, Any]]:
    seconds = 0.2 if quick else 1.5
    rows: list[dict[str, Any]] = []
    for name, path in CASES:
        payload = path.read_bytes()
        raw = submission_of(payload)
        stories = len(normalise_all(raw))  # also loads the language model once, outside the timing
        docs_per_s, n = _rate(lambda raw=raw: normalise_all(raw), seconds)
        base_per_s, _ = _rate(_baseline(payload), seconds)
        rows.append(
            {
                "case": name,
                "bytes": len(payload),
                "stories_per_doc": stories,
                "stories_per_s": docs_per_s * stories,
                "us_per_doc": 1e6 / docs_per_s,
                "baseline_parse_per_s": base_per_s,
                "overhead_x": base_per_s / docs_per_s,
                "iterations": n,
            }
        )
    rows.append(_corpus_row(seconds))
    return rows


def _corpus_row(seconds: float) -> dict[str, Any]:
    """The median accepted corpus document: its cost per document and the stories/s it gives."""
    from benchmarks import eval_formats as ev

    root = ev.corpus_dir()
    if root is None:
        return {"case": "corpus median (absent: set WIREFEED_CORPORA)", "skipped": True}
    manifest = ev.load_manifest()
    payloads, _problems = ev.read_documents(root, manifest)
    options = ev.options_for(manifest)
    costs: list[float] = []
    sizes: list[int] = []
    per_doc = max(seconds / 10, 0.02)
    for doc in manifest["documents"]:
        payload = payloads.get(doc["id"])
        if payload is None:
            continue
        raw = ev.submission(doc["id"], doc["agency"], payload)
        try:
            normalise_all(raw, options)
        except StageError:
            continue  # rejected documents are not stories
        rate, _ = _rate(functools.partial(normalise_all, raw, options), per_doc)
        costs.append(1e6 / rate)
        sizes.append(len(payload))
    median_us = statistics.median(costs)
    return {
        "case": f"corpus median ({len(costs)} documents)",
        "bytes": int(statistics.median(sizes)),
        "stories_per_doc": 1,
        "stories_per_s": 1e6 / median_us,
        "us_per_doc": median_us,
        "baseline_parse_per_s": float("nan"),
        "overhead_x": float("nan"),
        "iterations": len(costs),
    }


def main(argv: list[str]) -> int:
    rows = run(quick="--quick" in argv)
    table = Table(title="normalise: stories/s per core (CPU time, single process)")
    for col in ("case", "bytes", "stories/doc", "stories/s", "µs/doc", "baseline parse/s", "overhead ×"):
        table.add_column(col, justify="left" if col == "case" else "right")
    for r in rows:
        if r.get("skipped"):
            table.add_row(r["case"], *["-"] * 6)
            continue
        table.add_row(
            r["case"],
            f"{r['bytes']:,}",
            str(r["stories_per_doc"]),
            f"{r['stories_per_s']:,.0f}",
            f"{r['us_per_doc']:,.0f}",
            "-" if math.isnan(r["baseline_parse_per_s"]) else f"{r['baseline_parse_per_s']:,.0f}",
            "-" if math.isnan(r["overhead_x"]) else f"{r['overhead_x']:.1f}",
        )
    Console(width=140).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

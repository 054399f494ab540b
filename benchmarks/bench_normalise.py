"""Normalise throughput per core: stories/s for the seed story and each IPTC sample format.

Run ``python -m benchmarks.bench_normalise [--quick]``. Single process, ``time.perf_counter``.
The baseline, measured in the same run, is parsing alone (``orjson.loads`` for JSON, defusedxml
``fromstring`` for XML, decode + line split for text): what any consumer of the bytes must pay.
``overhead`` is how many times slower the full normalise step is than that baseline. Each rate is
the best of three rounds, so other work on the machine disturbs the figures less.
"""

from __future__ import annotations

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
        start = time.perf_counter()
        while True:
            for _ in range(batch):
                fn()
            n += batch
            elapsed = time.perf_counter() - start
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
        raw = RawSubmission(submission_id="bench", agency="BENCH", received_at=RECEIVED, payload=payload)
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
    return rows


def main(argv: list[str]) -> int:
    rows = run(quick="--quick" in argv)
    table = Table(title="normalise: stories/s per core (single process)")
    for col in ("case", "bytes", "stories/doc", "stories/s", "µs/doc", "baseline parse/s", "overhead ×"):
        table.add_column(col, justify="left" if col == "case" else "right")
    for r in rows:
        table.add_row(
            r["case"],
            f"{r['bytes']:,}",
            str(r["stories_per_doc"]),
            f"{r['stories_per_s']:,.0f}",
            f"{r['us_per_doc']:,.0f}",
            f"{r['baseline_parse_per_s']:,.0f}",
            f"{r['overhead_x']:.1f}",
        )
    Console(width=140).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

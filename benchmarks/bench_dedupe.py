"""Dedupe benchmark: check() throughput per core and state bytes per remembered story.

``python -m benchmarks.bench_dedupe`` prints a Rich table; ``run(quick)`` returns the rows.

* throughput: ``DedupeIndex.check`` on distinct ~2 KB stories (single process, ``time.perf_counter``), against two
  baselines measured in the same run: ``fingerprint()`` alone, and blake2b over the body text (a floor);
* state: bytes per remembered story at 100k and 1M stories — on the changelog (sum of
  ``len(orjson.dumps(key)) + len(orjson.dumps(value))`` over both mappings, as a compacted changelog carries them)
  and in memory (``tracemalloc``, the mappings only). State does not depend on text length, so the scale runs use
  ~60-word stories with realistic uris (``urn:newsml:<agency>:<date>:<id>``, 40-45 characters).
"""

from __future__ import annotations

import gc
import itertools
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import timedelta
from hashlib import blake2b
from typing import Any

from benchmarks import options
from benchmarks.eval_dedupe import T0, bases, make_story
from pipeline.stages.dedupe import DedupeIndex, DedupeState, fingerprint
from pipeline.stages.dedupe.index import _escape
from pipeline.stages.dedupe.simhash import clear_memo
from schemas import Story

AGENCIES = ("tca.kg", "apnews.com", "afp.com", "dpa.com", "ntb.no", "tt.se", "reuters.com", "interfax.ru")


def _vocabulary(size: int = 40_000) -> tuple[list[str], list[float]]:
    """The words of the real texts, most frequent first, then made-up words; cumulative Zipf weights."""
    counts: dict[str, int] = {}
    for b in bases():
        for w in " ".join(b.body).split():
            counts[w] = counts.get(w, 0) + 1
    vocab = sorted(counts, key=lambda w: (-counts[w], w))
    rng = random.Random(0)
    syllables = ["ka", "ro", "mi", "sen", "tal", "or", "vi", "du", "pe", "lan", "sto", "ni", "gar", "e", "bu"]
    while len(vocab) < size:
        vocab.append("".join(rng.choices(syllables, k=rng.randint(2, 4))))
    return vocab, list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(vocab))))


def synthetic(n: int, words_per_story: int, seed: int = 1) -> Iterator[Story]:
    """``n`` distinct stories of Zipf-distributed words, story times spread over six days."""
    rng = random.Random(seed)
    vocab, cum_weights = _vocabulary()
    step = timedelta(days=6) / max(n, 1)
    for i in range(n):
        text = rng.choices(vocab, cum_weights=cum_weights, k=words_per_story)
        body = [" ".join(text[j : j + 60]) for j in range(0, words_per_story, 60)]
        agency = AGENCIES[i % len(AGENCIES)]
        uri = f"urn:newsml:{agency}:20240301:{i:010d}"
        yield make_story(uri, agency, " ".join(text[:8]), body, at=T0 + i * step)


def throughput(n: int) -> list[dict[str, Any]]:
    """Wall-clock and CPU-time (``process_time``, steadier on a shared machine) rates of each case."""
    stories = list(synthetic(n, 330, seed=2))  # ~2 KB of body text each
    size = sum(len(" ".join(s.body)) for s in stories) / n
    index = DedupeIndex(DedupeState())
    cases: list[tuple[str, Callable[[Story], object]]] = [
        ("baseline: blake2b of the body", lambda s: blake2b("\n".join(s.body).encode("utf-8")).digest()),
        ("baseline: fingerprint() alone", fingerprint),
        ("DedupeIndex.check, new stories", index.check),
        ("DedupeIndex.check, resends", index.check),
    ]
    rows = []
    for name, step in cases:
        t0, c0 = time.perf_counter(), time.process_time()
        for s in stories:
            step(s)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        rows.append(
            {"case": name, "stories": n, "avg_body_chars": round(size), "stories_per_s": round(n / wall),
             "stories_per_s_cpu": round(n / cpu) if cpu else None, "cpu_us_per_story": round(cpu / n * 1e6, 1)}
        )  # fmt: skip
    return rows


def state_size(n: int) -> dict[str, Any]:
    clear_memo()  # start from an empty word memo
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    state = DedupeState()
    index = DedupeIndex(state)
    t0 = time.perf_counter()
    for s in synthetic(n, 60, seed=3):
        index.check(s)
    elapsed = time.perf_counter() - t0
    clear_memo()  # the memo is a cache, not state
    index.nears.clear_cache()  # so are the parsed buckets
    gc.collect()
    memory = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    changelog = state.changelog_bytes()
    uri_bytes = sum(len(_escape(f"urn:newsml:{a}:20240301:{0:010d}@1")) for a in AGENCIES) / len(AGENCIES)
    return {
        "case": f"state after {n:,} stories",
        "stories": n,
        "changelog_bytes_per_story": round(changelog / n, 1),
        "of_which_uri_ref": round(uri_bytes * index.config.store_keys, 1),
        "memory_bytes_per_story": round(memory / n, 1),
        "uri_keys": len(state.uris),
        "bucket_keys": len(state.near),
        "stories_per_s_traced": round(n / elapsed),
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    rows = throughput(2_000 if quick else 20_000)
    for n in (10_000, 50_000) if quick else (100_000, 1_000_000):
        rows.append(state_size(n))
    return rows


def main() -> None:
    args = options.parse(
        "benchmarks.bench_dedupe", __doc__, sys.argv[1:],
        ("--quick", "a shorter run (fewer stories or rounds), for a first look"),
    )
    from rich.console import Console
    from rich.table import Table

    rows = run(quick=args.quick)
    console = Console()
    t = Table(title="dedupe check() throughput, one process (stories/s per core)")
    for col in ("case", "stories", "avg body chars", "stories/s wall", "stories/s CPU", "CPU µs/story"):
        t.add_column(col)
    for r in rows:
        if "stories_per_s" in r:
            t.add_row(r["case"], f"{r['stories']:,}", str(r["avg_body_chars"]), f"{r['stories_per_s']:,}",
                      f"{r['stories_per_s_cpu']:,}", str(r["cpu_us_per_story"]))  # fmt: skip
    console.print(t)
    s = Table(title="dedupe state per remembered story (target ≤ 100 bytes on the changelog)")
    for col in ("case", "changelog B/story", "of which stored ref", "memory B/story", "uri keys", "bucket keys"):
        s.add_column(col)
    for r in rows:
        if "changelog_bytes_per_story" in r:
            s.add_row(r["case"], str(r["changelog_bytes_per_story"]), str(r["of_which_uri_ref"]),
                      str(r["memory_bytes_per_story"]), f"{r['uri_keys']:,}", f"{r['bucket_keys']:,}")  # fmt: skip
    console.print(s)


if __name__ == "__main__":
    main()

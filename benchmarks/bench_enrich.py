"""Enrich benchmark: ``enrich()`` throughput per core, and the gazetteer's load time and memory.

``python -m benchmarks.bench_enrich [--quick]`` prints a Rich table; ``run(quick)`` returns the rows.

* throughput: ``enrich()`` on the seed story, on the IPTC agency samples and on 1,000 benchmark-corpus stories
  (``benchmarks.corpus``; all read through the real normalise stage before timing), single process: stories/s by
  wall clock (``time.perf_counter``, the best window) and CPU µs per story (``time.process_time``, the figure to
  compare on a shared machine: it is the one the 20,000 stories/s target is read from), with the tagger as loaded
  (compiled by mypyc where it is built, see ``pipeline/stages/enrich/compiled.py``) and, as the baseline of the
  same run, with ``tagger.py`` run as Python; ``tag()`` alone; and as a floor, folding the story text and the
  leftmost-longest Aho-Corasick pass the tagger runs over it, with no rules at all;
* gazetteer: time to build it from the data files (cold, in this process) and its memory, both as Python heap
  (``tracemalloc``, current after the build) and as the process's resident-set growth; before (English-only,
  without ``names_i18n.tsv``) and after, in one run;
* the labelled multilingual corpus (``benchmarks.tagging_corpus``, when it and its files are there), English
  and the other languages apart, with the English-only gazetteer as the before row.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pipeline.stages.enrich as enrich_pkg
from benchmarks import options
from pipeline.stages.enrich import TAGGER_BUILD, compiled, enrich, load_gazetteer, tag
from pipeline.stages.enrich.gazetteer import build_gazetteer, fold_joined
from pipeline.stages.enrich.tagger import tag_story
from schemas import DedupeInfo, RawSubmission, Story

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"
SEED = SHARED / "fixtures" / "seed-story-tca.txt"
SAMPLES = SHARED / "reference" / "samples"
DEDUPE = DedupeInfo(verdict="new", cluster_id="bench")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


CORPUS_STORIES = 1000


def _stories(corpus: int = CORPUS_STORIES) -> tuple[list[Story], list[Story], list[Story]]:
    from benchmarks.corpus import Corpus
    from pipeline.stages.normalise import normalise_all

    def read(name: str, payload: bytes) -> list[Story]:
        raw = RawSubmission(
            submission_id=name, agency="BENCH", received_at=datetime(2021, 5, 16, tzinfo=UTC), payload=payload
        )
        return normalise_all(raw)

    seed = read("seed", SEED.read_bytes())
    samples = [
        s for p in sorted(SAMPLES.iterdir()) if p.suffix in (".xml", ".json") for s in read(p.name, p.read_bytes())
    ]
    stories = [s for c in Corpus(7).stories(corpus) for s in read(f"corpus-{c.index}", c.payload)]
    return seed, samples, stories


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096


def _rate(fn: Callable[[Story], object], stories: list[Story], seconds: float, windows: int = 5) -> tuple[float, float]:
    """Stories per second of ``fn`` over ``stories`` (wall clock, ``perf_counter``): the best of ``windows`` timed
    windows of about ``seconds / windows`` each, the one least disturbed by other processes; and the least CPU
    time per story over the windows (``process_time``, µs), which other processes on the machine disturb less."""
    for s in stories:  # warm-up
        fn(s)
    best, cpu_us = 0.0, 0.0
    for _ in range(windows):
        done = 0
        t0 = time.perf_counter()
        c0 = time.process_time()
        elapsed = 0.0
        while elapsed < seconds / windows:
            for s in stories:
                fn(s)
            done += len(stories)
            elapsed = time.perf_counter() - t0
        cpu = (time.process_time() - c0) / done * 1e6
        best = max(best, done / elapsed)
        cpu_us = min(cpu_us, cpu) if cpu_us else cpu
    return best, cpu_us


def _automaton_floor(story: Story) -> int:
    """Folding the story's text as the tagger does, and the leftmost-longest automaton pass over it."""
    gaz = load_gazetteer()
    texts = [story.headline, *story.body]
    return len(gaz.leftmost.find_matches_as_indexes(fold_joined(texts)))


def _with_source_tagger(story: Story) -> object:
    """``enrich()`` with the tagger run from its Python source: the baseline of the compiled one, same run."""
    global _SOURCE
    if _SOURCE is None:
        _SOURCE = compiled.load_source("_tagger_from_source")
    saved = enrich_pkg.tag_story
    enrich_pkg.tag_story = _SOURCE.tag_story
    try:
        return enrich(story, DEDUPE, now=NOW)
    finally:
        enrich_pkg.tag_story = saved


_SOURCE: Any = None


def _multilingual() -> tuple[list[Story], list[Story], str]:
    """The labelled multilingual corpus's stories, English and the others, when its reader
    (``benchmarks.tagging_corpus``) and its files are there; otherwise empty lists and the reason."""
    try:
        from benchmarks import tagging_corpus as tc

        folder = tc.find_corpus()
        stories = [tc.build_story(lab.document, folder) for lab in tc.load_labels()]
    except ImportError as exc:
        return [], [], f"the multilingual corpus reader is not installed ({exc})"
    except RuntimeError as exc:  # CorpusMissing, CorpusCorrupt
        return [], [], f"the multilingual corpus is not available ({exc})"
    english = [s for s in stories if (s.language or "en").split("-")[0] == "en"]
    return english, [s for s in stories if s not in english], ""


_BEFORE: Any = None


def _english_only_gazetteer(story: Story) -> object:
    """``tag_story`` with the gazetteer of English (and the Scandinavian and German names of ``countries.tsv``)
    only, without ``names_i18n.tsv``: the tagger as it was before the names in other languages."""
    global _BEFORE
    if _BEFORE is None:
        _BEFORE = build_gazetteer(languages=False)
    return tag_story(story, _BEFORE)


def throughput(quick: bool = False) -> list[dict[str, Any]]:
    seed, samples, corpus = _stories(200 if quick else CORPUS_STORIES)
    ml_english, ml_other, why = _multilingual()
    if why:
        print(f"multilingual rows skipped: {why}", file=sys.stderr)
    load_gazetteer()
    seconds = 0.5 if quick else 3.0
    rows = []
    sets = [("seed", seed), ("samples", samples), ("corpus", corpus)]
    sets += [(label, s) for label, s in (("multilingual: en", ml_english), ("multilingual: other", ml_other)) if s]
    for label, stories in sets:
        chars = sum(len(s.headline) + sum(len(p) for p in s.body) for s in stories) / len(stories)
        for what, fn in (
            ("enrich()", lambda s: enrich(s, DEDUPE, now=NOW)),
            ("enrich(), tagger.py as Python", _with_source_tagger),
            ("tag() alone", tag),
            ("before: English-only gazetteer (tag_story)", _english_only_gazetteer),
            ("floor: fold + automaton pass", _automaton_floor),
        ):
            if fn is _with_source_tagger and TAGGER_BUILD.startswith("Python"):
                continue  # the row above is that already
            rate, cpu_us = _rate(fn, stories, seconds)
            rows.append(
                {
                    "stories": label,
                    "n": len(stories),
                    "avg_chars": round(chars),
                    "what": what,
                    "tagger": "Python source" if fn is _with_source_tagger else TAGGER_BUILD,
                    "stories_per_s": round(rate),
                    "cpu_us_per_story": round(cpu_us, 1),
                    "stories_per_cpu_s": round(1e6 / cpu_us) if cpu_us else 0,
                }
            )
    return rows


def gazetteer_cost(languages: bool = True) -> dict[str, Any]:
    gc.collect()
    rss0 = _rss_bytes()
    t0 = time.perf_counter()
    c0 = time.process_time()
    gaz = build_gazetteer(languages=languages)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    rss1 = _rss_bytes()
    del gaz
    gc.collect()
    tracemalloc.start()  # second build, traced (tracing slows it, so it is not the one timed)
    gaz = build_gazetteer(languages=languages)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "gazetteer": "all languages" if languages else "before: English-only",
        "surfaces": gaz.surfaces,
        "load_ms": round(seconds * 1000, 1),
        "load_cpu_ms": round(cpu * 1000, 1),
        "python_heap_mb": round(current / 1e6, 2),
        "python_heap_peak_mb": round(peak / 1e6, 2),
        "rss_growth_mb": round((rss1 - rss0) / 1e6, 2),
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Throughput rows (kind='throughput') then one gazetteer row (kind='gazetteer')."""
    before = gazetteer_cost(languages=False)  # first, so the process has not loaded the gazetteer yet
    cost = gazetteer_cost()
    rows = [{"kind": "throughput", **r} for r in throughput(quick)]
    for c in (before, cost):
        rows.append({"kind": "gazetteer", **c, "load_average": round(os.getloadavg()[0], 1)})
    return rows


def main(argv: list[str]) -> int:
    args = options.parse(
        "benchmarks.bench_enrich", __doc__, argv,
        ("--quick", "a shorter run (fewer stories or rounds), for a first look"),
    )
    from rich.console import Console
    from rich.table import Table

    rows = run(quick=args.quick)
    console = Console(width=140)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    console.print(f"load average while measuring: {load} ({os.cpu_count()} cores); tagger: {TAGGER_BUILD}")
    t = Table(title="enrich throughput, one process (stories/s per core; target ≥ 20,000 per CPU second for enrich)")
    for col in ("stories", "n", "avg chars", "what", "stories/s (wall)", "CPU µs/story", "stories/CPU s"):
        t.add_column(col, justify="left" if col in ("stories", "what") else "right")
    for r in rows:
        if r["kind"] == "throughput":
            t.add_row(
                r["stories"],
                str(r["n"]),
                str(r["avg_chars"]),
                r["what"],
                f"{r['stories_per_s']:,}",
                str(r["cpu_us_per_story"]),
                f"{r['stories_per_cpu_s']:,}",
            )
    console.print(t)
    s = Table(title="gazetteer load (built from pipeline/stages/enrich/data, cold)")
    for col in ("gazetteer", "surfaces", "load ms", "load CPU ms", "Python heap MB", "heap peak MB", "RSS growth MB"):
        s.add_column(col, justify="right")
    for g in (r for r in rows if r["kind"] == "gazetteer"):
        s.add_row(
            g["gazetteer"],
            f"{g['surfaces']:,}",
            str(g["load_ms"]),
            str(g["load_cpu_ms"]),
            str(g["python_heap_mb"]),
            str(g["python_heap_peak_mb"]),
            str(g["rss_growth_mb"]),
        )
    console.print(s)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

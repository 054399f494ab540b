"""Notifier throughput: stories/s per core routed against 1,000 subscriptions, indexed router vs the plain loop.

Run: ``python -m benchmarks.bench_notify [--quick]``. Single process, ``time.perf_counter``. Both routers see the
same stories and must produce the same notifications (checked in the run). Story text comes from the seed story in
``<repo>/../shared/fixtures`` (falls back to built-in sentences when it is absent); tags, agencies, verdicts and
urgency are drawn with a fixed seed.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import options
from pipeline.stages.notify import NOTIFIABLE, Router, Subscription, matches, route_naive
from schemas import BlocTag, CountryTag, DedupeInfo, EnrichedStory, Notification

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / ".." / "shared" / "fixtures" / "seed-story-tca.txt"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

COUNTRIES = (
    "KG KZ UZ TJ TM RU BY AM AZ GE UA MD CN IN PK IR AF TR US CA MX BR AR CL CO PE GB FR DE IT ES PT NL BE PL CZ SK HU "
    "RO BG GR SE NO DK FI IS CH AT IE JP KR KP TW VN TH MY SG ID PH AU NZ ZA NG KE ET EG MA DZ TN SA AE QA KW IL JO LB "
    "SY IQ"
).split()
BLOCS = {
    "EAEU": ["RU", "BY", "KZ", "AM", "KG"],
    "EU": ["FR", "DE", "IT", "ES", "PT", "NL", "BE", "PL", "CZ", "SK", "HU", "RO", "BG", "GR", "SE", "DK", "FI", "AT"],
    "SCO": ["CN", "KZ", "KG", "RU", "TJ", "UZ", "IN", "PK", "IR"],
    "ASEAN": ["VN", "TH", "MY", "SG", "ID", "PH"],
    "GCC": ["SA", "AE", "QA", "KW"],
    "NATO": ["US", "CA", "GB", "FR", "DE", "IT", "TR", "PL", "NO"],
    "BRICS": ["BR", "RU", "IN", "CN", "ZA", "EG", "AE"],
    "G7": ["CA", "FR", "DE", "IT", "JP", "GB", "US"],
}
AGENCIES = ["TCA", "AKIpress", "AFP", "Reuters", "AP", "dpa", "NTB", "TT", "Kabar", "Interfax"]
KEYWORDS = [
    "central bank", "inflation", "election", "gas", "oil", "pipeline", "sanctions", "tariff", "earthquake", "flood",
    "summit", "currency", "wheat", "gold", "uranium", "railway", "visa", "border", "protest", "budget", "debt",
    "exports", "imports", "mining", "drought", "interest rate", "refugees", "cotton", "hydropower", "remittances",
]  # fmt: skip
FALLBACK_TEXT = [
    "The president met the prime minister to discuss the agenda for the coming year.",
    "Officials said the talks would resume next month in the capital.",
]


def _paragraphs() -> list[str]:
    try:
        lines = SEED.read_text(encoding="utf-8").splitlines()
    except OSError:
        return FALLBACK_TEXT
    paras = [ln.strip() for ln in lines[3:] if len(ln.strip()) > 80]
    return paras + FALLBACK_TEXT


def make_subscriptions(n: int, rng: random.Random) -> list[Subscription]:
    """A desk-like mix: mostly country desks, then blocs, keywords, agency desks, flash (urgency 1), 1% unfiltered."""
    subs: list[Subscription] = []
    for i in range(n):
        kind = rng.random()
        f: dict[str, Any] = {}
        if kind < 0.50:
            f["countries"] = rng.sample(COUNTRIES, rng.randint(1, 3))
            f["country_match"] = rng.choice(["focus", "mention"])
        elif kind < 0.60:
            f["blocs"] = [rng.choice(sorted(BLOCS))]
            f["bloc_match"] = "explicit" if rng.random() < 0.7 else "any"
        elif kind < 0.75:
            f["keywords"] = rng.sample(KEYWORDS, rng.randint(1, 3))
        elif kind < 0.85:
            f["countries"] = rng.sample(COUNTRIES, rng.randint(1, 2))
            f["keywords"] = rng.sample(KEYWORDS, rng.randint(1, 2))
        elif kind < 0.95:
            f["agencies"] = rng.sample(AGENCIES, rng.randint(1, 2))
            if rng.random() < 0.5:
                f["countries"] = rng.sample(COUNTRIES, rng.randint(1, 2))
            else:
                f["keywords"] = rng.sample(KEYWORDS, rng.randint(1, 2))
        elif kind < 0.99:
            f["min_urgency"] = 1
        if rng.random() < 0.2:
            f["min_urgency"] = rng.randint(2, 6)
        subs.append(
            Subscription(
                name=f"sub-{i:04d}",
                topic=f"notify.desk-{i % 40:02d}",
                filter=f,
                delivery=rng.choice(["every_version", "per_cluster"]),
            )
        )
    return subs


def make_stories(n: int, rng: random.Random) -> list[EnrichedStory]:
    paras = _paragraphs()
    verdicts = sorted(NOTIFIABLE)
    share = {"new": 20.0, "update": 4.0, "near_duplicate": 4.0, "correction": 1.0, "kill": 0.2}
    weights = [share[v] for v in verdicts]
    stories = []
    for i in range(n):
        codes = rng.sample(COUNTRIES, rng.randint(0, 5))
        blocs = []
        for code, members in BLOCS.items():
            if any(c in members for c in codes):
                blocs.append(BlocTag(code=code, name=code, explicit=rng.random() < 0.3, members=[]))
        body = rng.sample(paras, min(len(paras), rng.randint(3, 8)))
        for _ in range(rng.randint(0, 2)):  # a topical sentence or two
            a, b = rng.sample(KEYWORDS, 2)
            body.insert(rng.randrange(len(body) + 1), f"Ministers discussed {a} and {b.title()} on Tuesday.")
        stories.append(
            EnrichedStory(
                uri=f"urn:bench:{i}",
                version=1,
                agency=rng.choice(AGENCIES),
                headline=rng.choice(paras)[:90],
                body=body,
                versioncreated=T0,
                urgency=rng.choice([None, 1, 2, 3, 4, 5, 6, 7, 8]),
                source_format="text",
                content_hash="0" * 64,
                submission_id=f"bench-{i}",
                received_at=T0,
                countries=[CountryTag(code=c, name=c, mentions=1, score=0.5) for c in codes],
                focus_country=codes[0] if codes else None,
                blocs=blocs,
                dedupe=DedupeInfo(verdict=rng.choices(verdicts, weights)[0], cluster_id=f"c{i}"),  # type: ignore[arg-type]
                enriched_at=T0,
            )
        )
    return stories


def _time(fn: Callable[[EnrichedStory], Sequence[Any]], stories: list[EnrichedStory]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, results). CPU time shows the cost when other work shares the core."""
    out = 0
    c0 = time.process_time()
    t0 = time.perf_counter()
    for story in stories:
        out += len(fn(story))
    return time.perf_counter() - t0, time.process_time() - c0, out


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Rows of figures: one per (subscriptions, work, router)."""
    rng = random.Random(20171129)
    n_stories = 200 if quick else 1000
    rows: list[dict[str, Any]] = []
    for n_subs in (100, 1000) if quick else (100, 1000, 5000):
        subs = make_subscriptions(n_subs, rng)
        stories = make_stories(n_stories, rng)
        t0 = time.perf_counter()
        router = Router(subs)
        build_s = time.perf_counter() - t0
        # Same answers, checked on every story before timing.
        reference: list[list[tuple[str, Notification]]] = [route_naive(s, subs) for s in stories]
        assert [router.route(s) for s in stories] == reference, "indexed router differs from the loop"
        assert [router.matching_scan(s) for s in stories] == [router.matching(s) for s in stories]
        candidates = sum(len(router.candidates(s)) for s in stories) / len(stories)
        cases: list[tuple[str, str, Callable[[EnrichedStory], Sequence[Any]]]] = [
            ("match", "loop", lambda s, subs=subs: [x for x in subs if matches(s, x)]),
            ("match", "scan", router.matching_scan),
            ("match", "indexed", router.matching),
            ("route", "loop", lambda s, subs=subs: route_naive(s, subs)),
            ("route", "indexed", router.route),
        ]
        baseline: dict[str, float] = {}
        for work, name, fn in cases:
            seconds, cpu, produced = _time(fn, stories)
            rate = len(stories) / seconds
            baseline.setdefault(work, rate)
            rows.append(
                {
                    "subscriptions": n_subs,
                    "work": work,
                    "router": name,
                    "stories": len(stories),
                    "seconds": round(seconds, 4),
                    "stories_per_s": round(rate, 1),
                    "per_story_us": round(1e6 * seconds / len(stories), 1),
                    "cpu_stories_per_s": round(len(stories) / cpu, 1) if cpu > 0 else None,
                    "results_per_story": round(produced / len(stories), 2),
                    "candidates_per_story": round(candidates, 1) if name == "indexed" else n_subs,
                    "speedup": round(rate / baseline[work], 2),
                    "index_build_ms": round(build_s * 1000, 2) if name == "indexed" else None,
                }
            )
    return rows


def main(argv: list[str]) -> None:
    args = options.parse(
        "benchmarks.bench_notify", __doc__, argv,
        ("--quick", "a shorter run (fewer stories or rounds), for a first look"),
    )
    rows = run(quick=args.quick)
    table = Table(title="notify: stories/s per core (1 process); 'match' = decisions only, 'route' = + Notifications")
    cols = ["subscriptions", "work", "router", "stories_per_s", "cpu_stories_per_s", "per_story_us", "speedup",
            "results_per_story", "candidates_per_story", "index_build_ms"]  # fmt: skip
    for col in cols:
        table.add_column(col, justify="right")
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in cols))
    Console().print(table)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Store write/read throughput on SQLite and on a throwaway PostgreSQL server.

``python -m benchmarks.bench_store [--quick]``. One process, one core. Rows:
- ``write``: ``write_batch`` of new stories (history + current + tags + search index), stories/s;
- ``replay``: the same batches again (every story ignored), stories/s;
- ``baseline``: ``executemany`` of the same JSON documents into a bare (key, doc) table in the same database,
  stories/s: the floor cost of getting the bytes into that database;
- ``query``: pages of 50 (no filter / country / text search), pages/s.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
from rich.console import Console
from rich.table import Table

from benchmarks import options
from pipeline.sinks.store import StoryQuery, open_store
from pipeline.sinks.store.writer import encode_doc
from schemas import EnrichedStory

REPO = Path(__file__).resolve().parents[1]
WORDS = "uranium president partnership talks budget floods election summit trade border railway gas".split()
COUNTRIES = [("KG", "Kyrgyzstan"), ("RU", "Russia"), ("KZ", "Kazakhstan"), ("CN", "China"), ("DE", "Germany")]


def make_stories(n: int) -> list[EnrichedStory]:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        c1, c2 = COUNTRIES[i % 5], COUNTRIES[(i + 2) % 5]
        w = [WORDS[(i * k) % len(WORDS)] for k in (1, 3, 7)]
        out.append(
            EnrichedStory.model_validate(
                {
                    "uri": f"urn:bench:{i}",
                    "version": 1,
                    "agency": ["TCA", "AKI", "DPA"][i % 3],
                    "headline": f"{w[0].title()} {w[1]} in {c1[1]} as {c2[1]} {w[2]}s",
                    "body": [f"Paragraph {p} about {w[p % 3]} between {c1[1]} and {c2[1]}. " * 4 for p in range(6)],
                    "versioncreated": t0 + timedelta(seconds=i),
                    "source_format": "text",
                    "content_hash": f"{i:064x}",
                    "submission_id": f"sub-{i}",
                    "received_at": t0 + timedelta(seconds=i),
                    "countries": [
                        {"code": c1[0], "name": c1[1], "mentions": 3, "score": 0.8},
                        {"code": c2[0], "name": c2[1], "mentions": 1, "score": 0.3},
                    ],
                    "focus_country": c1[0],
                    "blocs": [{"code": "EAEU", "name": "Eurasian Economic Union", "explicit": False}]
                    if c1[0] in ("KG", "RU", "KZ")
                    else [],
                    "dedupe": {"verdict": "new", "cluster_id": f"cl-{i}"},
                    "enriched_at": t0 + timedelta(seconds=i),
                }
            )
        )
    return out


async def _baseline(url: str, stories: list[EnrichedStory], batch: int) -> float:
    rows = [(s.uri, encode_doc(s)) for s in stories]
    t = time.perf_counter()
    if url.startswith("sqlite"):
        async with aiosqlite.connect(url.removeprefix("sqlite://"), isolation_level=None) as db:
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("CREATE TABLE bench_baseline (uri TEXT PRIMARY KEY, doc BLOB)")
            t = time.perf_counter()
            for i in range(0, len(rows), batch):
                await db.execute("BEGIN")
                await db.executemany("INSERT INTO bench_baseline VALUES (?, ?)", rows[i : i + batch])
                await db.execute("COMMIT")
    else:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("CREATE TABLE bench_baseline (uri text PRIMARY KEY, doc text)")
            t = time.perf_counter()
            for i in range(0, len(rows), batch):
                async with conn.transaction():
                    await conn.executemany(
                        "INSERT INTO bench_baseline VALUES ($1, $2)", [(u, d.decode()) for u, d in rows[i : i + batch]]
                    )
        finally:
            await conn.close()
    return time.perf_counter() - t


async def bench_backend(name: str, url: str, n: int, batch: int) -> list[dict[str, Any]]:
    stories = make_stories(n)
    store = await open_store(url)
    rows: list[dict[str, Any]] = []
    try:
        t = time.perf_counter()
        for i in range(0, n, batch):
            await store.write_batch(stories[i : i + batch])
        dt = time.perf_counter() - t
        rows.append({"backend": name, "case": "write", "n": n, "seconds": dt, "per_s": n / dt})
        t = time.perf_counter()
        for i in range(0, n, batch):
            res = await store.write_batch(stories[i : i + batch])
            assert res.ignored == len(stories[i : i + batch])
        dt = time.perf_counter() - t
        rows.append({"backend": name, "case": "replay", "n": n, "seconds": dt, "per_s": n / dt})
        for label, q in (
            ("query newest", StoryQuery()),
            ("query country=KZ", StoryQuery(countries=["KZ"])),
            ("query text", StoryQuery(text="uranium kazakhstan")),
        ):
            reps = 20
            t = time.perf_counter()
            for _ in range(reps):
                page = await store.query(q)
            dt = time.perf_counter() - t
            assert page.items
            rows.append({"backend": name, "case": label, "n": reps, "seconds": dt, "per_s": reps / dt})
    finally:
        await store.close()
    dt = await _baseline(url, stories, batch)
    rows.insert(1, {"backend": name, "case": "baseline", "n": n, "seconds": dt, "per_s": n / dt})
    return rows


def _pg_cluster() -> Any | None:
    spec = importlib.util.spec_from_file_location("wirefeed_deploy_pg", REPO / "deploy" / "postgres" / "pg.py")
    assert spec is not None and spec.loader is not None
    pg = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = pg
    spec.loader.exec_module(pg)
    try:
        pg.find_bindir()
    except pg.PostgresNotInstalled:
        return None
    return pg.Cluster(Path(tempfile.mkdtemp(prefix="wirefeed-pg-bench-")))


def run(quick: bool = False) -> list[dict[str, Any]]:
    n = 1000 if quick else 10_000
    batch = 500
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += asyncio.run(bench_backend("sqlite", f"sqlite:///{tmp}/bench.sqlite3", n, batch))
    cluster = _pg_cluster()
    if cluster is not None:
        try:
            cluster.start()
            rows += asyncio.run(bench_backend("postgres", cluster.url, n, batch))
        finally:
            cluster.destroy()
    return rows


def main(argv: list[str]) -> int:
    args = options.parse("benchmarks.bench_store", __doc__, argv,
                         ("--quick", "a shorter run (fewer stories or rounds), for a first look"))
    rows = run(quick=args.quick)
    table = Table(title="store (batches of 500, one core)")
    for col in ("backend", "case", "n", "seconds", "per second"):
        table.add_column(col, justify="right" if col in ("n", "seconds", "per second") else "left")
    for r in rows:
        unit = "pages" if r["case"].startswith("query") else "stories"
        table.add_row(r["backend"], r["case"], str(r["n"]), f"{r['seconds']:.3f}", f"{r['per_s']:,.0f} {unit}")
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

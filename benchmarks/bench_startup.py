"""Start-up on the embedded default: from `wirefeed run` to "pipeline ready", and the first story after it.

``python -m benchmarks.bench_startup [--runs 5] [--joins] [--baseline DIR]`` launches ``python -m pipeline run``
(embedded broker, one worker, a fresh data directory) ``runs`` times, one after another; with ``--baseline``, the
same command from the checkout ``DIR`` (e.g. ``git worktree add /tmp/base main``) takes turns with this one, with
this Python, so both are measured at the same load. Per run it records:

* ``ready s``: the command's own ``pipeline ready in N s`` figure, and ``seen``: from launching the command to
  reading that line here (the same clock for any version of the command);
* phases from the worker's log and this clock: the worker's first log line (imports, topic checks and the
  warm-up thread's start behind it), Faust's own group joined, the last stage loop's group joined;
* ``first story ms``: one story published right after the ``pipeline ready`` line → its notification read back
  (the publisher's own start is left out: its producer is started before the line);
* the worker's ``stages loaded in …`` line (the warm-up's wall and CPU time);

then stops the command with SIGTERM. ``--joins`` also times a bare consumer's group join on the embedded broker
for a few session timeouts, alone and four groups at once (what a stage loop waits for).

Medians with the 1-minute load average: on a shared machine a run measures how much CPU the worker got.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

from benchmarks.baselines import TopicCounter, load_average
from pipeline.config import Settings
from pipeline.ingest.publisher import RawPublisher, make_submission
from pipeline.kafka import client_kwargs
from pipeline.topics import NOTIFICATIONS, RAW, topic_name

STORY = (b"Ministers meet in Bishkek\n\nBISHKEK, Kyrgyzstan - Ministers of Kyrgyzstan and Kazakhstan met in "
         b"Bishkek on Monday to discuss trade and transit.\n")
LOG_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\] \[\d+\] \[\w+\] (.*)$")
JOINED = re.compile(r"Joined group '([^']+)'")


def log_phases(log: Path, t0: float) -> dict[str, float]:
    """Seconds after ``t0`` (this machine's clock) of the worker's first log line and of each group it joined."""
    phases: dict[str, float] = {}
    for line in log.read_text(errors="replace").splitlines():
        m = LOG_LINE.match(line)
        if not m:
            continue
        at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").astimezone(UTC).timestamp() - t0
        phases.setdefault("first log line", at)
        if joined := JOINED.search(m.group(2)):
            phases.setdefault(f"joined {joined.group(1)}", at)
    return phases


def read(path: Path) -> str:
    return path.read_text(errors="replace")


async def first_story(settings: Settings, out: Path, proc: subprocess.Popen[bytes], timeout: float,
                      launched: float) -> tuple[float, float]:
    """Wait for the ``pipeline ready`` line, publish one story at once; return seconds from ``launched`` (a
    ``perf_counter``) to the line and ms from the line to the story's notification."""
    async with RawPublisher(settings, linger_ms=1) as pub:
        async with TopicCounter(settings, topic_name(NOTIFICATIONS, settings.topic_prefix)) as counter:
            deadline = time.monotonic() + timeout
            while "pipeline ready" not in read(out):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"`wirefeed run` was not ready within {timeout:.0f} s:\n{read(out)}")
                await asyncio.sleep(0.02)
            t = time.perf_counter()
            await pub.publish(make_submission(STORY, "BENCH", format_hint="text"))
            while await counter.count(timeout_ms=20) < 1:
                if time.perf_counter() - t > timeout:
                    raise RuntimeError("the first story was not notified")
            return t - launched, (time.perf_counter() - t) * 1000


def one_run(timeout: float, tree: Path | None = None) -> dict[str, Any]:
    """One launch of ``wirefeed run`` from this checkout, or from the checkout ``tree``."""
    data_dir = Path(tempfile.mkdtemp(prefix="wirefeed-startup-"))
    out = data_dir / "out.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("WIREFEED_BROKER", "WIREFEED_STORE_URL")}
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree), *filter(None, [env.get("PYTHONPATH")])])
    load = load_average()
    t0 = time.time()
    started = time.monotonic()
    launched = time.perf_counter()
    with out.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--data-dir", str(data_dir)], env=env,
                                stdout=sink, stderr=subprocess.STDOUT, cwd=tree)
    try:
        address = data_dir / "broker"
        while not address.exists():
            if proc.poll() is not None or time.monotonic() - started > timeout:
                raise RuntimeError(f"`wirefeed run` did not start its broker:\n{out.read_text()}")
            time.sleep(0.02)
        settings = Settings(broker=address.read_text().strip(), data_dir=data_dir, producer_idempotence=False)
        seen_s, first_ms = asyncio.run(first_story(settings, out, proc, timeout, launched))
        text = out.read_text()
        ready_s = float(m.group(1)) if (m := re.search(r"pipeline ready in ([0-9.]+) s", text)) else float("nan")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    phases = log_phases(data_dir / "worker-0.log", t0)
    loaded = re.search(r"stages loaded in (.*)", read(data_dir / "worker-0.log"))
    joins = [v for k, v in phases.items() if k.startswith("joined ") and k != f"joined {settings.app_id}"]
    return {"ready_s": ready_s, "ready_seen_s": seen_s, "first_story_ms": first_ms, "load": load,
            "first_log_line_s": phases.get("first log line", float("nan")),
            "app_group_s": phases.get(f"joined {settings.app_id}", float("nan")),
            "last_loop_group_s": max(joins, default=float("nan")),
            "stages_loaded": loaded.group(1) if loaded else "?"}


async def join_once(bootstrap: str, groups: int, session_s: float) -> float:
    """Seconds until ``groups`` new groups (one consumer each, started together) all hold an assignment."""
    settings = Settings(broker=bootstrap)
    topic = topic_name(RAW, settings.topic_prefix)
    stamp = time.monotonic_ns()
    consumers = [AIOKafkaConsumer(topic, **client_kwargs(settings), group_id=f"bench-join-{stamp}-{i}",
                                  session_timeout_ms=int(session_s * 1000),
                                  heartbeat_interval_ms=int(session_s * 1000 / 3)) for i in range(groups)]
    t = time.perf_counter()
    try:
        await asyncio.gather(*(c.start() for c in consumers))  # start() returns once the group is joined
        return time.perf_counter() - t
    finally:
        await asyncio.gather(*(c.stop() for c in consumers))


def joins(sessions: tuple[float, ...] = (6.0, 2.0, 1.5, 1.0), repeat: int = 3) -> list[dict[str, Any]]:
    from pipeline.broker.admin import ensure_topics
    from pipeline.broker.embedded import EmbeddedBroker

    rows = []
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(log_path=Path(tmp) / "broker.log") as broker:
        asyncio.run(ensure_topics(Settings(broker=broker.bootstrap)))
        for session in sessions:
            for groups in (1, 4):
                times = [asyncio.run(join_once(broker.bootstrap, groups, session)) for _ in range(repeat)]
                rows.append({"session_s": session, "groups": groups, "median_s": statistics.median(times),
                             "max_s": max(times), "load": load_average()})
    return rows


def summary(runs: list[dict[str, Any]]) -> str:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    return (f"median of {len(runs)}: ready {med('ready_s'):.1f} s (seen {med('ready_seen_s'):.1f} s), "
            f"first story {med('first_story_ms'):.0f} ms, "
            f"load {min(r['load'] for r in runs):.1f}–{max(r['load'] for r in runs):.1f}")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_startup", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="launches of `wirefeed run` (default 5)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for ready / the first story")
    ap.add_argument("--joins", action="store_true", help="also time bare group joins against session timeouts")
    ap.add_argument("--baseline", type=Path, help="a checkout whose `wirefeed run` takes turns with this one's")
    args = ap.parse_args(argv)
    if args.joins:
        for row in joins():
            print(f"join: session {row['session_s']:.1f} s, {row['groups']} group(s) at once: median "
                  f"{row['median_s']:.2f} s, max {row['max_s']:.2f} s (load {row['load']:.1f})", flush=True)
    trees: list[tuple[str, Path | None]] = [("this", None)]
    if args.baseline is not None:
        trees.insert(0, ("baseline", args.baseline.resolve()))
    results: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in trees}
    for i in range(args.runs):
        for name, tree in trees:
            row = one_run(args.timeout, tree)
            results[name].append(row)
            print(f"{name} run {i + 1}: ready {row['ready_s']:.1f} s, seen {row['ready_seen_s']:.1f} s after "
                  f"launch (worker's first log line {row['first_log_line_s']:.1f} s, "
                  f"Faust group {row['app_group_s']:.1f} s, last stage loop group {row['last_loop_group_s']:.1f} s); "
                  f"first story {row['first_story_ms']:.0f} ms; load {row['load']:.1f}; "
                  f"stages loaded in {row['stages_loaded']}", flush=True)
    for name, runs in results.items():
        if runs:
            print(f"{name}: {summary(runs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

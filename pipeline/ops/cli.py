"""``wirefeed lag``: consumer lag per group as Rich tables (or JSON), once or continuously.

The numbers are the ones ``/metrics`` exports (same :class:`~pipeline.ops.lag.LagMonitor`).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from pipeline.config import get_settings
from pipeline.console import console as rich_console
from pipeline.ops.lag import LagMonitor, LagSnapshot
from pipeline.ops.status import StatusPolicy

lag_app = typer.Typer(help="Consumer lag and Burrow-style status of the pipeline's consumer groups.")

_STYLE = {"OK": "green", "WARN": "yellow", "REWIND": "red", "STALL": "bold red", "STOP": "bold magenta",
          "MISSING": "magenta"}  # fmt: skip


def _num(v: float | int | None, digits: int = 0) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


def render(snap: LagSnapshot) -> Group:
    """One Rich table per group, partitions as rows."""
    tables: list[Table | Text] = []
    for g in snap.groups:
        title = Text.assemble(
            (g.group, "bold"), "  ", (g.status.name, _STYLE.get(g.status.name, "")),
            f"  state={g.state} members={_num(g.members)} lag={g.lag:,} lag_s={_num(g.lag_seconds, 1)}",
        )  # fmt: skip
        t = Table(title=title, title_justify="left", expand=False)
        for col, just in (("topic", "left"), ("stage", "left"), ("part", "right"), ("committed", "right"),
                          ("end", "right"), ("lag", "right"), ("lag s", "right"), ("status", "left")):  # fmt: skip
            t.add_column(col, justify=just)  # type: ignore[arg-type]
        stage = {tl.topic: tl.stage for tl in g.topics}
        for p in g.partitions:
            t.add_row(
                p.topic, stage.get(p.topic, ""), str(p.partition), f"{p.committed:,}", f"{p.end:,}", f"{p.lag:,}",
                _num(p.lag_seconds, 1), Text(p.status.name, style=_STYLE.get(p.status.name, "")),
            )  # fmt: skip
        for u in g.uncommitted:
            t.add_row(u.topic, stage.get(u.topic, ""), str(u.partition), "–", _num(u.end), "–", "–",
                      Text("no commit", style="yellow"))  # fmt: skip
        if not g.partitions and not g.uncommitted:
            t.add_row("–", "", "", "", "", "", "", Text("no committed offsets", style="magenta"))
        tables.append(t)
    if not tables:
        tables.append(Text("no consumer groups found", style="yellow"))
    return Group(*tables)


@lag_app.callback(invoke_without_command=True)
def lag(
    watch: Annotated[bool, typer.Option("--watch", "-w", help="Refresh until interrupted")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the snapshot as JSON (one line per sample)")] = False,
    broker: Annotated[str | None, typer.Option("--broker", help="Bootstrap servers (default: WIREFEED_BROKER)")] = None,
    group: Annotated[list[str] | None, typer.Option("--group", "-g", help="Expected group (repeatable)")] = None,
    pattern: Annotated[str | None, typer.Option("--pattern", help="Also every group matching this regex")] = None,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between samples with --watch")] = 5.0,
    window: Annotated[float, typer.Option("--window", help="Status window in seconds")] = 60.0,
    count: Annotated[int, typer.Option("--count", help="With --watch: stop after this many samples (0: never)")] = 0,
) -> None:
    """Show committed offset, end offset, lag, lag seconds and status per group/topic/partition."""
    settings = get_settings()
    if broker:
        settings = settings.model_copy(update={"broker": broker})
    if not settings.broker:
        typer.echo("no broker: set WIREFEED_BROKER or pass --broker host:port", err=True)
        raise typer.Exit(2)
    policy = StatusPolicy(window_s=window, min_span_s=min(window, window / 2))
    monitor = LagMonitor(settings, groups=group or None, pattern=pattern, policy=policy)
    try:
        asyncio.run(_run(monitor, watch, as_json, interval, count))
    except KeyboardInterrupt:
        pass
    except Exception as exc:  # broker unreachable, authorisation, ...: one line, not a traceback
        typer.echo(f"lag: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(1) from exc


async def _run(monitor: LagMonitor, watch: bool, as_json: bool, interval: float, count: int) -> None:
    console = rich_console()
    try:
        if not watch:
            snap = await monitor.sample()
            _emit(console, snap, as_json)
            return
        n = 0
        if as_json:
            while count <= 0 or n < count:
                _emit(console, await monitor.sample(), True)
                n += 1
                if count <= 0 or n < count:
                    await asyncio.sleep(interval)
            return
        with Live(console=console, auto_refresh=False) as live:
            while count <= 0 or n < count:
                live.update(render(await monitor.sample()), refresh=True)
                n += 1
                if count <= 0 or n < count:
                    await asyncio.sleep(interval)
    finally:
        await monitor.close()


def _emit(console: Console, snap: LagSnapshot, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(snap.model_dump_json() + "\n")
        sys.stdout.flush()
    else:
        console.print(render(snap))


if __name__ == "__main__":
    lag_app()

"""The `wirefeed` command line."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, get_args

import orjson
import typer

from pipeline.config import Settings
from pipeline.console import console
from schemas.raw import FormatHint

app = typer.Typer(help="wirefeed: a news wire-feed pipeline on Kafka.", no_args_is_help=True,
                  pretty_exceptions_show_locals=False)
# soft_wrap: never insert line breaks (when output is not a terminal Rich would wrap at 80 columns and split
# URLs and commands that are meant to be copied)
err = console(stderr=True)
out = console()

BrokerOpt = Annotated[str | None, typer.Option("--broker", "-b", help="Kafka bootstrap servers (env WIREFEED_BROKER)")]
FORMATS = list(get_args(FormatHint))


def settings_with(broker: str | None = None, **overrides: object) -> Settings:
    s = Settings()
    update = {k: v for k, v in {"broker": broker, **overrides}.items() if v is not None}
    return s.model_copy(update=update) if update else s


def require_broker(s: Settings) -> Settings:
    if not s.broker:
        err.print("[red]No broker configured.[/] Pass --broker host:port or set WIREFEED_BROKER "
                  "(the broker `wirefeed run` started is printed when it starts).")
        raise typer.Exit(2)
    return s


def read_inputs(files: list[str]) -> list[tuple[str, bytes]]:
    items = []
    for name in files:
        if name == "-":
            items.append(("<stdin>", sys.stdin.buffer.read()))
            continue
        path = Path(name)
        if not path.is_file():
            err.print(f"[red]No such file:[/] {name}")
            raise typer.Exit(2)
        items.append((name, path.read_bytes()))
    return items


# --------------------------------------------------------------------------------------------- process


@app.command()
def process(
    files: Annotated[list[str], typer.Argument(help="Story files; '-' reads stdin")],
    agency: Annotated[str, typer.Option(help="Agency the stories come from")] = "LOCAL",
    fmt: Annotated[str, typer.Option("--format", help="Format hint: " + ", ".join(FORMATS))] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="One EnrichedStory JSON object per line")] = False,
    ninjs: Annotated[str | None, typer.Option("--ninjs", help="Render as ninjs 2.2 or 3.1 instead")] = None,
) -> None:
    """normalise → dedupe → enrich in-process, no broker. Output is exactly the `wire.enriched` contract."""
    from pipeline.codec import encode
    from pipeline.stages.dedupe import DedupeIndex, DedupeState
    from pipeline.stages.normalise import NormaliseOptions
    from pipeline.stages.process import process as run_process
    from schemas import RawSubmission, utcnow

    if fmt not in FORMATS:
        err.print(f"[red]Unknown format {fmt!r}.[/] Use one of: {', '.join(FORMATS)}")
        raise typer.Exit(2)
    if ninjs not in (None, "2.2", "3.1"):
        err.print("[red]--ninjs takes 2.2 or 3.1[/]")
        raise typer.Exit(2)
    s = Settings()
    options = NormaliseOptions(max_bytes=s.max_payload_bytes, max_depth=s.max_nesting_depth,
                               default_timezone=s.default_timezone)
    index = DedupeIndex(DedupeState())
    rejected = 0
    for name, data in read_inputs(files):
        now = utcnow()
        raw = RawSubmission(
            submission_id="local-" + hashlib.sha256(data).hexdigest()[:24],
            agency=agency, format_hint=fmt, received_at=now, payload=data,  # type: ignore[arg-type]
        )
        result = run_process(raw, index, options, now)
        for rej in result.rejections:
            rejected += 1
            err.print(f"[red]{name}: rejected[/] ({rej.reason}) {rej.message}")
        for dup in result.duplicates:
            err.print(f"[yellow]{name}: {dup.verdict}[/] of {dup.duplicate_of}")
        for story in result.enriched:
            if ninjs:
                from pipeline.render.ninjs import to_ninjs

                sys.stdout.buffer.write(orjson.dumps(to_ninjs(story, ninjs)) + b"\n")  # type: ignore[arg-type]
            elif as_json:
                sys.stdout.buffer.write(encode(story) + b"\n")
            else:
                print_story(story)
    sys.stdout.flush()
    if rejected:
        raise typer.Exit(1)


def print_story(story) -> None:  # type: ignore[no-untyped-def]
    out.print(f"[bold]{story.headline}[/]")
    place = story.dateline.place if story.dateline else None
    out.print(f"  {story.uri} v{story.version} · {story.agency} · {story.byline or 'no byline'} · {place or '-'}")
    countries = ", ".join(f"{c.code}({c.mentions})" for c in story.countries) or "-"
    blocs = ", ".join(f"{b.code}{'*' if b.explicit else ''}" for b in story.blocs) or "-"
    out.print(f"  focus {story.focus_country or '-'} · countries {countries} · blocs {blocs} (* named)")
    out.print(f"  dedupe {story.dedupe.verdict} · {len(story.body)} paragraphs")


# --------------------------------------------------------------------------------------------- publish


CONTENT_TYPES = {"text": "text/plain; charset=utf-8", "ninjs": "application/json", "nitf": "application/xml",
                 "newsml-g2": "application/xml", "newsml-1.2": "application/xml", "html": "text/html",
                 "iptc7901": "text/plain", "anpa1312": "text/plain"}


def content_type_for(name: str, fmt: str) -> str:
    if fmt in CONTENT_TYPES:
        return CONTENT_TYPES[fmt]
    suffix = Path(name).suffix.lower()
    return {".json": "application/json", ".xml": "application/xml", ".html": "text/html",
            ".htm": "text/html"}.get(suffix, "text/plain; charset=utf-8")


@app.command()
def publish(
    files: Annotated[list[str], typer.Argument(help="Story files; '-' reads stdin")],
    agency: Annotated[str | None, typer.Option(help="Agency the stories come from (direct to Kafka)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Format hint: " + ", ".join(FORMATS))] = "auto",
    broker: BrokerOpt = None,
    url: Annotated[str | None, typer.Option(help="Publish through the gateway at this URL instead of Kafka")] = None,
    key: Annotated[str | None, typer.Option(help="The agency's API key for --url (env WIREFEED_API_KEY)",
                                           envvar="WIREFEED_API_KEY")] = None,
) -> None:
    """Push story files into `wire.raw`: straight to Kafka (acks=all), or through the gateway with --url/--key."""
    if fmt not in FORMATS:
        err.print(f"[red]Unknown format {fmt!r}.[/] Use one of: {', '.join(FORMATS)}")
        raise typer.Exit(2)
    items = read_inputs(files)
    if url:
        if not key:
            err.print("[red]--url needs the agency's API key:[/] pass --key or set WIREFEED_API_KEY "
                      "(create one with `wirefeed agency add NAME`).")
            raise typer.Exit(2)
        publish_via_gateway(items, fmt, url, key)
        return
    if not agency:
        err.print("[red]--agency is required when publishing straight to Kafka[/] (with --url the key names it).")
        raise typer.Exit(2)
    publish_to_kafka(items, fmt, agency, require_broker(settings_with(broker)))


def publish_to_kafka(items: list[tuple[str, bytes]], fmt: str, agency: str, s: Settings) -> None:
    from rich.progress import Progress

    from pipeline.ingest.publisher import PublishError, RawPublisher, make_submission

    async def go() -> None:
        async with RawPublisher(s) as pub:
            with Progress(console=err, transient=len(items) < 2) as progress:
                task = progress.add_task("publishing", total=len(items))
                for name, data in items:
                    raw = make_submission(data, agency, format_hint=fmt,  # type: ignore[arg-type]
                                          content_type=content_type_for(name, fmt))
                    await pub.publish(raw)
                    progress.advance(task)
                    if len(items) < 20:
                        err.print(f"published {name} as submission {raw.submission_id}")

    try:
        asyncio.run(go())
    except PublishError as exc:
        err.print(f"[red]Publish failed:[/] {exc}. Is the broker at {s.broker} running?")
        raise typer.Exit(1) from exc


def publish_via_gateway(items: list[tuple[str, bytes]], fmt: str, url: str, key: str) -> None:
    from rich.progress import Progress

    from pipeline.ingest.client import AgencyClient, GatewayError

    failed = 0

    async def go() -> None:
        nonlocal failed
        async with AgencyClient(url, key) as client:
            with Progress(console=err, transient=len(items) < 2) as progress:
                task = progress.add_task("publishing", total=len(items))
                for name, data in items:
                    try:
                        accepted = await client.publish(data, content_type_for(name, fmt))
                    except GatewayError as exc:
                        failed += 1
                        err.print(f"[red]{name}: refused[/] {exc}")
                    else:
                        if len(items) < 20:
                            err.print(f"published {name} as submission {accepted.submission_id} "
                                      f"(agency {accepted.agency})")
                    progress.advance(task)

    try:
        asyncio.run(go())
    except OSError as exc:
        err.print(f"[red]Cannot reach the gateway at {url}:[/] {exc}")
        raise typer.Exit(1) from exc
    if failed:
        raise typer.Exit(1)


# --------------------------------------------------------------------------------------------- tail


@app.command()
def tail(
    topic: Annotated[str, typer.Argument(help="Topic to follow, e.g. wire.notifications")],
    broker: BrokerOpt = None,
    from_beginning: Annotated[bool, typer.Option("--from-beginning")] = False,
    limit: Annotated[int, typer.Option(help="Stop after this many messages (0: follow)")] = 0,
) -> None:
    """Follow a topic and print each message (JSON values as one line each)."""
    from aiokafka import AIOKafkaConsumer

    from pipeline.kafka import client_kwargs

    s = require_broker(settings_with(broker))

    async def go() -> None:
        consumer = AIOKafkaConsumer(topic, **client_kwargs(s), group_id=None,
                                    auto_offset_reset="earliest" if from_beginning else "latest")
        await consumer.start()
        seen = 0
        try:
            async for msg in consumer:
                sys.stdout.buffer.write((msg.value or b"") + b"\n")
                sys.stdout.flush()
                seen += 1
                if limit and seen >= limit:
                    return
        finally:
            await consumer.stop()

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        pass


# --------------------------------------------------------------------------------------------- store


@app.command()
def stories(
    country: Annotated[list[str] | None, typer.Option("--country", "-c", help="ISO code; repeat for any of")] = None,
    bloc: Annotated[list[str] | None, typer.Option("--bloc", help="Bloc code, e.g. EAEU; repeat for any of")] = None,
    agency: Annotated[list[str] | None, typer.Option("--agency")] = None,
    focus: Annotated[bool, typer.Option("--focus", help="Match the focus country only")] = False,
    text: Annotated[str | None, typer.Option("--text", "-q", help="Full-text search")] = None,
    limit: Annotated[int, typer.Option(help="Stories to show")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One EnrichedStory JSON object per line")] = False,
    store_url: Annotated[str | None, typer.Option(help="Store URL (env WIREFEED_STORE_URL)")] = None,
) -> None:
    """Read the store, newest first (or by relevance with --text)."""
    from pipeline.codec import encode
    from pipeline.sinks.store import StoryQuery, open_store

    s = settings_with(store_url=store_url)
    q = StoryQuery(countries=country or [], blocs=bloc or [], agencies=agency or [], focus_only=focus,
                   text=text, limit=limit)

    async def go():  # type: ignore[no-untyped-def]
        db = await open_store(s.resolved_store_url)
        try:
            return await db.query(q)
        finally:
            await db.close()

    page = asyncio.run(go())
    for story in page.items:
        if as_json:
            sys.stdout.buffer.write(encode(story) + b"\n")
        else:
            print_story(story)
    if not as_json and not page.items:
        err.print(f"no stories match in {s.resolved_store_url}")


db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _mount_subcommands() -> None:
    from pipeline.ingest.agency_cli import agency_app
    from pipeline.ops.cli import lag_app

    app.add_typer(agency_app, name="agency")
    app.add_typer(lag_app, name="lag")


_mount_subcommands()


@db_app.command("upgrade")
def db_upgrade(
    store_url: Annotated[str | None, typer.Option(help="Store URL (env WIREFEED_STORE_URL)")] = None,
) -> None:
    """Apply pending store migrations (the workers also do this on start)."""
    from pipeline.sinks.store import upgrade

    s = settings_with(store_url=store_url)
    applied = asyncio.run(upgrade(s.resolved_store_url))
    out.print(f"applied migrations {applied}" if applied else "store schema is current")


# --------------------------------------------------------------------------------------------- worker / run


@app.command()
def worker(
    broker: BrokerOpt = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (env WIREFEED_DATA_DIR)")] = None,
    web_port: Annotated[int | None, typer.Option(help="Worker web port (0: off)")] = None,
) -> None:
    """Run one pipeline worker process against an external Kafka."""
    from pipeline.app.worker import run_worker
    from pipeline.sinks.subscriptions import SubscriptionConfigError, router_from_settings

    s = require_broker(settings_with(broker, data_dir=data_dir, web_port=web_port))
    try:
        router = router_from_settings(s)  # a bad subscriptions file is reported before anything connects
    except SubscriptionConfigError as exc:
        err.print(f"[red]Subscriptions file is not valid:[/]\n{exc}")
        raise typer.Exit(2) from exc
    run_worker(s, router)


@app.command("topics")
def topics_cmd(broker: BrokerOpt = None) -> None:
    """Create every topic of the catalogue that is missing, and list the catalogue."""
    from pipeline.broker.admin import ensure_topics
    from pipeline.topics import CATALOGUE, topic_name

    s = require_broker(settings_with(broker))
    created = asyncio.run(ensure_topics(s))
    for spec in CATALOGUE:
        name = topic_name(spec, s.topic_prefix)
        mark = "created" if name in created else "exists"
        out.print(f"{name:24} key={spec.key:14} {spec.contract.__name__:16} {spec.cleanup_policy:7} {mark}")


@app.command()
def serve(
    broker: BrokerOpt = None,
    host: Annotated[str | None, typer.Option(help="Bind address (env WIREFEED_API_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (env WIREFEED_API_PORT)")] = None,
) -> None:
    """Serve the ingest gateway, the read API and the operator pages over HTTP."""
    import uvicorn

    from pipeline.server import create_server_app

    s = settings_with(broker, api_host=host, api_port=port)
    uvicorn.run(create_server_app(s), host=s.api_host, port=s.api_port, log_level="warning")


def process_age() -> float:
    """Seconds since this process started (interpreter start and imports included), from ``/proc``; 0 where there
    is none."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))


def fresh_store(s: Settings) -> str:
    """Start the embedded default with a fresh store, as the memory-only broker starts empty: the default SQLite
    store of an earlier run moves to ``<data dir>/previous/``. A store set by ``WIREFEED_STORE_URL`` is kept.
    Returns what happened, for the start-up summary."""
    if s.store_url:
        from pipeline.sinks.store import open_store

        async def count() -> int:
            db = await open_store(s.resolved_store_url)
            try:
                return await db.count_stories()
            finally:
                await db.close()

        kept = asyncio.run(count())
        return f"kept: {kept} stories from earlier runs (WIREFEED_STORE_URL); the embedded broker starts empty"
    db = s.data_dir / "wirefeed.sqlite3"
    if not db.exists():
        return "new"
    previous = s.data_dir / "previous"
    previous.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        src = db.with_name(db.name + suffix)
        if src.exists():
            src.replace(previous / src.name)
    return f"new, as the embedded broker starts empty; the last run's store moved to {previous.resolve()}/"


@app.command()
def run(
    broker: BrokerOpt = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (env WIREFEED_DATA_DIR)")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    ready_timeout: Annotated[float, typer.Option(help="Seconds to wait for the workers before saying so")] = 60.0,
) -> None:
    """Run the whole pipeline until Ctrl-C or SIGTERM. With no broker configured, start the embedded broker."""
    from pipeline.broker.admin import ensure_topics
    from pipeline.broker.embedded import EmbeddedBroker, die_with_parent, free_port
    from pipeline.config import embedded_worker_env
    from pipeline.readiness import pipeline_ready, ready_dir
    from pipeline.topics import RAW, topic_name

    started = time.monotonic() - process_age()  # "ready in" counts from the command, its imports included
    s = settings_with(broker, data_dir=data_dir)
    s.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(ready_dir(s.data_dir), ignore_errors=True)
    embedded: EmbeddedBroker | None = None
    store_note = ""
    env = dict(os.environ)
    if not s.broker:
        store_note = fresh_store(s)
        embedded = EmbeddedBroker(log_path=s.data_dir / "broker.log").start()
        s = s.model_copy(update={"broker": embedded.bootstrap})
        env.update(embedded_worker_env(os.environ))
    children: list[subprocess.Popen[bytes]] = []
    address_file = s.data_dir / "broker"
    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    try:
        asyncio.run(ensure_topics(s))
        address_file.write_text(f"{s.broker}\n")  # for `export WIREFEED_BROKER=$(cat var/broker)`
        env.update({"WIREFEED_BROKER": s.broker or "", "WIREFEED_DATA_DIR": str(s.data_dir.resolve())})
        for i in range(workers):
            log = open(s.data_dir / f"worker-{i}.log", "ab")
            children.append(subprocess.Popen(
                [sys.executable, "-m", "pipeline", "worker", "--web-port", str(free_port())],
                env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
            ))
        server_log = open(s.data_dir / "server.log", "ab")
        children.append(subprocess.Popen(
            [sys.executable, "-m", "pipeline", "serve", "--port", str(s.api_port), "--host", s.api_host],
            env=env, stdout=server_log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
        ))
        api = f"http://{s.api_host}:{s.api_port}"
        out.print(f"[bold green]wirefeed is starting[/] ({workers} worker{'s' if workers > 1 else ''})")
        out.print(f"  broker     {s.broker}" + ("  (embedded, memory-only)" if embedded else "")
                  + f"  (also in {address_file.resolve()})")
        out.print(f"  store      {s.resolved_store_url}" + (f"  ({store_note})" if store_note else ""))
        if embedded and s.producer_idempotence is None:
            out.print("  producers  without idempotence (the embedded broker cannot issue producer ids; "
                      "acks=all still holds)")
        out.print(f"  logs       {s.data_dir.resolve()}/worker-*.log, server.log, broker.log")
        out.print(f"  http       {api}/docs (API)  ·  {api}/ops (operators)  ·  {api}/metrics")
        out.print("  keys       wirefeed agency add NAME [--role reader|operator]  (every HTTP route but "
                  "/healthz needs one)")
        out.print(f"  publish    wirefeed publish --broker {s.broker} --agency TCA FILE")
        out.print(f"  read       wirefeed stories --country KG   ·   wirefeed tail --broker {s.broker} "
                  "wire.notifications --from-beginning")
        out.print("Ctrl-C (or SIGTERM) stops everything.")
        raw = topic_name(RAW, s.topic_prefix)
        pids = [child.pid for child in children[:workers]]
        # From here Ctrl-C ends the loop below as SIGTERM does, then the clean-up runs whole: also when a second
        # Ctrl-C follows, and when the shell started this command with SIGINT ignored (a script's `&`).
        signal.signal(signal.SIGINT, lambda *_: stop.update(flag=True))
        ready = warned = False
        while not stop["flag"]:
            for child in children:
                if child.poll() is not None:
                    err.print(f"[red]a pipeline process exited with code {child.returncode}[/]; "
                              f"see the logs in {s.data_dir}")
                    raise typer.Exit(1)
            if not ready and pipeline_ready(s.data_dir, pids, raw, s.partitions):
                ready = True
                out.print(f"[bold green]pipeline ready[/] in {time.monotonic() - started:.1f} s: "
                          f"{workers} worker{'s' if workers > 1 else ''} joined, partitions assigned")
            elif not ready and not warned and time.monotonic() - started > ready_timeout:
                warned = True
                err.print(f"[yellow]the workers are not ready after {ready_timeout:.0f} s[/]; "
                          f"see {s.data_dir.resolve()}/worker-*.log")
            time.sleep(0.05 if not ready else 0.5)
    except KeyboardInterrupt:
        pass
    finally:
        # A Ctrl-C during the clean-up must not cut it short (it left the embedded broker running).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded:
            embedded.stop()
        address_file.unlink(missing_ok=True)
        err.print("stopped")


def main() -> None:
    app()



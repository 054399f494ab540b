"""`wirefeed agency add|list|revoke`: manage API keys in the store (agency, reader and operator keys).

Mounted by the main CLI: ``app.add_typer(agency_app, name="agency")``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from pipeline.config import Settings
from pipeline.console import console
from pipeline.ingest.keys import ROLES, generate_key, role_of

agency_app = typer.Typer(
    help="API keys (agency, reader, operator): create (shown once), list, revoke.", no_args_is_help=True
)
out = console()
err = console(stderr=True)

T = TypeVar("T")
StoreOpt = Annotated[str | None, typer.Option("--store-url", help="Store URL (env WIREFEED_STORE_URL)")]


def _with_store(store_url: str | None, action: Callable[[Any], Awaitable[T]]) -> T:
    from pipeline.sinks.store.interface import open_store

    settings = Settings()
    url = store_url or settings.resolved_store_url
    if url.startswith("sqlite:///"):
        # The default SQLite file lives in the data dir, which may not exist yet.
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    async def run() -> T:
        store = await open_store(url)
        try:
            return await action(store)
        finally:
            await store.close()

    return asyncio.run(run())


@agency_app.command("add")
def add(
    name: Annotated[
        str, typer.Argument(help="Agency name, as stories will be stored under it (e.g. TCA); for a reader or "
                            "operator key, the name of who holds it")
    ],
    role: Annotated[
        str, typer.Option(help=f"What the key may do: {', '.join(ROLES)} (see docs/guarantees.md)")
    ] = "agency",
    store_url: StoreOpt = None,
) -> None:
    """Create an API key for NAME and print it once. Only its hash (and role) is stored."""
    name = name.strip()
    if not name or len(name) > 100:
        err.print("[red]agency name must be 1-100 characters[/]")
        raise typer.Exit(2)
    chosen = next((r for r in ROLES if r == role), None)
    if chosen is None:
        err.print(f"[red]unknown role {role!r}[/]: choose one of {', '.join(ROLES)}")
        raise typer.Exit(2)
    key = generate_key(chosen)
    _with_store(store_url, lambda store: store.add_agency_key(name, key.key_id, key.key_hash))
    err.print(
        f"{chosen} API key for [bold]{name}[/] (key id {key.key_id}). It is shown only now; store it safely:"
    )
    print(key.token)


@agency_app.command("list")
def list_(store_url: StoreOpt = None) -> None:
    """Every key: name, role, key id, created, revoked."""
    keys = _with_store(store_url, lambda store: store.list_agencies())
    table = Table("name", "role", "key id", "created", "status")
    for k in keys:
        status = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
        table.add_row(k.agency, role_of(k.key_hash) or "unknown", k.key_id, f"{k.created_at:%Y-%m-%d %H:%M}", status)
    if keys:
        out.print(table)
    else:
        err.print("no agency keys; create one with: wirefeed agency add NAME")


@agency_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="Agency whose keys to revoke")],
    store_url: StoreOpt = None,
) -> None:
    """Revoke every active key of NAME (whatever its role): its requests then get 403."""
    count = _with_store(store_url, lambda store: store.revoke_agency(name))
    if not count:
        err.print(f"[yellow]no active key for {name}[/]")
        raise typer.Exit(1)
    out.print(f"revoked {count} key(s) of {name}")

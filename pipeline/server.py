"""The HTTP server of a deployment: ingest gateway, read API and operator pages in one FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from pipeline.api.read import read_router
from pipeline.config import Settings
from pipeline.ingest.gateway import Gateway, ingest_router
from pipeline.ops.lag import LagMonitor
from pipeline.ops.web import ops_router
from pipeline.sinks.store import Store, open_store


def create_server_app(settings: Settings) -> FastAPI:
    """Gateway (`/v1/stories`), read API (`/stories`, `/clusters`), operator pages (`/ops`, `/metrics`)."""
    gateway = Gateway(settings)
    monitor = LagMonitor(settings) if settings.broker else None
    holder: dict[str, Store] = {}

    def get_store() -> Store:
        return holder["store"]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        holder["store"] = await open_store(settings.resolved_store_url)
        await gateway.start()
        sampler = None
        if monitor is not None:
            await monitor.start()
            sampler = asyncio.create_task(monitor.run(interval_s=2.0))
        try:
            yield
        finally:
            if sampler is not None:
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
            if monitor is not None:
                await monitor.close()
            await gateway.stop()
            await holder["store"].close()

    app = FastAPI(
        title="wirefeed",
        version="1",
        description="Agencies submit stories (`/v1/stories`, API key); downstream services read them "
        "(`/stories`, `/clusters`); operators watch lag and health (`/ops`, `/metrics`).",
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    app.include_router(ingest_router(gateway))
    app.include_router(read_router(get_store))
    app.include_router(ops_router(monitor))
    return app

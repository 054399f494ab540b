"""The HTTP server of a deployment: ingest gateway, read API and operator pages in one FastAPI app.

Every route but ``/healthz`` and ``/readyz`` needs an API key whose role allows it (see
:mod:`pipeline.api.auth`). With ``api_metrics_port`` set, ``/metrics`` is also served without a key on that
port (bind it to an address only the metrics scraper reaches).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from prometheus_client import start_http_server

from pipeline.api.read import read_router
from pipeline.config import Settings
from pipeline.ingest.app import keyed_app
from pipeline.ingest.service import Gateway
from pipeline.ops import metrics
from pipeline.ops.lag import LagMonitor
from pipeline.ops.web import ops_router
from pipeline.sinks.store import Store, open_store

log = logging.getLogger("wirefeed.server")


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
        metrics_server = None
        if settings.api_metrics_port:
            metrics_server, _thread = start_http_server(
                settings.api_metrics_port, addr=settings.api_metrics_host, registry=metrics.REGISTRY
            )
            log.info("keyless /metrics on %s:%d", settings.api_metrics_host, settings.api_metrics_port)
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
            if metrics_server is not None:
                metrics_server.shutdown()
            await gateway.stop()
            await holder["store"].close()

    return keyed_app(
        gateway,
        read_router(get_store, gateway.auth),
        ops_router(monitor, gateway.auth),
        title="wirefeed",
        description="Agencies submit stories (`/v1/stories`, agency key); downstream services read them "
        "(`/stories`, `/clusters`, reader key); operators watch lag and health (`/ops`, `/metrics`, operator key).",
        lifespan=lifespan,
    )

"""The stand-alone gateway app, its access-log middleware, and a helper that serves an app in the background.

:func:`create_gateway_app` builds a FastAPI app serving only the gateway (the deployment's app, with the read
API and operator pages as well, is :func:`pipeline.server.create_server_app`). Both install the same exception
handlers and :class:`AccessLog`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.api.auth import KeyLookup, session_router
from pipeline.api.docs import docs_router
from pipeline.api.errors import install_error_handlers
from pipeline.config import Settings
from pipeline.ingest.publisher import RawPublisher
from pipeline.ingest.routes import ingest_router
from pipeline.ingest.service import Gateway
from pipeline.ops.metrics import gateway_request

log = logging.getLogger("wirefeed.ingest")


class AccessLog:
    """ASGI middleware: log and count (``wirefeed_gateway_requests``) every ``/v1/`` request with its agency,
    submission id, status and duration. The routes put the agency and submission id in ``request.state``."""

    def __init__(self, app: ASGIApp, prefix: str = "/v1/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            state: dict[str, Any] = scope.get("state") or {}
            agency = state.get("agency") or "-"
            seconds = time.perf_counter() - started
            gateway_request(agency, status["code"], seconds)
            log.info(
                "%s %s agency=%s submission_id=%s status=%d ms=%.1f",
                scope["method"],
                scope["path"],
                agency,
                state.get("submission_id") or "-",
                status["code"],
                seconds * 1000,
            )


def create_gateway_app(
    settings: Settings,
    keys: KeyLookup | None = None,
    *,
    publisher_factory: Callable[[], RawPublisher] | None = None,
) -> FastAPI:
    """A FastAPI app serving only the gateway. Without ``keys`` it opens the store of the settings.

    ``/openapi.json`` and ``/docs`` need a key, as every route but ``/healthz`` and ``/readyz`` does.
    """
    gateway = Gateway(settings, keys, publisher_factory=publisher_factory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.stop()

    return keyed_app(
        gateway,
        title="wirefeed ingest gateway",
        description="Agencies submit stories with their API key. See docs/ingest.md.",
        lifespan=lifespan,
    )


def keyed_app(
    gateway: Gateway,
    *routers: APIRouter,
    title: str,
    description: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
) -> FastAPI:
    """An app around ``gateway``: its routes and ``routers``, the exception handlers, the access log, the login
    form, and ``/openapi.json`` and ``/docs`` behind a key (FastAPI's public ones are off)."""
    app = FastAPI(
        title=title,
        version="1",
        description=description,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.gateway = gateway
    install_error_handlers(app)
    app.add_middleware(AccessLog)
    app.include_router(ingest_router(gateway))
    for router in routers:
        app.include_router(router)
    app.include_router(session_router(gateway.auth))
    app.include_router(docs_router(app, gateway.auth))
    return app


@dataclass(slots=True)
class RunningServer:
    server: uvicorn.Server
    task: asyncio.Task[None]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


async def serve_in_background(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Run ``app`` under uvicorn in this event loop on ``host:port`` (0: a free port); return once it listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            await task
            raise RuntimeError("the gateway server stopped while starting")
        await asyncio.sleep(0.01)
    return RunningServer(server, task, int(sock.getsockname()[1]))

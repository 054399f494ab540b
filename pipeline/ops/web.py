"""Operator HTTP endpoints: Prometheus ``/metrics``, the live operator page and its JSON / SSE feed.

The server includes :func:`ops_router`; every route but the static assets needs an operator key (the page
shows a login form when the browser has no operator session, see :mod:`pipeline.api.auth`). The page
(``static/ops.html``) is plain HTML + JS with uPlot vendored
beside it: nothing to build. Snapshots are sampled on demand and shared between callers (at most one broker
round per ``interval_s``), so no background task is needed; run :meth:`LagMonitor.run` as well to keep the
status window filled while nobody is looking.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pipeline.api.auth import OPERATORS, Authenticator, page_principal, role_guard
from pipeline.api.errors import incident
from pipeline.ops import metrics
from pipeline.ops.lag import LagMonitor

STATIC = Path(__file__).resolve().parent / "static"
_ASSETS: dict[str, str] = {
    "ops.js": "text/javascript; charset=utf-8",
    "vendor/uPlot.iife.min.js": "text/javascript; charset=utf-8",
    "vendor/uPlot.min.css": "text/css; charset=utf-8",
}


def ops_router(monitor: LagMonitor | None, auth: Authenticator, interval_s: float = 2.0) -> APIRouter:
    """Routes ``/metrics``, ``/ops``, ``/ops/static/*``, ``/ops/api/snapshot``, ``/ops/api/history``,
    ``/ops/api/stream``. Without a monitor the page and metrics still work; the lag APIs answer 503."""
    router = APIRouter()
    operator = [Depends(role_guard(auth, OPERATORS))]

    async def refresh() -> None:
        if monitor is not None:
            try:
                await monitor.fresh(interval_s)
            except Exception:  # broker down: /metrics still answers, the error counter says why
                return

    @router.get("/metrics", include_in_schema=False, dependencies=operator)
    async def prometheus_metrics() -> Response:
        await refresh()
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @router.get("/ops", response_class=HTMLResponse, include_in_schema=False)
    async def ops_page(request: Request) -> Response:
        principal = await page_principal(auth, request, OPERATORS)
        if isinstance(principal, Response):
            return principal
        return FileResponse(STATIC / "ops.html", media_type="text/html; charset=utf-8")

    @router.get("/ops/static/{asset:path}", include_in_schema=False)
    async def ops_asset(asset: str) -> FileResponse:
        media = _ASSETS.get(asset)
        if media is None:
            raise HTTPException(404)
        return FileResponse(STATIC / asset, media_type=media)

    def need_monitor() -> LagMonitor:
        if monitor is None:
            raise HTTPException(503, "no lag monitor configured (no broker)")
        return monitor

    @router.get("/ops/api/snapshot", dependencies=operator)
    async def ops_snapshot() -> Response:
        mon = need_monitor()
        try:
            snap = await mon.fresh(interval_s)
        except Exception as exc:
            ident = incident("lag sample failed", exc)
            raise HTTPException(503, f"lag sample failed: {type(exc).__name__} (incident {ident})") from exc
        return Response(snap.model_dump_json(), media_type="application/json")

    @router.get("/ops/api/history", dependencies=operator)
    async def ops_history() -> Response:
        return Response(orjson.dumps(need_monitor().timeline()), media_type="application/json")

    @router.get("/ops/api/stream", dependencies=operator)
    async def ops_stream() -> StreamingResponse:
        mon = need_monitor()

        async def events() -> AsyncIterator[bytes]:
            yield b"retry: 3000\n\n"
            while True:
                try:
                    snap = await mon.fresh(interval_s / 2)
                    yield b"event: snapshot\ndata: " + snap.model_dump_json().encode() + b"\n\n"
                except Exception as exc:
                    # The exception's kind only: its text (hosts, driver detail) is the lag monitor's to log.
                    failure = {"error": type(exc).__name__}
                    yield b"event: failure\ndata: " + orjson.dumps(failure) + b"\n\n"
                await asyncio.sleep(interval_s)

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )

    return router

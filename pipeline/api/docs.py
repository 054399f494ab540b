"""``/openapi.json`` and ``/docs`` for callers with a key (any role), instead of FastAPI's public ones.

Build the app with ``openapi_url=None, docs_url=None, redoc_url=None`` and include :func:`docs_router`. A
browser without a session gets the login form on ``/docs``; after it, the page loads the description with the
session cookie.
"""

# No `from __future__ import annotations`: FastAPI resolves the local dependency aliases at runtime.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response

from pipeline.api.auth import ANY_ROLE, Authenticator, Principal, page_principal, role_guard


def docs_router(app: FastAPI, auth: Authenticator) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    any_key = role_guard(auth, ANY_ROLE)
    cache: dict[str, dict[str, Any]] = {}

    @router.get("/openapi.json")
    async def openapi(_principal: Annotated[Principal, Depends(any_key)]) -> JSONResponse:
        if "schema" not in cache:
            cache["schema"] = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
        return JSONResponse(cache["schema"])

    @router.get("/docs")
    async def docs(request: Request) -> Response:
        principal = await page_principal(auth, request, ANY_ROLE)
        if isinstance(principal, Response):
            return principal
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} · API")

    return router

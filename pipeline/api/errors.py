"""Errors of the HTTP API and the app-wide exception handlers that turn them into JSON.

Every refusal is an :class:`ApiError` (an ``HTTPException``, so a router included in a bare app still answers
with its status); :func:`install_error_handlers` renders it as :class:`ErrorResponse`. An unexpected exception
gets a 500 whose body names no exception, driver or record: the text goes to the log with an incident id that
the body repeats.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from pipeline.ingest.models import ErrorDetail, ErrorResponse

log = logging.getLogger("wirefeed.api")


class ApiError(HTTPException):
    """A refusal with a stable ``code`` and a message for a human; ``retryable`` for 429 and 503."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message, headers)
        self.status = status
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    @property
    def detail_model(self) -> ErrorDetail:
        return ErrorDetail(
            status=self.status, code=self.code, message=self.message, retryable=self.status in (429, 503)
        )


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse(
        ErrorResponse(error=exc.detail_model).model_dump(mode="json"),
        status_code=exc.status,
        headers=exc.headers or None,
    )


def incident(message: str, exc: BaseException) -> str:
    """Log ``exc`` in full under a new incident id and return the id (a body may show the id, never the text)."""
    ident = uuid.uuid4().hex[:12]
    log.error("%s [incident %s]: %s: %s", message, ident, type(exc).__name__, exc, exc_info=exc)
    return ident


def install_error_handlers(app: FastAPI) -> None:
    """ApiError → ErrorResponse JSON; request validation → 422 ErrorResponse; anything else → a bare 500."""

    async def on_api_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        # Field locations and messages only: the rejected input is not echoed back.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()[:10]
        )
        return error_response(ApiError(422, "invalid_request", problems or "the request is not valid"))

    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        ident = incident("unhandled error", exc)
        return error_response(ApiError(500, "internal_error", f"internal error; the server log has incident {ident}"))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_unexpected)

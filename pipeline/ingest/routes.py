"""HTTP routes of the ingest gateway: ``POST /v1/stories``, ``POST /v1/stories:batch``, ``GET /v1/rejections``,
``GET /healthz``, ``GET /readyz``.

``POST /v1/stories`` answers 202 with the submission id only after Kafka acknowledged the write (acks=all,
idempotent producer); every refusal is a JSON :class:`ErrorResponse` (rendered by the app's exception handlers,
:func:`pipeline.api.errors.install_error_handlers`). The agency is the one of the API key, never one named in
the body. Include :func:`ingest_router` in an app that runs :meth:`Gateway.start` / :meth:`Gateway.stop` in
its lifespan (:mod:`pipeline.ingest.app` does).
"""

# No `from __future__ import annotations`: FastAPI resolves the local dependency aliases at runtime.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from pipeline.api.auth import Principal, role_guard
from pipeline.api.errors import ApiError, incident
from pipeline.ingest.claims import MEDIA_TYPES
from pipeline.ingest.models import Accepted, BatchRequest, BatchResponse, ErrorResponse
from pipeline.ingest.service import Gateway, batch_items_limit, batch_limit, payload_limit, run_batch
from pipeline.sinks.store.interface import StoreUnavailableError
from schemas import Rejection
from schemas.rejection import ReasonCode, Stage


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _err("Malformed: empty body, undecodable text, invalid JSON or XML, bad Idempotency-Key"),
    401: _err("No API key, or the key is unknown or wrong"),
    403: _err("The key was revoked or is not an agency key, or (spoof policy 'refuse') the story names another agency"),
    409: _err("The Idempotency-Key was used before with a different body"),
    413: _err("Body larger than the limit (the broker's message size, envelope included), or more stories in one "
              "batch than the rate-limit burst"),
    415: _err("Content type missing or not supported"),
    422: _err("Batch request body does not match the BatchRequest schema"),
    429: _err("Rate limit of the agency exceeded; see Retry-After"),
    503: _err("Kafka did not acknowledge the write (broker unavailable); nothing was written, retry safely"),
}

_STORY_BODY = {
    "requestBody": {
        "required": True,
        "description": "The story, exactly as the agency's feed carries it.",
        "content": {mt: {"schema": {"type": "string", "format": "binary"}} for mt in MEDIA_TYPES},
    }
}


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """JSON Schema of ``model`` with its one nested model inlined (for a hand-written OpenAPI request body)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})
    for prop in schema.get("properties", {}).values():
        ref = prop.get("items", {}).get("$ref", "")
        if ref.startswith("#/$defs/"):
            prop["items"] = defs[ref.removeprefix("#/$defs/")]
    return schema


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too_large", f"{declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"more than {limit} bytes; the limit is {limit}")
        chunks.append(chunk)
    return b"".join(chunks)


def _validation_summary(exc: ValidationError) -> str:
    """Where the body is wrong and why, without echoing its content."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:10])


def ingest_router(gateway: Gateway) -> APIRouter:
    """The gateway's routes; ``/v1/*`` record the caller in ``request.state`` for the access log and metrics."""
    router = APIRouter()
    settings = gateway.settings
    agency_key = role_guard(gateway.auth, ("agency",))
    rejection_reader = role_guard(gateway.auth, ("agency", "operator"))

    async def submitting_agency(request: Request, principal: Annotated[Principal, Depends(agency_key)]) -> str:
        return principal.name

    Agency = Annotated[str, Depends(submitting_agency)]

    @router.post(
        "/v1/stories",
        status_code=202,
        response_model=Accepted,
        responses=ERROR_RESPONSES,
        openapi_extra=_STORY_BODY,
        summary="Submit one story",
        tags=["ingest"],
    )
    async def post_story(
        request: Request,
        agency: Agency,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                description="Repeat it on retries: the story is then written once (see docs/ingest.md)",
            ),
        ] = None,
    ) -> JSONResponse:
        """Write one story to `wire.raw`. 202 means Kafka acknowledged it (acks=all)."""
        gateway.check_rate(agency)
        content_type = request.headers.get("content-type")
        gateway.media_type(content_type)
        payload = await read_body(request, payload_limit(settings))
        prepared = gateway.prepare(agency, payload, content_type, idempotency_key)
        accepted = await gateway.publish(prepared)
        request.state.submission_id = accepted.submission_id
        return JSONResponse(accepted.model_dump(mode="json"), status_code=202)

    @router.post(
        "/v1/stories:batch",
        response_model=BatchResponse,
        responses=ERROR_RESPONSES,
        summary="Submit many stories",
        tags=["ingest"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _inline_schema(BatchRequest)}},
            }
        },
    )
    async def post_batch(request: Request, agency: Agency) -> BatchResponse:
        """Write many stories; each item gets the status a single POST would have got.

        The request as a whole fails only for authentication (401/403), rate limit (429, the batch costs one
        token per item), size (413: body too large, or more items than the rate-limit burst) or a body that is
        not a BatchRequest (422).
        """
        body = await read_body(request, batch_limit(settings))
        try:
            batch = BatchRequest.model_validate_json(body)
        except ValidationError as exc:
            raise ApiError(422, "bad_batch", f"body is not a BatchRequest: {_validation_summary(exc)}") from exc
        most = batch_items_limit(settings)
        if len(batch.items) > most:
            raise ApiError(
                413,
                "too_many_items",
                f"{len(batch.items)} items; at most {most} stories in one batch (the item limit and the rate-limit "
                "burst): split the batch",
            )
        gateway.check_rate(agency, cost=len(batch.items))
        return await run_batch(gateway, agency, batch)

    @router.get(
        "/v1/rejections",
        response_model=list[Rejection],
        responses={401: ERROR_RESPONSES[401], 403: ERROR_RESPONSES[403]},
        summary="Recent rejections: an agency key sees its own only, an operator key every agency's",
        tags=["ingest"],
    )
    async def list_rejections(
        principal: Annotated[Principal, Depends(rejection_reader)],
        stage: Annotated[Stage | None, Query(description="Only rejections of this stage")] = None,
        reason: Annotated[ReasonCode | None, Query(description="Only rejections with this reason")] = None,
        agency: Annotated[str | None, Query(description="Operator keys only: rejections of this agency")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> list[Rejection]:
        if principal.role == "agency":
            if agency is not None and agency != principal.name:
                raise ApiError(403, "forbidden", "an agency key sees its own rejections only")
            agency = principal.name
        store: Any = gateway.auth.keys
        try:
            found: list[Rejection] = await store.list_rejections(stage=stage, reason=reason, agency=agency, limit=limit)
        except StoreUnavailableError as exc:
            ident = incident("rejections not read", exc)
            raise ApiError(
                503,
                "store_unavailable",
                f"the store did not answer; retry later (incident {ident})",
                {"Retry-After": "5"},
            ) from exc
        return found

    @router.get("/healthz", tags=["ops"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        tags=["ops"],
        summary="Ready to accept stories: the broker is reachable",
        responses={503: {"description": "Kafka is not reachable"}},
    )
    async def readyz() -> JSONResponse:
        ok = await gateway.ready()
        return JSONResponse({"status": "ready" if ok else "broker_unavailable"}, status_code=200 if ok else 503)

    return router

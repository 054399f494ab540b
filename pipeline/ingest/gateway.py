"""The authenticated ingest gateway: agencies POST stories, the gateway writes them to `wire.raw`.

``POST /v1/stories`` answers 202 with the submission id only after Kafka acknowledged the write (acks=all,
idempotent producer); every refusal is a JSON :class:`ErrorResponse`. ``POST /v1/stories:batch`` takes many
stories with a per-item result. The agency is the one of the API key, never one named in the body.

Assembly: :func:`ingest_router` gives the routes of a :class:`Gateway` (include it next to other routers and
run :meth:`Gateway.start` / :meth:`Gateway.stop` in the app's lifespan); :func:`create_gateway_app` builds a
stand-alone FastAPI app that does both.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import math
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Protocol

import uvicorn
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from pipeline.config import Settings
from pipeline.ingest.claims import MEDIA_TYPES, MediaType, inspect_payload, parse_media_type, same_agency
from pipeline.ingest.idempotency import (
    IdempotencyMemory,
    derive_submission_id,
    fingerprint,
    valid_idempotency_key,
)
from pipeline.ingest.keys import parse_key, verify_secret
from pipeline.ingest.models import (
    Accepted,
    BatchItem,
    BatchItemResult,
    BatchRequest,
    BatchResponse,
    ErrorDetail,
    ErrorResponse,
)
from pipeline.ingest.publisher import PublishError, RawPublisher, new_submission_id
from pipeline.ingest.ratelimit import RateLimiter
from pipeline.kafka import client_kwargs
from pipeline.ops.metrics import gateway_request
from pipeline.stages.errors import StageError
from pipeline.topics import RAW, topic_name
from schemas import RawSubmission, utcnow

log = logging.getLogger("wirefeed.ingest")

#: Seconds between two attempts to (re)start the Kafka producer while the broker is unreachable.
RESTART_BACKOFF = 2.0
#: Seconds a broker probe result is reused; and the probe's own timeout.
PROBE_INTERVAL = 1.0
PROBE_TIMEOUT_MS = 3000


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    @property
    def detail(self) -> ErrorDetail:
        return ErrorDetail(
            status=self.status, code=self.code, message=self.message, retryable=self.status in (429, 503)
        )


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _err("Malformed: empty body, undecodable text, invalid JSON or XML, bad Idempotency-Key"),
    401: _err("No API key, or the key is unknown or wrong"),
    403: _err("The API key was revoked, or (spoof policy 'refuse') the story names another agency"),
    409: _err("The Idempotency-Key was used before with a different body"),
    413: _err("Body larger than the configured limit"),
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


api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKey", description="Agency API key `wf_<key_id>_<secret>`"
)
bearer = HTTPBearer(auto_error=False, scheme_name="Bearer", description="The same API key as a bearer token")


# --- collaborators ------------------------------------------------------------------------------------------
class AgencyKeyRecord(Protocol):
    agency: str
    key_hash: str
    revoked_at: datetime | None


class KeyLookup(Protocol):
    """What the gateway needs from the store."""

    async def find_agency_key(self, key_id: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class _Prepared:
    raw: RawSubmission
    idempotency_key: str | None
    fingerprint: str
    accepted: Accepted


class Gateway:
    """State and logic behind the routes: keys, rate limits, idempotency memory, the Kafka publisher."""

    def __init__(
        self,
        settings: Settings,
        keys: KeyLookup | None = None,
        *,
        publisher_factory: Callable[[], RawPublisher] | None = None,
        idempotency: IdempotencyMemory | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.keys = keys
        self._store: Any = None
        self._publisher_factory = publisher_factory or (
            lambda: RawPublisher(settings, request_timeout_ms=settings.gateway_publish_timeout_ms)
        )
        self.publisher: RawPublisher | None = None
        self.limiter = RateLimiter(settings.gateway_rate_per_second, settings.gateway_rate_burst)
        self.idempotency = idempotency or IdempotencyMemory()
        self.clock = clock
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._key_cache: dict[str, tuple[float, Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._start_lock = asyncio.Lock()
        self._next_start = 0.0
        self._probe_lock = asyncio.Lock()
        self._probe_result: tuple[float, bool] = (-math.inf, False)
        #: Set when a write was not acknowledged in time: new writes wait for a successful broker probe.
        self._degraded = False

    @property
    def publish_timeout(self) -> float:
        return self.settings.gateway_publish_timeout_ms / 1000

    # lifecycle
    async def start(self) -> None:
        """Open the key store if none was given, and start the producer.

        A broker that is down now does not stop the gateway: it answers 503 and retries on later requests.
        """
        if self.keys is None:
            from pipeline.sinks.store.interface import open_store

            self._store = self.keys = await open_store(self.settings.resolved_store_url)
        await self._ensure_publisher()

    async def stop(self) -> None:
        if self.publisher is not None:
            try:
                # The producer flushes what it holds; with the broker down that would never end.
                await asyncio.wait_for(self.publisher.stop(), timeout=max(5.0, self.publish_timeout))
            except TimeoutError:
                log.warning("stopped with %d unacknowledged submissions (each got a 503)", len(self._tasks))
            self.publisher = None
        if self._store is not None:
            await self._store.close()
            self._store = self.keys = None

    async def _ensure_publisher(self) -> RawPublisher | None:
        if self.publisher is not None:
            return self.publisher
        async with self._start_lock:
            if self.publisher is None and self.clock() >= self._next_start:
                candidate = self._publisher_factory()
                try:
                    await candidate.start()
                except PublishError as exc:
                    self._next_start = self.clock() + RESTART_BACKOFF
                    log.warning("Kafka producer not started: %s", exc)
                    return None
                self.publisher = candidate
        return self.publisher

    async def ready(self) -> bool:
        """The producer runs and a broker answered a metadata request for `wire.raw` just now."""
        publisher = await self._ensure_publisher()
        return publisher is not None and await self._probe()

    async def _probe(self) -> bool:
        """Ask the cluster for `wire.raw` metadata with a fresh connection (cached for PROBE_INTERVAL).

        The producer's own metadata is cached and would say 'ready' while the broker is down.
        """
        async with self._probe_lock:
            at, ok = self._probe_result
            if self.clock() - at < PROBE_INTERVAL:
                return ok
            ok = await _broker_answers(self.settings)
            self._probe_result = (self.clock(), ok)
            if ok:
                self._degraded = False
            return ok

    # authentication
    async def authenticate(self, token: str | None) -> str:
        if not token:
            raise ApiError(401, "missing_api_key", "send the agency API key in X-API-Key or Authorization: Bearer")
        parsed = parse_key(token.strip())
        if parsed is None:
            raise ApiError(401, "invalid_api_key", "the API key is not a wirefeed key")
        if self.keys is None:
            raise RuntimeError("Gateway.start() was not awaited: no key store")
        record = await self._find_key(parsed.key_id)
        if record is None or not verify_secret(parsed.secret, record.key_hash):
            raise ApiError(401, "invalid_api_key", "unknown API key")
        if record.revoked_at is not None:
            raise ApiError(403, "revoked_api_key", f"this API key was revoked at {record.revoked_at.isoformat()}")
        return str(record.agency)

    async def _find_key(self, key_id: str) -> Any:
        """The store's record of a key, reused for ``gateway_key_cache_seconds`` (a revocation waits that long)."""
        ttl = self.settings.gateway_key_cache_seconds
        now = self.clock()
        cached = self._key_cache.get(key_id)
        if cached is not None and now - cached[0] < ttl:
            return cached[1]
        assert self.keys is not None
        record = await self.keys.find_agency_key(key_id)
        if ttl > 0 and record is not None:
            if len(self._key_cache) >= 10_000:
                self._key_cache.clear()
            self._key_cache[key_id] = (now, record)
        return record

    def check_rate(self, agency: str, cost: int = 1) -> None:
        decision = self.limiter.check(agency, self.clock(), cost)
        if not decision.allowed:
            wait = max(1, int(decision.retry_after + 0.999))
            raise ApiError(
                429,
                "rate_limited",
                f"agency {agency} is over {self.settings.gateway_rate_per_second:g} stories/s; retry in {wait}s",
                {"Retry-After": str(wait)},
            )

    # one story
    @staticmethod
    def media_type(content_type: str | None) -> MediaType:
        media = parse_media_type(content_type)
        if media is None:
            supported = ", ".join(MEDIA_TYPES)
            raise ApiError(415, "unsupported_media_type", f"content type {content_type!r}; supported: {supported}")
        return media

    def prepare(self, agency: str, payload: bytes, content_type: str | None, idempotency_key: str | None) -> _Prepared:
        """Validate one story and build its envelope (no I/O). Raises ApiError."""
        media = self.media_type(content_type)
        if len(payload) > self.settings.max_payload_bytes:
            raise ApiError(413, "too_large", f"{len(payload)} bytes; the limit is {self.settings.max_payload_bytes}")
        if idempotency_key is not None and not valid_idempotency_key(idempotency_key):
            raise ApiError(400, "bad_idempotency_key", "Idempotency-Key must be 1-200 visible ASCII characters")
        try:
            claimed = inspect_payload(payload, media)
        except StageError as exc:
            raise ApiError(400, exc.reason, exc.message) from exc
        spoofed = claimed is not None and not same_agency(claimed, agency)
        if spoofed and self.settings.spoof_policy == "refuse":
            raise ApiError(
                403, "agency_mismatch", f"the story names agency {claimed!r} but the API key is {agency!r}'s"
            )
        submission_id = (
            derive_submission_id(agency, idempotency_key) if idempotency_key is not None else new_submission_id()
        )
        raw = RawSubmission(
            submission_id=submission_id,
            agency=agency,
            format_hint=media.format_hint,
            content_type=content_type,
            received_at=utcnow(),
            claimed_agency=claimed if spoofed else None,
            payload=payload,
        )
        accepted = Accepted(
            submission_id=submission_id,
            agency=agency,
            format_hint=media.format_hint,
            flagged=spoofed,
            claimed_agency=claimed if spoofed else None,
        )
        return _Prepared(raw, idempotency_key, fingerprint(content_type, payload), accepted)

    async def publish(self, item: _Prepared) -> Accepted:
        """Write one prepared story; return once Kafka acknowledged it. Raises ApiError (409, 503).

        With an Idempotency-Key, a retry while the first write is still in the producer (its request got a 503)
        waits for that same write instead of writing again, and a retry after it was acknowledged is answered
        from the idempotency memory.
        """
        key = item.idempotency_key
        if key is None:
            await self._check_broker()
            await self._await_write(await self._start_write(item.raw))
            return item.accepted
        agency = item.raw.agency
        seen = self.idempotency.get(agency, key, self.clock())
        if seen is not None:
            _same_body(seen.fingerprint, item.fingerprint)
            return item.accepted.model_copy(update={"submission_id": seen.submission_id, "replayed": True})
        pending = self._pending.get((agency, key))
        if pending is not None:
            _same_body(pending.fingerprint, item.fingerprint)
            await self._await_write(pending.task)
            return item.accepted.model_copy(update={"submission_id": pending.submission_id, "replayed": True})
        await self._check_broker()
        if (agency, key) in self._pending:  # another request for the same key started while we probed
            return await self.publish(item)
        task = await self._start_write(item.raw)
        self._pending[(agency, key)] = _Pending(task, item.raw.submission_id, item.fingerprint)
        task.add_done_callback(lambda t: self._settled(agency, key, t))
        await self._await_write(task)
        return item.accepted

    def _settled(self, agency: str, key: str, task: asyncio.Task[None]) -> None:
        pending = self._pending.get((agency, key))
        if pending is None or pending.task is not task:
            return
        del self._pending[(agency, key)]
        if not task.cancelled() and task.exception() is None:
            self.idempotency.remember(agency, key, pending.submission_id, pending.fingerprint, self.clock())

    async def _check_broker(self) -> None:
        """While degraded (a write timed out), refuse new writes fast until the broker answers again."""
        if self._degraded and not await self._probe():
            raise ApiError(503, "broker_unavailable", "Kafka is not reachable; nothing was written, retry later")

    async def _start_write(self, raw: RawSubmission) -> asyncio.Task[None]:
        publisher = await self._ensure_publisher()
        if publisher is None:
            raise ApiError(503, "broker_unavailable", "Kafka is not reachable; nothing was written, retry later")
        task = asyncio.create_task(publisher.publish(raw))
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            # Every request waiting on it got a 503; here it is only logged.
            log.warning("write of a submission failed: %s", exc)

    async def _await_write(self, task: asyncio.Task[None]) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(task), self.publish_timeout)
        except TimeoutError as exc:
            self._degraded = True
            raise ApiError(
                503,
                "broker_unavailable",
                f"Kafka did not acknowledge the write within {self.publish_timeout:g}s. The producer keeps "
                "trying: retry with the same Idempotency-Key and the story is written once",
            ) from exc
        except PublishError as exc:
            self._degraded = True
            raise ApiError(
                503, "broker_unavailable", f"Kafka refused the write; retry with the same Idempotency-Key ({exc})"
            ) from exc


@dataclass(frozen=True, slots=True)
class _Pending:
    task: asyncio.Task[None]
    submission_id: str
    fingerprint: str


def _same_body(remembered: str, presented: str) -> None:
    if remembered != presented:
        raise ApiError(409, "idempotency_key_reused", "this Idempotency-Key was used with a different body")


async def _broker_answers(settings: Settings) -> bool:
    admin = AIOKafkaAdminClient(**client_kwargs(settings), request_timeout_ms=PROBE_TIMEOUT_MS)
    topic = topic_name(RAW, settings.topic_prefix)
    try:
        await asyncio.wait_for(admin.start(), PROBE_TIMEOUT_MS / 1000)
        described = await asyncio.wait_for(admin.describe_topics([topic]), PROBE_TIMEOUT_MS / 1000)
    except (KafkaError, OSError, TimeoutError):
        return False
    finally:
        with contextlib.suppress(KafkaError, OSError):
            await admin.close()
    return bool(described) and described[0].get("error_code", 0) == 0 and bool(described[0].get("partitions"))


# --- HTTP layer ---------------------------------------------------------------------------------------------
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


async def presented_key(
    api_key: Annotated[str | None, Security(api_key_header)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> str | None:
    """The API key from X-API-Key or Authorization: Bearer (checked by Gateway.authenticate)."""
    return api_key or (credentials.credentials if credentials else None)


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse(
        ErrorResponse(error=exc.detail).model_dump(mode="json"), status_code=exc.status, headers=exc.headers
    )


def batch_limit(settings: Settings) -> int:
    """Largest batch request body: eight stories of the largest size, base64 included."""
    return 8 * settings.max_payload_bytes


def ingest_router(gateway: Gateway) -> APIRouter:
    """Routes: POST /v1/stories, POST /v1/stories:batch, GET /healthz, GET /readyz."""
    router = APIRouter()
    settings = gateway.settings

    async def authenticated(request: Request, token: str | None) -> str:
        agency = await gateway.authenticate(token)
        request.state.agency = agency
        return agency

    async def observed(request: Request, work: Callable[[], Awaitable[Any]]) -> Any:
        """Run a submission handler: turn ApiError into JSON, log and count every outcome."""
        started = time.perf_counter()
        status, sid = 500, None
        try:
            result = await work()
            status = 202 if isinstance(result, Accepted) else 200
            sid = result.submission_id if isinstance(result, Accepted) else None
            return result
        except ApiError as exc:
            status = exc.status
            return error_response(exc)
        finally:
            agency = getattr(request.state, "agency", None) or "-"
            seconds = time.perf_counter() - started
            gateway_request(agency, status, seconds)
            log.info(
                "%s %s agency=%s submission_id=%s status=%d ms=%.1f",
                request.method,
                request.url.path,
                agency,
                sid or "-",
                status,
                seconds * 1000,
            )

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
        token: Annotated[str | None, Depends(presented_key)],
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                description="Repeat it on retries: the story is then written once (see docs/ingest.md)",
            ),
        ] = None,
    ) -> Any:
        """Write one story to `wire.raw`. 202 means Kafka acknowledged it (acks=all)."""

        async def work() -> Accepted:
            agency = await authenticated(request, token)
            gateway.check_rate(agency)
            content_type = request.headers.get("content-type")
            gateway.media_type(content_type)
            payload = await read_body(request, settings.max_payload_bytes)
            prepared = gateway.prepare(agency, payload, content_type, idempotency_key)
            return await gateway.publish(prepared)

        result = await observed(request, work)
        if isinstance(result, Accepted):
            return JSONResponse(result.model_dump(mode="json"), status_code=202)
        return result

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
    async def post_batch(request: Request, token: Annotated[str | None, Depends(presented_key)]) -> Any:
        """Write many stories; each item gets the status a single POST would have got.

        The request as a whole fails only for authentication (401/403), rate limit (429, the batch costs one
        token per item), size (413) or a body that is not a BatchRequest (422).
        """

        async def work() -> BatchResponse:
            agency = await authenticated(request, token)
            body = await read_body(request, batch_limit(settings))
            try:
                batch = BatchRequest.model_validate_json(body)
            except ValueError as exc:
                raise ApiError(422, "bad_batch", f"body is not a BatchRequest: {exc}") from exc
            if len(batch.items) > settings.gateway_max_batch_items:
                raise ApiError(
                    413, "too_many_items", f"{len(batch.items)} items; the limit is {settings.gateway_max_batch_items}"
                )
            gateway.check_rate(agency, cost=len(batch.items))
            return await _run_batch(gateway, agency, batch)

        return await observed(request, work)

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


def _item_payload(item: BatchItem) -> bytes:
    if (item.body is None) == (item.body_base64 is None):
        raise ApiError(400, "bad_item", "give exactly one of body and body_base64")
    if item.body is not None:
        return item.body.encode("utf-8")
    try:
        return base64.b64decode(item.body_base64 or "", validate=True)
    except binascii.Error as exc:
        raise ApiError(400, "bad_item", "body_base64 is not standard base64") from exc


async def _run_batch(gateway: Gateway, agency: str, batch: BatchRequest) -> BatchResponse:
    results: list[BatchItemResult | None] = [None] * len(batch.items)
    pending: list[tuple[int, _Prepared]] = []
    for i, item in enumerate(batch.items):
        try:
            payload = _item_payload(item)
            pending.append((i, gateway.prepare(agency, payload, item.content_type, item.idempotency_key)))
        except ApiError as exc:
            results[i] = BatchItemResult(index=i, status=exc.status, error=exc.detail)
    outcomes = await asyncio.gather(*(gateway.publish(p) for _, p in pending), return_exceptions=True)
    for (i, _), outcome in zip(pending, outcomes, strict=True):
        if isinstance(outcome, ApiError):
            results[i] = BatchItemResult(index=i, status=outcome.status, error=outcome.detail)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            results[i] = BatchItemResult(index=i, status=202, result=outcome)
    items = [r for r in results if r is not None]
    accepted = sum(1 for r in items if r.status == 202)
    return BatchResponse(accepted=accepted, rejected=len(items) - accepted, items=items)


# --- stand-alone app ----------------------------------------------------------------------------------------
def create_gateway_app(
    settings: Settings,
    keys: KeyLookup | None = None,
    *,
    publisher_factory: Callable[[], RawPublisher] | None = None,
) -> FastAPI:
    """A FastAPI app serving only the gateway. Without ``keys`` it opens the store of the settings."""
    gateway = Gateway(settings, keys, publisher_factory=publisher_factory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.stop()

    app = FastAPI(
        title="wirefeed ingest gateway",
        version="1",
        description="Agencies submit stories with their API key. See docs/ingest.md.",
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    app.include_router(ingest_router(gateway))
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

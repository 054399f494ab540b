"""Python client for agencies: publish stories to the wirefeed gateway.

    async with AgencyClient("https://wire.example.org", api_key) as client:
        accepted = await client.publish(Path("story.xml").read_bytes(), "application/xml")
        batch = await client.publish_batch([Story(body, "text/plain"), ...])

Every story gets an ``Idempotency-Key`` (a random UUID unless given), kept across retries, so a retry never
writes a story twice. Retries with exponential backoff and jitter on 429 (honouring ``Retry-After``), 503 and
connection failures; every other error raises :class:`GatewayError` at once.
"""

from __future__ import annotations

import asyncio
import base64
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from pipeline.ingest.models import Accepted, BatchItem, BatchItemResult, BatchRequest, BatchResponse, ErrorDetail

RETRYABLE = frozenset({429, 503})


class GatewayError(Exception):
    """The gateway refused a story (or kept failing until the retries ran out)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def guess_content_type(payload: bytes) -> str:
    head = payload.lstrip()[:1]
    if head in (b"{", b"["):
        return "application/json"
    if head == b"<":
        return "application/xml"
    return "text/plain; charset=utf-8"


def as_bytes(payload: bytes | str | dict[str, Any]) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return orjson.dumps(payload)


@dataclass(slots=True)
class Story:
    """One story to publish. ``idempotency_key`` defaults to a fresh random key."""

    payload: bytes | str | dict[str, Any]
    content_type: str | None = None
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def wire(self) -> tuple[bytes, str]:
        data = as_bytes(self.payload)
        ct = self.content_type or ("application/json" if isinstance(self.payload, dict) else guess_content_type(data))
        return data, ct


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before retry ``attempt`` (0-based): ``base * 2**attempt`` capped at ``cap``, with full jitter."""

    retries: int = 6
    base: float = 0.2
    cap: float = 10.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        d = random.uniform(0, min(self.cap, self.base * 2**attempt))
        return max(d, min(retry_after, self.cap)) if retry_after is not None else d


def _error_of(response: httpx.Response) -> GatewayError:
    try:
        detail = ErrorDetail.model_validate(response.json()["error"])
        return GatewayError(detail.status, detail.code, detail.message)
    except (ValueError, KeyError, TypeError):
        return GatewayError(response.status_code, "http_error", response.text[:500])


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class AgencyClient:
    """Async client of ``POST /v1/stories`` and ``POST /v1/stories:batch``."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        backoff: Backoff | None = None,
        timeout: float = 30.0,
        http: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.backoff = backoff or Backoff()
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(base_url=url.rstrip("/"), timeout=timeout)
        self._headers = {"X-API-Key": api_key}
        self._sleep = sleep
        #: Retries made so far (for logs and tests).
        self.retries = 0

    async def __aenter__(self) -> AgencyClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def publish(
        self,
        payload: bytes | str | dict[str, Any] | Story,
        content_type: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Accepted:
        """Publish one story; returns once it is on `wire.raw`. Raises GatewayError."""
        story = payload if isinstance(payload, Story) else Story(payload, content_type)
        if idempotency_key is not None:
            story.idempotency_key = idempotency_key
        data, ct = story.wire()
        headers = {**self._headers, "Content-Type": ct, "Idempotency-Key": story.idempotency_key}
        response = await self._send(lambda: self._http.post("/v1/stories", content=data, headers=headers))
        if response.status_code != 202:
            raise _error_of(response)
        return Accepted.model_validate(response.json())

    async def publish_batch(self, stories: Sequence[Story | bytes | str | dict[str, Any]]) -> BatchResponse:
        """Publish many stories in one request; items refused with 429/503 are sent again (same keys).

        Returns the final per-item results in the order given. Raises GatewayError when the request as a whole
        is refused (authentication, size) or still retryable after the last retry.
        """
        items = [s if isinstance(s, Story) else Story(s) for s in stories]
        final: list[BatchItemResult | None] = [None] * len(items)
        todo = list(range(len(items)))
        headers = {**self._headers, "Content-Type": "application/json"}
        attempt = 0
        while True:
            request = BatchRequest(items=[self._batch_item(items[i]) for i in todo])
            body = request.model_dump_json(exclude_none=True).encode()
            response = await self._send(
                lambda b=body: self._http.post("/v1/stories:batch", content=b, headers=headers)  # type: ignore[misc]
            )
            if response.status_code != 200:
                raise _error_of(response)
            result = BatchResponse.model_validate(response.json())
            again = []
            for item in result.items:
                original = todo[item.index]
                final[original] = item.model_copy(update={"index": original})
                if item.status in RETRYABLE:
                    again.append(original)
            if not again or attempt >= self.backoff.retries:
                break
            await self._pause(attempt, None)
            attempt += 1
            todo = again
        done = [r for r in final if r is not None]
        accepted = sum(1 for r in done if r.status == 202)
        return BatchResponse(accepted=accepted, rejected=len(done) - accepted, items=done)

    @staticmethod
    def _batch_item(story: Story) -> BatchItem:
        data, ct = story.wire()
        try:
            text: str | None = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        return BatchItem(
            content_type=ct,
            body=text,
            body_base64=None if text is not None else base64.b64encode(data).decode("ascii"),
            idempotency_key=story.idempotency_key,
        )

    async def _send(self, call: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await call()
            except (httpx.TransportError, httpx.TimeoutException):
                if attempt >= self.backoff.retries:
                    raise
                await self._pause(attempt, None)
                attempt += 1
                continue
            if response.status_code not in RETRYABLE or attempt >= self.backoff.retries:
                return response
            await self._pause(attempt, _retry_after(response))
            attempt += 1

    async def _pause(self, attempt: int, retry_after: float | None) -> None:
        self.retries += 1
        await self._sleep(self.backoff.delay(attempt, retry_after))

"""The ingest gateway's logic: authentication, limits, idempotency and the acknowledged write to `wire.raw`.

:class:`Gateway` holds the state behind the routes (the key store, rate limits, idempotency memory, the Kafka
publisher) and raises :class:`~pipeline.api.errors.ApiError` for every refusal; it knows nothing of HTTP
requests. The routes are in :mod:`pipeline.ingest.routes`, the stand-alone app in :mod:`pipeline.ingest.app`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from pipeline.api.auth import Authenticator, KeyLookup, Principal
from pipeline.api.errors import ApiError
from pipeline.codec import encode
from pipeline.config import Settings
from pipeline.ingest.claims import MEDIA_TYPES, MediaType, inspect_payload, parse_media_type, same_agency
from pipeline.ingest.idempotency import (
    IdempotencyMemory,
    derive_submission_id,
    fingerprint,
    valid_idempotency_key,
)
from pipeline.ingest.models import Accepted, BatchItem, BatchItemResult, BatchRequest, BatchResponse
from pipeline.ingest.publisher import PublishError, RawPublisher, new_submission_id
from pipeline.ingest.ratelimit import RateLimiter
from pipeline.kafka import client_kwargs
from pipeline.stages.errors import StageError
from pipeline.topics import RAW, topic_name
from schemas import RawSubmission, utcnow

log = logging.getLogger("wirefeed.ingest")

#: Seconds between two attempts to (re)start the Kafka producer while the broker is unreachable.
RESTART_BACKOFF = 2.0
#: Seconds a broker probe result is reused; and the probe's own timeout.
PROBE_INTERVAL = 1.0
PROBE_TIMEOUT_MS = 3000
#: Bytes kept for a RawSubmission envelope's fields besides the payload (ids, agency, content type, times).
ENVELOPE_RESERVE = 4096


def payload_limit(settings: Settings) -> int:
    """Largest story accepted: ``max_payload_bytes``, and small enough that its envelope (the payload in base64,
    4/3 of its size, plus the other fields) fits in one broker message of ``max_message_bytes``."""
    fits = (settings.max_message_bytes - ENVELOPE_RESERVE) // 4 * 3
    return max(1, min(settings.max_payload_bytes, fits))


def envelope_size(raw: RawSubmission) -> int:
    """Bytes of ``encode(raw)``, without encoding the payload (base64 without line breaks)."""
    return len(encode(raw.model_copy(update={"payload": b""}))) + 4 * math.ceil(len(raw.payload) / 3)


def batch_limit(settings: Settings) -> int:
    """Largest batch request body: eight stories of the largest size, base64 included."""
    return 8 * payload_limit(settings)


def batch_items_limit(settings: Settings) -> int:
    """Most stories in one batch: the configured maximum, and never more than the rate-limit burst (a batch
    takes all its tokens at once, so a larger one could never be accepted)."""
    return min(settings.gateway_max_batch_items, settings.gateway_rate_burst)


@dataclass(frozen=True, slots=True)
class Prepared:
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
        self.auth = Authenticator(settings, keys, clock=clock)
        self._store: Any = None
        self._publisher_factory = publisher_factory or (
            lambda: RawPublisher(settings, request_timeout_ms=settings.gateway_publish_timeout_ms)
        )
        self.publisher: RawPublisher | None = None
        self.limiter = RateLimiter(settings.gateway_rate_per_second, settings.gateway_rate_burst)
        self.idempotency = idempotency or IdempotencyMemory()
        self.clock = clock
        self._pending: dict[tuple[str, str], _Pending] = {}
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
        if self.auth.keys is None:
            from pipeline.sinks.store.interface import open_store

            self._store = self.auth.keys = await open_store(self.settings.resolved_store_url)
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
            self._store = self.auth.keys = None

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
        """The agency of an agency key; 401/403 for any other key or none."""
        principal: Principal = await self.auth.authenticate(token)
        if principal.role != "agency":
            raise ApiError(403, "forbidden", f"a {principal.role} key cannot submit stories; use an agency key")
        return principal.name

    def check_rate(self, agency: str, cost: int = 1) -> None:
        if cost > self.settings.gateway_rate_burst:
            raise ApiError(
                413,
                "too_many_items",
                f"{cost} stories in one request; at most {self.settings.gateway_rate_burst} (the rate-limit burst) "
                "can be accepted at once: split the batch",
            )
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

    def prepare(self, agency: str, payload: bytes, content_type: str | None, idempotency_key: str | None) -> Prepared:
        """Validate one story and build its envelope (no I/O). Raises ApiError."""
        media = self.media_type(content_type)
        limit = payload_limit(self.settings)
        if len(payload) > limit:
            raise ApiError(413, "too_large", f"{len(payload)} bytes; the limit is {limit}")
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
        if (size := envelope_size(raw)) > self.settings.max_message_bytes:
            raise ApiError(
                413,
                "too_large",
                f"with its envelope the story is a {size}-byte message; the broker takes at most "
                f"{self.settings.max_message_bytes}: send a smaller story or a shorter Content-Type",
            )
        accepted = Accepted(
            submission_id=submission_id,
            agency=agency,
            format_hint=media.format_hint,
            flagged=spoofed,
            claimed_agency=claimed if spoofed else None,
        )
        return Prepared(raw, idempotency_key, fingerprint(content_type, payload), accepted)

    async def publish(self, item: Prepared) -> Accepted:
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
            log.warning("write not acknowledged: %s", exc)
            raise ApiError(
                503, "broker_unavailable", "Kafka did not acknowledge the write; retry with the same Idempotency-Key"
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


def item_payload(item: BatchItem) -> bytes:
    if (item.body is None) == (item.body_base64 is None):
        raise ApiError(400, "bad_item", "give exactly one of body and body_base64")
    if item.body is not None:
        return item.body.encode("utf-8")
    try:
        return base64.b64decode(item.body_base64 or "", validate=True)
    except binascii.Error as exc:
        raise ApiError(400, "bad_item", "body_base64 is not standard base64") from exc


async def run_batch(gateway: Gateway, agency: str, batch: BatchRequest) -> BatchResponse:
    results: list[BatchItemResult | None] = [None] * len(batch.items)
    pending: list[tuple[int, Prepared]] = []
    for i, item in enumerate(batch.items):
        try:
            payload = item_payload(item)
            pending.append((i, gateway.prepare(agency, payload, item.content_type, item.idempotency_key)))
        except ApiError as exc:
            results[i] = BatchItemResult(index=i, status=exc.status, error=exc.detail_model)
    outcomes = await asyncio.gather(*(gateway.publish(p) for _, p in pending), return_exceptions=True)
    for (i, _), outcome in zip(pending, outcomes, strict=True):
        if isinstance(outcome, ApiError):
            results[i] = BatchItemResult(index=i, status=outcome.status, error=outcome.detail_model)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            results[i] = BatchItemResult(index=i, status=202, result=outcome)
    items = [r for r in results if r is not None]
    accepted = sum(1 for r in items if r.status == 202)
    return BatchResponse(accepted=accepted, rejected=len(items) - accepted, items=items)

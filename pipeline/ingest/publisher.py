"""Publish RawSubmission envelopes to `wire.raw` with an idempotent, acks=all aiokafka producer."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from datetime import datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, UnknownError

from pipeline.codec import encode
from pipeline.config import Settings
from pipeline.kafka import client_kwargs
from pipeline.topics import RAW, topic_name
from schemas import FormatHint, RawSubmission, utcnow

log = logging.getLogger("wirefeed.publisher")


class PublishError(RuntimeError):
    """The broker did not acknowledge the write. Safe to retry with the same submission id."""


def new_submission_id() -> str:
    return uuid.uuid4().hex


def make_submission(
    payload: bytes,
    agency: str,
    *,
    format_hint: FormatHint = "auto",
    content_type: str | None = None,
    submission_id: str | None = None,
    received_at: datetime | None = None,
) -> RawSubmission:
    return RawSubmission(
        submission_id=submission_id or new_submission_id(),
        agency=agency,
        format_hint=format_hint,
        content_type=content_type,
        received_at=received_at or utcnow(),
        payload=payload,
    )


class RawPublisher:
    """Write submissions to `wire.raw`. ``publish`` returns only once the broker acknowledged (acks=all)."""

    def __init__(self, settings: Settings, *, request_timeout_ms: int = 10_000, linger_ms: int = 2) -> None:
        self.settings = settings
        self.topic = topic_name(RAW, settings.topic_prefix)
        self._options = {"linger_ms": linger_ms, "request_timeout_ms": request_timeout_ms}
        # None (auto): idempotent unless the broker cannot issue producer ids (the embedded broker).
        self.idempotent = settings.producer_idempotence is not False
        self._producer = self._new_producer()
        self._started = False

    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **client_kwargs(self.settings),
            acks="all",
            enable_idempotence=self.idempotent,
            max_request_size=max(1_048_576, self.settings.max_payload_bytes * 2),
            **self._options,
        )

    async def start(self) -> None:
        sender_log = logging.getLogger("aiokafka.producer.sender")
        level = sender_log.level
        if self.idempotent and self.settings.producer_idempotence is None:
            sender_log.setLevel(logging.CRITICAL)  # a broker without producer ids is handled below, not an error
        try:
            await self._producer.start()
        except UnknownError as exc:
            await self._producer.stop()
            if not (self.idempotent and self.settings.producer_idempotence is None):
                raise PublishError(f"Kafka at {self.settings.broker} refused the producer: {exc}") from exc
            # InitProducerId unsupported: the broker has no idempotent producers (the embedded broker; `wirefeed run`
            # says so once when it starts it). acks=all still holds.
            log.info("broker %s cannot issue producer ids; publishing without idempotence "
                     "(set WIREFEED_PRODUCER_IDEMPOTENCE=true to require it)", self.settings.broker)
            self.idempotent = False
            self._producer = self._new_producer()
            await self.start()
            return
        except KafkaError as exc:
            await self._producer.stop()
            raise PublishError(f"cannot reach Kafka at {self.settings.broker}: {exc}") from exc
        finally:
            sender_log.setLevel(level)
        self._started = True

    async def stop(self) -> None:
        if self._started:
            await self._producer.stop()
            self._started = False

    async def __aenter__(self) -> RawPublisher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def publish(self, raw: RawSubmission) -> None:
        try:
            await self._producer.send_and_wait(
                self.topic, encode(raw), key=raw.submission_id.encode("utf-8")
            )
        except KafkaError as exc:
            raise PublishError(f"write of submission {raw.submission_id} not acknowledged: {exc}") from exc

    async def publish_many(self, raws: Iterable[RawSubmission]) -> int:
        """Send a batch without waiting between messages; return once every one is acknowledged."""
        futures = []
        try:
            for raw in raws:
                futures.append(
                    await self._producer.send(self.topic, encode(raw), key=raw.submission_id.encode("utf-8"))
                )
            await asyncio.gather(*futures)
        except KafkaError as exc:
            raise PublishError(f"batch not fully acknowledged: {exc}") from exc
        return len(futures)

    async def ready(self) -> bool:
        """True when the broker answers a metadata request for `wire.raw`."""
        if not self._started:
            return False
        try:
            parts = await asyncio.wait_for(self._producer.partitions_for(self.topic), timeout=3)
        except (KafkaError, TimeoutError):
            return False
        return bool(parts)

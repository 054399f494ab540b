"""Publish RawSubmission envelopes to `wire.raw` with an idempotent, acks=all aiokafka producer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from datetime import datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from pipeline.codec import encode
from pipeline.config import Settings
from pipeline.kafka import client_kwargs
from pipeline.topics import RAW, topic_name
from schemas import FormatHint, RawSubmission, utcnow


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
        self._producer = AIOKafkaProducer(
            **client_kwargs(settings),
            acks="all",
            enable_idempotence=settings.producer_idempotence,
            linger_ms=linger_ms,
            request_timeout_ms=request_timeout_ms,
            max_request_size=max(1_048_576, settings.max_payload_bytes * 2),
        )
        self._started = False

    async def start(self) -> None:
        try:
            await self._producer.start()
        except KafkaError as exc:
            await self._producer.stop()
            raise PublishError(f"cannot reach Kafka at {self.settings.broker}: {exc}") from exc
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

"""The Faust application that hosts the stage loops: one app object, the catalogue's topics bound to it, the loops'
producer, and the DLQ helpers the stages share."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import faust
from faust.app import BootStrategy
from faust.types import TopicT

from pipeline.app.handoff import Handoffs
from pipeline.app.loop import BatchHandler, StageLoop, group_id
from pipeline.app.outbox import Outbox
from pipeline.app.producer import LoopProducer, ProducerService
from pipeline.app.ready import ReadyFile
from pipeline.codec import encode
from pipeline.config import Settings
from pipeline.kafka import ssl_context
from pipeline.ops import metrics
from pipeline.stages.process import Source, reject
from pipeline.topics import CATALOGUE, DLQ, STAGE_INPUTS, TopicSpec, topic_name
from schemas import ReasonCode, Rejection, Stage, utcnow

log = logging.getLogger("wirefeed.app")


def fit_rejection(rejection: Rejection, max_bytes: int) -> bytes:
    """The rejection encoded in at most ``max_bytes``: when the original bytes make it larger, only their first
    part is kept (base64 costs 4 bytes for 3), and the message says how much."""
    value = encode(rejection)
    if len(value) <= max_bytes:
        return value
    total = len(rejection.original)
    keep = max(0, total - (len(value) - max_bytes) * 3 // 4 - 4096)
    message = f"{rejection.message[:1500]} [original truncated to its first {keep} of {total} bytes]"
    return encode(rejection.model_copy(update={"original": rejection.original[:keep], "message": message}))


def broker_credentials(settings: Settings) -> Any:
    sec = settings.kafka
    if sec.security_protocol == "PLAINTEXT":
        return None
    ctx = ssl_context(sec)
    if sec.security_protocol == "SSL":
        return faust.SSLCredentials(ctx)
    return faust.SASLCredentials(
        username=sec.sasl_username,
        password=sec.sasl_password,
        mechanism=sec.sasl_mechanism or "PLAIN",
        ssl_context=ctx,
    )


class LoopsBoot(BootStrategy):
    """What the worker starts with the app: sensors, the web server, timers and services (the stage loops and their
    producer, in the order they were added). Not Faust's own consumer, producer, topic conductor and table manager:
    no agent or table reads or writes through them (the stage loops have their own clients), and started they would
    join the app's consumer group and run a metadata loop per worker for nothing."""

    enable_kafka_consumer = False
    enable_kafka_producer = False


class LoopsApp(faust.App):
    """A Faust app whose streams are stage loops (:class:`LoopsBoot`)."""

    BootStrategy = LoopsBoot


def faust_app(settings: Settings, *, faust_clients: bool = False) -> faust.App:
    """The app; ``faust_clients``: with Faust's own consumer and producer started (for Faust agents and tables)."""
    if not settings.broker:
        raise RuntimeError("no broker configured: set WIREFEED_BROKER or pass --broker host:port")
    brokers = ";".join(f"kafka://{b.strip()}" for b in settings.broker.split(","))
    app = (faust.App if faust_clients else LoopsApp)(
        settings.app_id,
        broker=brokers,
        broker_credentials=broker_credentials(settings),
        store="memory://",
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        topic_allow_declare=True,
        producer_acks=-1,
        producer_linger_ms=1,
        # Outputs are checked against max_message_bytes before they are sent (``send_checked``); the producer's
        # own limit is the same, so nothing larger than every topic takes is ever handed to the broker.
        producer_max_request_size=settings.max_message_bytes,
        broker_session_timeout=settings.worker_session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.worker_session_timeout_s / 3),
        table_standby_replicas=0,
        datadir=str(settings.data_dir / "faust"),
        web_enabled=settings.web_port > 0,
        web_port=max(settings.web_port, 1),
        web_bind="127.0.0.1",
    )
    return app


@dataclass
class Wirefeed:
    """The app plus the catalogue's topics bound to it (by catalogue name, e.g. ``wire.raw``)."""

    settings: Settings
    app: faust.App
    topics: dict[str, TopicT] = field(default_factory=dict)
    #: This worker's ready file, told by each consumer group when it holds an assignment (None: not reported).
    ready: ReadyFile | None = None
    #: The stage loops' producer (every output and changelog write), started with the first send.
    producer: LoopProducer | None = None
    #: Models one of this worker's stage loops sent for another (:mod:`pipeline.app.handoff`).
    handoffs: Handoffs = field(default_factory=Handoffs)

    @classmethod
    def create(cls, settings: Settings, ready: ReadyFile | None = None, *, faust_clients: bool = False) -> Wirefeed:
        producer = LoopProducer(settings)
        wf = cls(settings=settings, app=faust_app(settings, faust_clients=faust_clients), ready=ready,
                 producer=producer)
        # Added before the loops: the app stops its services in reverse order, so the producer stops after them.
        wf.app.service(cast(Any, ProducerService(producer, loop=wf.app.loop, beacon=wf.app.beacon)))
        for spec in CATALOGUE:
            wf.topics[spec.name] = wf.bind(spec)
        return wf

    def bind(self, spec: TopicSpec) -> TopicT:
        return self.app.topic(
            topic_name(spec, self.settings.topic_prefix),
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=spec.partitions or self.settings.partitions,
            retention=spec.retention_ms / 1000,
            compacting=spec.cleanup_policy == "compact",
        )

    def topic(self, spec: TopicSpec) -> TopicT:
        return self.topics[spec.name]

    def add_loop(self, stage: str, handler: BatchHandler, *, max_records: int = 200,
                 on_stop: Callable[[], Awaitable[None]] | None = None, **hooks: Any) -> StageLoop:
        """A :class:`StageLoop` of ``stage`` over its input topics (``STAGE_INPUTS``), started and stopped with the
        app. ``hooks``: :class:`StageLoop`'s ``on_assigned``, ``on_revoked`` and ``assignors``."""
        ready = unheld = None
        if self.ready is not None:
            self.ready.expect(group_id(self.settings, stage))
            ready, unheld = self.ready.loop_report, self.ready.unheld
        inputs = [topic_name(spec, self.settings.topic_prefix) for spec in STAGE_INPUTS[stage]]
        loop = StageLoop(self.settings, stage, inputs, handler, self.outbox, max_records=max_records, ready=ready,
                         on_stop=on_stop, before_first_fetch=unheld, loop=self.app.loop, beacon=self.app.beacon,
                         **hooks)
        # An instance: the app starts it as it is once the app has started, and stops it with the app.
        self.app.service(cast(Any, loop))
        return loop

    async def start_producer(self) -> LoopProducer:
        """The loops' producer, started if it is not yet."""
        if self.producer is None:
            self.producer = LoopProducer(self.settings)
        return await self.producer.start()

    async def outbox(self) -> Outbox:
        """An empty :class:`Outbox` on the loops' producer (started if it is not yet)."""
        return Outbox(await self.start_producer())

    async def reject_record(self, where: Any, value: bytes, stage: Stage, reason: ReasonCode, message: str,
                            out: Outbox, *, submission_id: str | None = None, agency: str | None = None) -> None:
        """Send a message a stage could not handle to `wire.dlq`, with where it came from (``where``: anything with
        ``topic``, ``partition`` and ``offset``) and its bytes, through the batch's ``out`` (acknowledged with the
        rest of the batch)."""
        rejection = reject(stage, reason, message[:500], value, utcnow(),
                           source=Source(where.topic, where.partition, where.offset))
        if submission_id is not None or agency is not None:
            rejection = rejection.model_copy(update={"submission_id": submission_id, "agency": agency})
        await self.send_rejection(rejection, out)

    async def send_checked(self, out: Outbox, topic: str, key: bytes, value: bytes, *, stage: Stage, what: str,
                           original: bytes, submission_id: str | None, agency: str | None,
                           source: Source = Source()) -> bool:
        """Send ``value`` when it fits ``max_message_bytes``; else send a ``too_large`` rejection carrying
        ``original`` (the DLQ names the output and its size) and return False. A message the broker would refuse
        is never sent: it would fail the batch on every retry and hold its partition for ever."""
        limit = self.settings.max_message_bytes
        if len(value) <= limit:
            await out.send(topic, key, value)
            return True
        text = (f"{what} would be a {len(value)}-byte message on {topic}; the limit is {limit} bytes "
                "(max_message_bytes): send a shorter story")
        rejection = reject(stage, "too_large", text, original, utcnow(), source=source)
        await self.send_rejection(rejection.model_copy(update={"submission_id": submission_id, "agency": agency}),
                                  out)
        return False

    async def send_rejection(self, rejection: Rejection, out: Outbox) -> None:
        metrics.dlq(rejection.stage, rejection.reason)
        log.warning(
            "rejected submission=%s agency=%s stage=%s reason=%s: %s",
            rejection.submission_id, rejection.agency, rejection.stage, rejection.reason, rejection.message,
        )
        key = (rejection.submission_id or "").encode() or None
        await out.send(self.topic(DLQ).get_topic_name(), key, fit_rejection(rejection,
                                                                            self.settings.max_message_bytes))

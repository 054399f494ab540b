"""Create the catalogue's topics on any Kafka-compatible broker (idempotent)."""

from __future__ import annotations

import asyncio
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError, for_code

from pipeline.config import Settings
from pipeline.kafka import client_kwargs
from pipeline.topics import CATALOGUE, topic_name

log = logging.getLogger("wirefeed.admin")


async def ensure_topics(
    settings: Settings, extra: tuple[str, ...] = (), wait_seconds: float = 30.0, compacted: tuple[str, ...] = ()
) -> list[str]:
    """Create every catalogue topic (and ``extra`` plain topics, ``compacted`` compacted ones) that does not exist
    yet. Returns the created ones."""
    admin = AIOKafkaAdminClient(**client_kwargs(settings), request_timeout_ms=10_000)
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
    size = {"max.message.bytes": str(settings.max_message_bytes)}
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(topic_name(spec, settings.topic_prefix), spec.partitions or settings.partitions,
                     settings.replication_factor, topic_configs=spec.config(settings.max_message_bytes))
            for spec in CATALOGUE
        ] + [NewTopic(name, settings.partitions, settings.replication_factor, topic_configs=size)
             for name in extra] + [
            NewTopic(name, settings.partitions, settings.replication_factor,
                     topic_configs={"cleanup.policy": "compact", **size})
            for name in compacted
        ]  # fmt: skip
        missing = [t for t in wanted if t.name not in existing]
        created = []
        for topic in missing:
            try:
                response = await admin.create_topics([topic])
            except TopicAlreadyExistsError:
                continue
            # aiokafka reports per-topic errors in the response instead of raising them.
            for name, code, *rest in getattr(response, "topic_errors", []):
                if code == TopicAlreadyExistsError.errno:
                    continue
                if code:
                    detail = rest[0] if rest and rest[0] else for_code(code).__name__
                    raise RuntimeError(f"cannot create topic {name}: {detail} (error code {code})")
                created.append(name)
        if created:
            log.info("created topics: %s", ", ".join(created))
        return created
    finally:
        await admin.close()

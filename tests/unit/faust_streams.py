"""A real Faust stream over an in-memory channel (no broker), with the acks it receives recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import faust


@dataclass
class ChannelStream:
    """``stream`` reads ``send``'s values; ``acked`` lists the value of every event the stream acked, in order."""

    stream: Any
    acked: list[bytes] = field(default_factory=list)

    async def send(self, *values: bytes) -> None:
        for value in values:
            await self.stream.channel.send(value=value)


@asynccontextmanager
async def channel_stream() -> AsyncIterator[ChannelStream]:
    app = faust.App("wirefeed-unit-batching", broker="kafka://127.0.0.1:1", value_serializer="raw")
    app.flow_control.resume()  # a worker resumes it once partitions are assigned; there is no worker here
    stream = app.channel().stream()
    cs = ChannelStream(stream)
    ack = stream.ack

    async def recording_ack(event: Any) -> bool:
        cs.acked.append(event.value)
        return bool(await ack(event))

    stream.ack = recording_ack
    try:
        yield cs
    finally:
        await stream.stop()

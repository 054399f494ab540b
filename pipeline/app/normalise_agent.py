"""Agent: `wire.raw` → normalise → `wire.normalised` (re-keyed by uri), rejections → `wire.dlq`."""

from __future__ import annotations

import time

from pipeline.app.base import Wirefeed
from pipeline.codec import encode
from pipeline.ops import metrics
from pipeline.stages.normalise import NormaliseOptions
from pipeline.stages.process import Source, decode_raw, normalise_step
from pipeline.topics import NORMALISED, RAW
from schemas import Rejection, utcnow


def normalise_options(wf: Wirefeed) -> NormaliseOptions:
    s = wf.settings
    return NormaliseOptions(max_bytes=s.max_payload_bytes, max_depth=s.max_nesting_depth,
                            default_timezone=s.default_timezone)


def register(wf: Wirefeed) -> None:
    options = normalise_options(wf)
    out = wf.topic(NORMALISED)

    @wf.app.agent(wf.topic(RAW), name="normalise", concurrency=1)
    async def normalise_agent(stream):  # type: ignore[no-untyped-def]
        async for event in stream.events():
            started = time.perf_counter()
            msg = event.message
            source = Source(msg.topic, msg.partition, msg.offset)
            now = utcnow()
            raw = decode_raw(event.value, now, source)
            if isinstance(raw, Rejection):
                await wf.send_rejection(raw)
                metrics.stage_processed("normalise", "rejected", time.perf_counter() - started)
                continue
            outcome = normalise_step(raw, options, now, source)
            if outcome.rejection:
                await wf.send_rejection(outcome.rejection)
                metrics.stage_processed("normalise", "rejected", time.perf_counter() - started)
                continue
            for story in outcome.stories:
                await out.send(key=story.uri.encode(), value=encode(story))
            metrics.stage_processed("normalise", "ok", time.perf_counter() - started)

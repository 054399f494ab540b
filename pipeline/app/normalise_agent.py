"""Agent: `wire.raw` → normalise → `wire.normalised` (re-keyed by uri), rejections → `wire.dlq`.

Batched: up to :data:`BATCH` messages (or what arrived within :data:`BATCH_SECONDS`) are normalised, their outputs
handed to the producer without waiting for each (:class:`pipeline.app.outbox.Outbox`), and the batch is acked only
after the broker has acknowledged every output of it (``finished_batches`` acks when the loop asks for the next).
"""

from __future__ import annotations

import time

from pipeline.app.base import Wirefeed
from pipeline.app.batching import finished_batches
from pipeline.app.budget import normalise_within_budget
from pipeline.codec import encode
from pipeline.ops import metrics
from pipeline.stages.normalise import NormaliseOptions
from pipeline.stages.process import Source
from pipeline.topics import NORMALISED, RAW
from schemas import utcnow

BATCH = 200
BATCH_SECONDS = 0.01


def normalise_options(wf: Wirefeed) -> NormaliseOptions:
    s = wf.settings
    return NormaliseOptions(max_bytes=s.max_payload_bytes, max_depth=s.max_nesting_depth,
                            default_timezone=s.default_timezone)


def register(wf: Wirefeed) -> None:
    options = normalise_options(wf)
    budget = wf.settings.normalise_cpu_budget_s
    out_name = wf.topic(NORMALISED).get_topic_name()

    @wf.app.agent(wf.topic(RAW), name="normalise", concurrency=1)
    async def normalise_agent(stream):  # type: ignore[no-untyped-def]
        out = await wf.outbox()
        async for events in finished_batches(stream, BATCH, BATCH_SECONDS):
            for event in events:
                started = time.perf_counter()
                msg = event.message
                outcome = normalise_within_budget(event.value, options, utcnow(),
                                                  Source(msg.topic, msg.partition, msg.offset), budget)
                if outcome.rejection:
                    await wf.send_rejection(outcome.rejection, out)
                    metrics.stage_processed("normalise", "rejected", time.perf_counter() - started)
                    continue
                for story in outcome.stories:
                    await wf.send_checked(out, out_name, story.uri.encode(), encode(story), stage="normalise",
                                          what=f"the story {story.uri}@{story.version}", original=event.value,
                                          submission_id=story.submission_id, agency=story.agency,
                                          source=Source(msg.topic, msg.partition, msg.offset))
                metrics.stage_processed("normalise", "ok", time.perf_counter() - started)
            await out.flush()

"""Normalise stage: `wire.raw` → `wire.normalised` (and `wire.dlq`), on a :class:`~pipeline.app.loop.StageLoop`.

Each record goes through the pure normalise step within its CPU budget; stories and rejections are sent through the
batch's outbox, which the loop flushes before it commits the batch's offsets.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from pipeline.app.base import Wirefeed
from pipeline.app.budget import normalise_within_budget
from pipeline.app.loop import Record
from pipeline.app.outbox import Outbox
from pipeline.codec import encode
from pipeline.ops import metrics
from pipeline.stages.normalise import NormaliseOptions
from pipeline.stages.process import Source
from pipeline.topics import NORMALISED
from schemas import utcnow

#: Most records handed to the stage at once.
BATCH = 200


def normalise_options(wf: Wirefeed) -> NormaliseOptions:
    s = wf.settings
    return NormaliseOptions(max_bytes=s.max_payload_bytes, max_depth=s.max_nesting_depth,
                            default_timezone=s.default_timezone)


def register(wf: Wirefeed) -> None:
    options = normalise_options(wf)
    budget = wf.settings.normalise_cpu_budget_s
    out_name = wf.topic(NORMALISED).get_topic_name()

    async def normalise_batch(records: Sequence[Record], out: Outbox) -> None:
        for record in records:
            started = time.perf_counter()
            value = record.value or b""
            source = Source(record.topic, record.partition, record.offset)
            outcome = normalise_within_budget(value, options, utcnow(), source, budget)
            if outcome.rejection:
                await wf.send_rejection(outcome.rejection, out)
                metrics.stage_processed("normalise", "rejected", time.perf_counter() - started)
                continue
            for story in outcome.stories:
                encoded = encode(story)
                if await wf.send_checked(out, out_name, story.uri.encode(), encoded, stage="normalise",
                                         what=f"the story {story.uri}@{story.version}", original=value,
                                         submission_id=story.submission_id, agency=story.agency, source=source):
                    wf.handoffs.normalised.put(encoded, story)  # for this worker's dedupe loop
            metrics.stage_processed("normalise", "ok", time.perf_counter() - started)

    wf.add_loop("normalise", normalise_batch, max_records=BATCH)

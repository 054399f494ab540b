"""Restoring a stage's in-process state from its compacted changelog topics when a rebalance assigns partitions.

Each assigned changelog partition is read with a group-less consumer from its log start to the end offset taken
when the restore begins, and folded into its :class:`~pipeline.app.state.StateTable` (the same
:meth:`~pipeline.app.state.StateTable.recover` as the writes' own layout). Every write reached the changelog and
was acknowledged before the batch that made it was committed (``pipeline/app/state.py``), and the previous owner
let the partition go only after its batch in hand was committed, so the end offset taken here covers every write
a committed input stands for. The stage loop calls this before it seeks any assigned partition, so no record of a
partition is processed before that partition's state is whole.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from pipeline.app.state import StateTable
from pipeline.config import Settings
from pipeline.kafka import client_kwargs

log = logging.getLogger("wirefeed.restore")


async def restore(settings: Settings, tables: Sequence[StateTable], partitions: Iterable[int]) -> int:
    """Drop, then rebuild, the slices of ``partitions`` of every table in ``tables`` from their changelogs.
    Returns the number of changelog records read."""
    numbers = sorted(set(partitions))
    for table in tables:
        table.drop(numbers)
    if not numbers:
        return 0
    by_topic = {table.topic: table for table in tables}
    tps = [TopicPartition(table.topic, p) for table in tables for p in numbers]
    started = time.perf_counter()
    consumer = AIOKafkaConsumer(group_id=None, enable_auto_commit=False, auto_offset_reset="earliest",
                                client_id=f"{settings.app_id}-restore", **client_kwargs(settings))
    await consumer.start()
    read = 0
    try:
        # The offsets first, then the assignment, and only of the partitions with records: an assigned partition is
        # fetched at once, and a broker that holds a fetch for its whole wait (the embedded one) answers the offset
        # requests behind it (0.5 s each at aiokafka's default wait).
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        todo = {tp: end for tp, end in ends.items() if end > starts[tp]}
        if todo:
            consumer.assign(list(todo))
        for tp in todo:
            consumer.seek(tp, starts[tp])
        while todo:
            fetched = await consumer.getmany(*todo, timeout_ms=1000)
            for tp, records in fetched.items():
                end = todo.get(tp)
                if end is None:
                    continue
                table = by_topic[tp.topic]
                kept = [r for r in records if r.offset < end]
                table.recover(table.decode(r.key, r.value) for r in kept)
                read += len(kept)
            for tp in list(todo):
                # The position, not the last record: compaction and transaction markers leave offsets with none.
                if await consumer.position(tp) >= todo[tp]:
                    del todo[tp]
    finally:
        await consumer.stop()
    log.info("restored %s partitions %s from %d changelog records in %.2f s",
             ", ".join(sorted(by_topic)), numbers, read, time.perf_counter() - started)
    return read

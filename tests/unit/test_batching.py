"""finished_batches: a batch the agent did not finish must never be acknowledged."""

from __future__ import annotations

import pytest

from pipeline.app.batching import finished_batches
from tests.unit.faust_fakes import Event, Message, TakingStream


def batches(*sizes: int) -> list[list[Event]]:
    out, offset = [], 0
    for n in sizes:
        out.append([Event(Message(offset + i)) for i in range(n)])
        offset += n
    return out


async def test_finished_batches_are_acked() -> None:
    stream = TakingStream(batches(2, 2))
    seen = [[e.message.offset for e in b] async for b in finished_batches(stream, 10, 0.1)]
    assert seen == [[0, 1], [2, 3]]
    assert stream.acked == [0, 1, 2, 3]


async def test_a_batch_interrupted_by_an_error_is_not_acked() -> None:
    stream = TakingStream(batches(2, 2, 2))
    gen = finished_batches(stream, 10, 0.1)
    with pytest.raises(RuntimeError):
        async for batch in gen:
            if batch[0].message.offset == 2:
                raise RuntimeError("agent cancelled mid-batch")
    await gen.aclose()  # what the event loop does when the generator is collected
    assert stream.acked == [0, 1]

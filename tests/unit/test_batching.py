"""finished_batches on a real Faust stream: batches that follow the load, acked only when the agent finished them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest

from pipeline.app.batching import finished_batches
from tests.unit.faust_streams import channel_stream


async def collect(stream: Any, max_: int, within: float, count: int, out: list[tuple[float, list[bytes]]]) -> None:
    async for batch in finished_batches(stream, max_, within):
        out.append((time.monotonic(), [e.value for e in batch]))
        if sum(len(b) for _, b in out) >= count:
            return


async def test_a_lone_event_is_handed_over_without_waiting_for_the_window() -> None:
    async with channel_stream() as cs:
        got: list[tuple[float, list[bytes]]] = []
        task = asyncio.create_task(collect(cs.stream, 100, 5.0, 1, got))
        await asyncio.sleep(0.05)
        sent = time.monotonic()
        await cs.send(b"only")
        await asyncio.wait_for(task, 3.0)
        assert [b for _, b in got] == [[b"only"]]
        # Far below the 5 s window: the batch closed once the stream was quiet.
        assert got[0][0] - sent < 1.0, f"handed over after {got[0][0] - sent:.3f} s"


async def test_a_burst_goes_into_batches_of_at_most_max() -> None:
    async with channel_stream() as cs:
        got: list[tuple[float, list[bytes]]] = []
        task = asyncio.create_task(collect(cs.stream, 4, 5.0, 10, got))
        await asyncio.sleep(0.05)
        await cs.send(*(b"%d" % i for i in range(10)))
        await asyncio.wait_for(task, 3.0)
        batches = [b for _, b in got]
        assert [v for b in batches for v in b] == [b"%d" % i for i in range(10)]
        assert max(len(b) for b in batches) == 4
        assert len(batches) == 3


async def test_a_batch_closes_within_the_window_while_events_keep_coming() -> None:
    async with channel_stream() as cs:
        got: list[list[bytes]] = []

        async def agent() -> None:
            # A quiet period longer than the test: only the 20 ms window can close these batches.
            async for batch in finished_batches(cs.stream, 10_000, 0.02, quiet=10.0):
                got.append([e.value for e in batch])

        task = asyncio.create_task(agent())
        await asyncio.sleep(0.05)
        # Events keep coming, with no pause, until four batches have closed (bounded, for a loaded machine).
        sent = 0
        until = time.monotonic() + 30
        while len(got) < 4 and time.monotonic() < until:
            await cs.send(b"%d" % sent)
            sent += 1
            await asyncio.sleep(0)
        await asyncio.sleep(0.1)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert sum(len(b) for b in got) == sent
        assert len(got) >= 4, [len(b) for b in got]


async def test_finished_batches_are_acked_after_the_agent_asks_for_the_next() -> None:
    async with channel_stream() as cs:
        seen_acks: list[list[bytes]] = []
        gen = finished_batches(cs.stream, 2, 1.0)
        await cs.send(b"a", b"b", b"c", b"d")
        async for batch in gen:
            seen_acks.append(list(cs.acked))  # while the batch is being processed
            if batch[-1].value == b"d":
                break
        await gen.aclose()
        assert seen_acks == [[], [b"a", b"b"]]
        assert cs.acked == [b"a", b"b"]  # the last batch was left by `break`: not finished


async def test_a_batch_interrupted_by_an_error_is_never_acked() -> None:
    async with channel_stream() as cs:
        gen = finished_batches(cs.stream, 2, 1.0)
        await cs.send(b"a", b"b", b"c", b"d")
        interrupted: list[Any] = []
        with pytest.raises(RuntimeError):
            async for batch in gen:
                if batch[0].value == b"c":
                    interrupted = list(batch)
                    raise RuntimeError("agent cancelled mid-batch")
        await gen.aclose()  # what the event loop does when the generator is collected
        assert cs.acked == [b"a", b"b"]
        # Marked so that Faust's own ack skips them: their offsets are never committed.
        assert [e.message.acked for e in interrupted] == [True, True]


async def test_events_delivered_after_the_batches_stop_are_never_acked() -> None:
    """An event held back while the batch was out, and any event the stream delivers once the agent stopped
    reading: none is acked, so none is committed unprocessed."""
    async with channel_stream() as cs:
        gen = finished_batches(cs.stream, 1, 1.0)
        await cs.send(b"a", b"b", b"c")
        first = await gen.__anext__()
        await asyncio.sleep(0.05)  # b waits in the stream for the batch to be taken
        await gen.__anext__()  # a is finished and acked; b is out
        await gen.aclose()  # the agent stops with b unfinished
        await cs.send(b"d")
        await asyncio.sleep(0.05)
        assert [e.value for e in first] == [b"a"]
        assert cs.acked == [b"a"]
        assert cs.stream.enable_acks is False

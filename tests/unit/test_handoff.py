"""Models handed from one stage loop to another of the same worker: only for the exact bytes sent, once, bounded;
a handed-over model equals its bytes validated, and dedupe's outputs do not change with the hand-off."""

from __future__ import annotations

import random

from benchmarks.eval_dedupe import bases, edit_typos, make_story
from pipeline.app.handoff import Handoff, Handoffs
from pipeline.codec import encode
from schemas import EnrichedStory, Story
from tests.unit.dedupe.inprocess import TOPICS, Broker, Worker, run_until_idle


def test_only_the_exact_bytes_take_a_model_and_only_once() -> None:
    handoff: Handoff[str] = Handoff()
    handoff.put(b'{"uri":"a"}', "model a")
    assert handoff.take(b'{"uri": "a"}') is None  # the same JSON, other bytes: decoded as any other record
    assert handoff.take(b'{"uri":"a"}') == "model a"
    assert handoff.take(b'{"uri":"a"}') is None
    assert len(handoff) == 0


def test_the_oldest_entries_go_when_full() -> None:
    handoff: Handoff[int] = Handoff(size=3)
    for i in range(5):
        handoff.put(b"%d" % i, i)
    assert len(handoff) == 3
    assert [handoff.take(b"%d" % i) for i in range(5)] == [None, None, 2, 3, 4]


def _stories() -> list[Story]:
    base = bases()[0]
    return [make_story("urn:tca:1", "TCA", base.headline, list(base.body)),
            make_story("urn:ap:1", "AP", *edit_typos(base, random.Random(1))),
            make_story("urn:afp:1", "AFP", "Unrelated", ["Officials in Nairobi opened a rail terminal."] * 5)]


async def _run(handoffs: Handoffs | None) -> Broker:
    """The stories through one dedupe worker, sent as the normalise loop sends them (and handed over when
    ``handoffs`` is given)."""
    broker = Broker()
    worker = Worker(broker, range(broker.partitions), handoffs=handoffs)
    for story in _stories():
        value = encode(story)
        broker.publish(value, story.uri.encode())
        if handoffs is not None:
            handoffs.normalised.put(value, story)
    await run_until_idle([worker])
    return broker


async def test_handed_over_stories_give_the_outputs_of_decoded_ones() -> None:
    handoffs = Handoffs()
    with_handoff, without = await _run(handoffs), await _run(None)
    assert len(handoffs.normalised) == 0  # every story taken
    assert with_handoff.log == without.log  # every output and changelog record, byte for byte


async def test_handed_over_models_equal_their_bytes_validated() -> None:
    handoffs = Handoffs()
    for story in _stories():
        assert Story.model_validate_json(encode(story)) == story
    broker = await _run(handoffs)
    sent = [r.value for (topic, _), records in broker.log.items() if topic == TOPICS.enriched for r in records]
    assert len(sent) == 3 and len(handoffs.enriched) == 3
    for value in sent:
        assert value is not None
        model = handoffs.enriched.take(value)
        assert model is not None and model == EnrichedStory.model_validate_json(value)
    assert len(handoffs.enriched) == 0

"""Models handed from one stage loop to another of the same worker: only for the exact bytes sent, once, bounded;
and a `wire.enriched` story taken from the hand-off is the model validating its bytes gives."""

from __future__ import annotations

import random

from benchmarks.eval_dedupe import bases, edit_typos, make_story
from pipeline.app.handoff import Handoff
from schemas import EnrichedStory
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


async def test_enriched_stories_handed_over_equal_their_validated_bytes() -> None:
    base = bases()[0]
    stories = [make_story("urn:tca:1", "TCA", base.headline, list(base.body)),
               make_story("urn:ap:1", "AP", *edit_typos(base, random.Random(1))),
               make_story("urn:afp:1", "AFP", "Unrelated", ["Officials in Nairobi opened a rail terminal."] * 5)]
    broker, handoff = Broker(), Handoff[EnrichedStory]()
    worker = Worker(broker, range(broker.partitions), handoff=handoff)
    for story in stories:
        broker.publish(story)
    await run_until_idle([worker])
    sent = [r.value for (topic, _), records in broker.log.items() if topic == TOPICS.enriched for r in records]
    assert len(sent) == 3 and len(handoff) == 3
    for value in sent:
        assert value is not None
        model = handoff.take(value)
        assert model is not None and model == EnrichedStory.model_validate_json(value)
    assert len(handoff) == 0

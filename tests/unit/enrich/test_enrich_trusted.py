"""Enriched stories built without re-validation are what validated models would be, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from pydantic import BaseModel, Field

from benchmarks.corpus import Corpus
from pipeline.stages.enrich import enrich
from pipeline.stages.enrich.trusted import is_plain, trusted, trusted_all, trusted_copy
from pipeline.stages.normalise import normalise_all
from schemas import EnrichedStory, RawSubmission, Story
from tests.unit.enrich.enrich_support import DEDUPE, SAMPLES, SEED, make_story

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _stories() -> list[Story]:
    raws = [RawSubmission(submission_id="seed", agency="TCA", received_at=NOW, payload=SEED.read_bytes())]
    raws += [
        RawSubmission(submission_id=p.name, agency="BENCH", received_at=NOW, payload=p.read_bytes())
        for p in sorted(SAMPLES.iterdir())
        if p.suffix in (".xml", ".json")
    ]
    raws += [
        RawSubmission(submission_id=f"c{c.index}", agency=c.agency, received_at=NOW, payload=c.payload)
        for c in Corpus(11).stories(150)
    ]
    stories = [s for r in raws for s in normalise_all(r)]
    # Blocs named in the text, a dateline country filled in, a story with no country at all.
    stories.append(make_story("EU and ASEAN leaders meet", "BRUSSELS - The European Union met ASEAN envoys."))
    stories.append(make_story("Talks", "Officials met.", dateline="LIMA", place="Lima"))
    stories.append(make_story("Quiet day", "Nothing happened anywhere today at all."))
    return stories


STORIES = _stories()


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.uri[-40:])
def test_output_validates_and_dumps_like_a_validated_model(story: Story) -> None:
    out = enrich(story, DEDUPE, now=NOW)
    validated = EnrichedStory.model_validate(out.model_dump())
    assert out.model_dump(mode="json") == validated.model_dump(mode="json")
    assert out.model_dump_json() == validated.model_dump_json()
    assert orjson.dumps(out.model_dump(mode="json")) == orjson.dumps(validated.model_dump(mode="json"))
    assert out == validated
    assert out.model_fields_set == set(EnrichedStory.model_fields)
    for tag in out.countries:
        assert tag.model_fields_set == set(type(tag).model_fields)
        assert all(list(span) == ["part", "index", "start", "end"] for span in tag.spans)


def test_the_sample_has_tags_spans_and_blocs() -> None:
    outs = [enrich(s, DEDUPE, now=NOW) for s in STORIES]
    assert sum(len(t.spans) for o in outs for t in o.countries) > 1000
    assert any(b.explicit for o in outs for b in o.blocs)
    assert any(not b.explicit for o in outs for b in o.blocs)
    assert any(o.dateline is not None and o.dateline.country for o in outs)


class _Aliased(BaseModel):
    value: int = Field(alias="v")


class _Plain(BaseModel):
    a: int
    b: list[int] = Field(default_factory=list)


def test_plain_models_are_built_like_model_construct() -> None:
    built = trusted(_Plain)({"a": 1, "b": [2]})
    reference = _Plain.model_construct(a=1, b=[2])
    assert built == reference
    assert built.model_fields_set == reference.model_fields_set
    assert built.model_dump_json() == reference.model_dump_json()
    built.a = 5  # each instance has its own fields set and dict
    assert reference.a == 1


def test_models_with_aliases_fall_back_to_model_construct() -> None:
    assert is_plain(_Plain) and not is_plain(_Aliased)
    built = trusted(_Aliased)({"v": 3})
    assert built.value == 3


def test_trusted_copy_is_model_copy() -> None:
    from schemas import Dateline

    copy = trusted_copy(Dateline)
    for original in (Dateline(text="LIMA —"), Dateline(text="BISHKEK (TCA) —", place="Bishkek", date="Nov 29")):
        ours, theirs = copy(original, {"country": "PE"}), original.model_copy(update={"country": "PE"})
        assert type(ours) is Dateline and ours == theirs and ours is not original
        assert ours.__dict__ == theirs.__dict__ and ours.__dict__ is not original.__dict__
        assert ours.model_fields_set == theirs.model_fields_set
        assert ours.model_dump_json() == theirs.model_dump_json()
        assert original.country is None
    aliased = trusted_copy(_Aliased)(_Aliased(v=1), {"value": 2})
    assert aliased.value == 2


def test_trusted_all_builds_each_like_trusted() -> None:
    rows = [{"a": 1, "b": [2]}, {"a": 3, "b": []}]
    built = trusted_all(_Plain)([dict(r) for r in rows])
    assert built == [trusted(_Plain)(dict(r)) for r in rows] == [_Plain.model_construct(**r) for r in rows]
    assert all(b.model_fields_set == {"a", "b"} for b in built)
    built[0].a = 9  # each object has its own dict and fields set
    assert built[1].a == 3 and built[0].model_fields_set is not built[1].model_fields_set
    assert trusted_all(_Aliased)([{"v": 4}])[0].value == 4

"""Stories built without re-validation (``trusted_story``) are the validated stories, and bad values still fail."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from benchmarks.corpus import Corpus
from pipeline.stages.errors import StageError
from pipeline.stages.normalise import normalise_all
from pipeline.stages.normalise.trusted import FIELDS, trusted_story
from schemas.story import Block, Dateline, Story, Subject
from tests.unit.normalise.normalise_support import RECEIVED, SAMPLES, SEED, make_raw


def _payloads() -> list[bytes]:
    out = [SEED.read_bytes()]
    out += [p.read_bytes() for p in sorted(SAMPLES.iterdir()) if p.suffix in (".xml", ".json")]
    out += [s.payload for s in Corpus(11).stories(60)]
    return out


def _values(story: Story) -> dict[str, Any]:
    return {name: getattr(story, name) for name in FIELDS}


def test_every_normalised_story_is_the_validated_story() -> None:
    count = 0
    for payload in _payloads():
        for story in normalise_all(make_raw(payload)):
            validated = Story(**_values(story))
            assert story.model_dump_json() == validated.model_dump_json()
            assert orjson.dumps(story.model_dump(mode="json")) == orjson.dumps(validated.model_dump(mode="json"))
            assert story.model_fields_set == validated.model_fields_set
            assert Story.model_validate(story.model_dump()) == validated
            count += 1
    assert count >= 60


def _good() -> dict[str, Any]:
    return {
        "uri": "urn:x:1", "version": 2, "agency": "TCA", "headline": "H", "body": ["B"], "blocks": None, "byline": None,
        "byline_title": None, "ednote": None,
        "dateline": Dateline(text="BISHKEK (TCA) —", place="Bishkek"), "language": "en", "firstcreated": None,
        "versioncreated": RECEIVED, "embargoed": None, "pubstatus": "usable", "signals": ["update"], "urgency": 3,
        "subjects": [Subject(code="medtop:1")], "keywords": ["k"], "source_format": "text", "content_hash": "ab",
        "submission_id": "s", "received_at": RECEIVED,
    }  # fmt: skip


def test_trusted_story_equals_validation_on_good_values() -> None:
    story = trusted_story(_good())
    assert story is not None
    assert story.model_dump_json() == Story(**_good()).model_dump_json()
    structured = {**_good(), "blocks": [Block(kind="crosshead", text="B")]}
    story = trusted_story(structured)
    assert story is not None
    assert story.model_dump_json() == Story(**structured).model_dump_json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("uri", ""), ("version", 0), ("version", "2"), ("version", True), ("agency", ""), ("body", []),
        ("body", [b"x"]), ("byline", 5), ("language", 1), ("versioncreated", datetime(2026, 1, 1)),
        ("versioncreated", RECEIVED.astimezone(timezone(timedelta(hours=6)))), ("versioncreated", "2026-01-01"),
        ("embargoed", datetime(2026, 1, 1)), ("pubstatus", "gone"), ("signals", ["nope"]), ("urgency", 0),
        ("urgency", 10), ("urgency", 3.0), ("subjects", [{"code": "x"}]), ("keywords", [None]),
        ("source_format", "pdf"), ("dateline", {"text": "X"}), ("received_at", None),
        ("blocks", [{"kind": "paragraph", "text": "B"}]), ("blocks", ["other"]),
    ],
)  # fmt: skip
def test_anything_not_plainly_valid_goes_to_validation(field: str, value: Any) -> None:
    values = _good()
    values[field] = value
    assert trusted_story(values) is None


def test_missing_or_extra_fields_go_to_validation() -> None:
    values = _good()
    del values["keywords"]
    assert trusted_story(values) is None
    assert trusted_story({**_good(), "extra": 1}) is None


def test_invalid_story_is_still_rejected_with_a_reason() -> None:
    doc = {"uri": "urn:x:2", "version": "1", "language": "en", "urgency": 12,
           "headlines": [{"role": "main", "value": "A headline"}],
           "bodies": [{"role": "main", "contentType": "text/plain", "value": "Some body text for the story."}]}
    with pytest.raises(StageError) as err:
        normalise_all(make_raw(orjson.dumps(doc), content_type="application/json"))
    assert err.value.reason == "schema_violation"

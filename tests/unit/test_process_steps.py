"""The normalise agent's one pure call: a `wire.raw` message to stories or one rejection with its reason."""

from __future__ import annotations

from pipeline.ingest.publisher import make_submission
from pipeline.stages.normalise import NormaliseOptions
from pipeline.stages.process import Source, normalise_message
from schemas import utcnow
from tests.paths import SEED

SOURCE = Source("wire.raw", 3, 17)


def test_a_good_envelope_gives_its_stories() -> None:
    raw = make_submission(SEED.read_bytes(), "TCA", content_type="text/plain; charset=utf-8")
    outcome = normalise_message(raw.model_dump_json().encode(), NormaliseOptions(), utcnow(), SOURCE)
    assert outcome.rejection is None
    [story] = outcome.stories
    assert story.agency == "TCA"


def test_bytes_that_are_no_envelope_are_rejected_with_where_they_came_from() -> None:
    outcome = normalise_message(b"\x00not json", NormaliseOptions(), utcnow(), SOURCE)
    assert not outcome.stories and outcome.rejection is not None
    assert outcome.rejection.reason == "bad_envelope" and outcome.rejection.stage == "ingest"


def test_an_envelope_whose_payload_cannot_be_read_is_rejected_by_normalise() -> None:
    raw = make_submission(b"", "TCA", content_type="text/plain")
    outcome = normalise_message(raw.model_dump_json().encode(), NormaliseOptions(), utcnow(), SOURCE)
    assert not outcome.stories and outcome.rejection is not None and outcome.rejection.stage == "normalise"

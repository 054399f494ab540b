"""Acceptance 1: the seed story, built by hand and through the real normalise stage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from enrich_support import DEDUPE, SEED, seed_story

from pipeline.stages.enrich import enrich, tag
from schemas import EnrichedStory, RawSubmission, Story


def _check_seed(story: Story) -> EnrichedStory:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    out = enrich(story, DEDUPE, now=now)
    # The result is a valid contract message and survives the wire round trip.
    again = EnrichedStory.model_validate_json(out.model_dump_json())
    assert again == EnrichedStory.model_validate(out.model_dump())
    assert again.enriched_at == now
    assert {c.code for c in again.countries} == {"KG", "RU", "CN", "KZ", "US"}
    assert again.focus_country == "KG"
    assert again.dateline is not None and again.dateline.country == "KG"
    eaeu = next(b for b in again.blocs if b.code == "EAEU")
    assert eaeu.explicit
    assert eaeu.members == ("KG", "KZ", "RU")
    assert again.dedupe == DEDUPE
    # Story fields pass through untouched.
    assert again.headline == story.headline and again.body == story.body and again.uri == story.uri
    return again


def test_seed_by_hand() -> None:
    out = _check_seed(seed_story())
    kg = next(c for c in out.countries if c.code == "KG")
    assert {"name", "demonym", "dateline"} <= set(kg.cues)
    assert out.countries[0].code == "KG"  # listed by salience
    assert out.countries[0].score > out.countries[1].score


def test_seed_spans_point_at_the_mentions() -> None:
    story = seed_story()
    tags = tag(story)
    parts = {"headline": [story.headline], "dateline": [story.dateline.text], "body": story.body}
    seen = set()
    for country in tags.countries:
        assert country.mentions == len(country.spans)
        for span in country.spans:
            seen.add(parts[span["part"]][span["index"]][span["start"] : span["end"]])
    assert {"Kyrgyzstan", "Kyrgyz", "Russia", "Russian", "Moscow", "China", "Kazakhstan", "United States"} <= seen
    assert "BISHKEK" in seen and "Bishkek" in seen
    # Denmark is only in the author bio, which is not story text.
    assert "DK" not in {c.code for c in tags.countries}


def test_seed_through_normalise() -> None:
    normalise = pytest.importorskip("pipeline.stages.normalise").normalise
    raw = RawSubmission(
        submission_id="seed-1",
        agency="TCA",
        received_at=datetime(2017, 11, 30, 12, tzinfo=UTC),
        payload=SEED.read_bytes(),
    )
    story = normalise(raw)
    _check_seed(story)

"""Properties over generated text: enrich never fails, and every tag it emits is consistent and valid."""

from __future__ import annotations

from datetime import UTC, date, datetime

from enrich_support import DEDUPE, make_story
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.stages.enrich import enrich, load_gazetteer, tag
from pipeline.stages.enrich.gazetteer import fold
from schemas import EnrichedStory

_GAZ = load_gazetteer()
_SURFACES = sorted({e.surface for bucket in _GAZ.entries_by_surface.values() for e in bucket})
_FILLER = ["the", "said", "in", "of", "and", "Mr", "President", "'s", "’s", ",", ".", "—", "(AP)", "US", "us", "new"]

words = st.one_of(st.sampled_from(_SURFACES), st.sampled_from(_FILLER), st.text(min_size=1, max_size=8))
paragraph = st.lists(words, min_size=1, max_size=30).map(" ".join).filter(str.strip)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headline=paragraph,
    body=st.lists(paragraph, min_size=1, max_size=4),
    dateline=st.one_of(st.none(), paragraph),
    language=st.sampled_from(["en", "nb-NO", "sv", "de", None]),
    day=st.dates(min_value=date(1950, 1, 1), max_value=date(2030, 12, 31)),
)
def test_enrich_is_total_and_consistent(
    headline: str, body: list[str], dateline: str | None, language: str | None, day: date
) -> None:
    story = make_story(headline, *body, dateline=dateline, on=day, language=language)
    out = enrich(story, DEDUPE, now=datetime(2030, 1, 1, tzinfo=UTC))
    again = EnrichedStory.model_validate(out.model_dump())  # a valid contract message
    parts = {"headline": [story.headline], "dateline": [dateline or ""], "body": story.body}
    codes = {c.code for c in again.countries}
    for country in again.countries:
        assert country.code in _GAZ.country_names
        assert country.mentions == len(country.spans) >= 1
        assert 0.0 <= country.score <= 1.0
        for span in country.spans:
            text = parts[span["part"]][span["index"]]
            assert 0 <= span["start"] < span["end"] <= len(text)
            surface = text[span["start"] : span["end"]]
            assert _GAZ.lookup(surface) or fold(surface) in _GAZ.entries_by_surface
    assert again.focus_country is None or again.focus_country in codes
    assert [c.score for c in again.countries] == sorted((c.score for c in again.countries), reverse=True)
    story_day = story.versioncreated.date()
    for bloc in again.blocs:
        assert set(bloc.members) <= codes
        assert all(_GAZ.blocs[bloc.code].is_member(m, story_day) for m in bloc.members)
        assert bloc.explicit or bloc.members


@given(st.text(max_size=300))
def test_tag_never_fails_on_arbitrary_text(text: str) -> None:
    tag(make_story("Headline", text or "x"))

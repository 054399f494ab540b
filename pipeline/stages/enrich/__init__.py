"""Enrich stage: country, place and trade-bloc tags for a story.

Pure: no I/O except reading the packaged gazetteer (``data/``) once per process. The tagger runs compiled where
it is built (``compiled.py``).
"""

from __future__ import annotations

from datetime import datetime

from pipeline.stages.enrich.compiled import load_tagger
from schemas._types import utcnow
from schemas.enriched import CountryTag, DedupeInfo, EnrichedStory
from schemas.story import Dateline, Story

TAGGER_BUILD = load_tagger()  # the compiled tagger or its source: before anything imports ``tagger``

from pipeline.stages.enrich.gazetteer import Gazetteer, load_gazetteer  # noqa: E402
from pipeline.stages.enrich.tagger import Tags, tag, tag_story  # noqa: E402
from pipeline.stages.enrich.trusted import trusted, trusted_copy  # noqa: E402

__all__ = ["TAGGER_BUILD", "Gazetteer", "Tags", "enrich", "load_gazetteer", "tag"]

#: Most spans kept per country tag: the first mentions, in text order. ``mentions`` still counts every one. A span
#: per mention made a story's tags grow with its length (188 KB of text gave a 1.6 MB message).
MAX_SPANS_PER_COUNTRY = 32

_enriched_story = trusted(EnrichedStory)
_dateline_with = trusted_copy(Dateline)


def _capped(tag: CountryTag) -> CountryTag:
    if len(tag.spans) <= MAX_SPANS_PER_COUNTRY:
        return tag
    return tag.model_copy(update={"spans": tag.spans[:MAX_SPANS_PER_COUNTRY]})


def enrich(story: Story, dedupe: DedupeInfo, *, now: datetime | None = None) -> EnrichedStory:
    """The story with its dedupe verdict, country tags, focus country and bloc tags.

    ``dateline.country`` is filled from the gazetteer when the wire format gave none. Each country keeps at most
    :data:`MAX_SPANS_PER_COUNTRY` spans (its ``mentions`` count stays whole).
    """
    countries, focus_country, blocs, dateline_country = tag_story(story, load_gazetteer())
    countries = [_capped(c) for c in countries]
    fields = dict(story.__dict__)
    dateline = story.dateline
    if dateline is not None and dateline.country is None and dateline_country is not None:
        fields["dateline"] = _dateline_with(dateline, {"country": dateline_country})
    fields["countries"] = countries
    fields["focus_country"] = focus_country
    fields["blocs"] = blocs
    fields["dedupe"] = dedupe
    fields["enriched_at"] = now or utcnow()
    return _enriched_story(fields)

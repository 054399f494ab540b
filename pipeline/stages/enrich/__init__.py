"""Enrich stage: country, place and trade-bloc tags for a story.

Pure: no I/O except reading the packaged gazetteer (``data/``) once per process.
"""

from __future__ import annotations

from datetime import datetime

from pipeline.stages.enrich.gazetteer import Gazetteer, load_gazetteer
from pipeline.stages.enrich.tagger import Tags, tag
from schemas._types import utcnow
from schemas.enriched import DedupeInfo, EnrichedStory
from schemas.story import Story

__all__ = ["Gazetteer", "Tags", "enrich", "load_gazetteer", "tag"]


def enrich(story: Story, dedupe: DedupeInfo, *, now: datetime | None = None) -> EnrichedStory:
    """The story with its dedupe verdict, country tags, focus country and bloc tags.

    ``dateline.country`` is filled from the gazetteer when the wire format gave none.
    """
    tags = tag(story)
    fields = dict(story.__dict__)
    dateline = story.dateline
    if dateline is not None and dateline.country is None and tags.dateline_country is not None:
        fields["dateline"] = dateline.model_copy(update={"country": tags.dateline_country})
    return EnrichedStory.model_construct(
        **fields,
        countries=tags.countries,
        focus_country=tags.focus_country,
        blocs=tags.blocs,
        dedupe=dedupe,
        enriched_at=now or utcnow(),
    )

"""`wire.enriched`: the story with dedupe verdict and geographic tags. The main downstream topic."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, with_config
from typing_extensions import TypedDict

from schemas._types import CountryCode, UtcDatetime
from schemas.story import Story

Verdict = Literal["new", "duplicate", "update", "correction", "kill", "near_duplicate", "stale"]
Cue = Literal["name", "demonym", "city", "metonym", "dateline", "code"]
TextPart = Literal["headline", "dateline", "body"]


# A typed dict, not a model: a story carries tens of spans, and a plain dict costs the enrich stage a fifth of
# what a model instance does. On the wire it is the same JSON object; in Python, ``span["start"]``.
@with_config(ConfigDict(extra="forbid"))
class Span(TypedDict):
    """Where a mention is: character offsets [start, end) in one part of the story."""

    part: TextPart
    index: Annotated[int, Field(ge=0, description="Paragraph number for body, 0 otherwise")]
    start: Annotated[int, Field(ge=0)]
    end: Annotated[int, Field(ge=0)]


class CountryTag(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: CountryCode
    name: str
    mentions: int = Field(ge=0)
    score: float = Field(ge=0.0, le=1.0, description="Salience of the country in this story")
    cues: list[Cue] = Field(default_factory=list)
    spans: list[Span] = Field(
        default_factory=list, description="Where the country is mentioned: the first 32 mentions at most (see mentions)"
    )


# Frozen, members a tuple: the same few bloc tags come back story after story, so the enrich stage builds each
# once and shares it between stories.
class BlocTag(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(description="Bloc code, e.g. 'EAEU'")
    name: str
    explicit: bool = Field(description="True when the text names the bloc; False when derived from members")
    members: tuple[CountryCode, ...] = Field(
        default_factory=tuple, description="Tagged countries that are members at the story's date"
    )


class DedupeInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    cluster_id: str = Field(description="Id shared by a story and all its copies and versions")
    duplicate_of: str | None = Field(None, description="'uri@version' of the story this one repeats")
    similarity: float | None = Field(None, ge=0.0, le=1.0)


class EnrichedStory(Story):
    countries: list[CountryTag] = Field(default_factory=list)
    focus_country: CountryCode | None = None
    blocs: list[BlocTag] = Field(default_factory=list)
    dedupe: DedupeInfo
    enriched_at: UtcDatetime


class DuplicateRecord(BaseModel):
    """`wire.duplicates`: audit of every story dedupe kept out of `wire.enriched`."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    uri: str
    version: int = Field(ge=1)
    agency: str
    submission_id: str
    headline: str
    content_hash: str
    verdict: Verdict
    duplicate_of: str | None
    cluster_id: str
    similarity: float | None = None
    detected_at: UtcDatetime

"""The pure pipeline, step by step: what each agent does to one message, with no Kafka and no I/O.

The Faust agents call these steps and only move bytes; ``wirefeed process`` calls them in-process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson
from pydantic import ValidationError

from pipeline.stages.dedupe import DedupeIndex
from pipeline.stages.enrich import enrich
from pipeline.stages.errors import StageError
from pipeline.stages.normalise import NormaliseOptions, normalise_all
from schemas import DuplicateRecord, EnrichedStory, RawSubmission, ReasonCode, Rejection, Stage, Story


@dataclass(frozen=True, slots=True)
class Source:
    """Where a message came from, for rejections."""

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None


def reject(
    stage: Stage,
    reason: ReasonCode,
    message: str,
    original: bytes,
    now: datetime,
    *,
    raw: RawSubmission | None = None,
    source: Source = Source(),
) -> Rejection:
    return Rejection(
        stage=stage,
        reason=reason,
        message=message,
        submission_id=raw.submission_id if raw else None,
        agency=raw.agency if raw else None,
        content_type=raw.content_type if raw else None,
        source_topic=source.topic,
        source_partition=source.partition,
        source_offset=source.offset,
        rejected_at=now,
        original=original,
    )


def decode_raw(message: bytes, now: datetime, source: Source = Source()) -> RawSubmission | Rejection:
    """A `wire.raw` message → RawSubmission, or a `bad_envelope` rejection carrying the whole message."""
    try:
        return RawSubmission.model_validate(orjson.loads(message))
    except (orjson.JSONDecodeError, ValidationError, TypeError) as exc:
        text = str(exc).splitlines()[0][:300]
        return reject("ingest", "bad_envelope", f"not a RawSubmission envelope: {text}", message, now, source=source)


@dataclass(slots=True)
class NormaliseOutcome:
    stories: list[Story] = field(default_factory=list)
    rejection: Rejection | None = None


def normalise_step(
    raw: RawSubmission, options: NormaliseOptions, now: datetime, source: Source = Source()
) -> NormaliseOutcome:
    try:
        return NormaliseOutcome(stories=normalise_all(raw, options))
    except StageError as exc:
        return NormaliseOutcome(rejection=reject("normalise", exc.reason, exc.message, raw.payload, now,
                                                 raw=raw, source=source))
    except Exception as exc:  # a bug must not stop the feed: the message goes to the DLQ with the cause
        message = f"unexpected {type(exc).__name__} in normalise: {exc}"[:500]
        return NormaliseOutcome(rejection=reject("normalise", "internal_error", message, raw.payload, now,
                                                 raw=raw, source=source))


def normalise_message(message: bytes, options: NormaliseOptions, now: datetime,
                      source: Source = Source()) -> NormaliseOutcome:
    """A `wire.raw` message as the normalise agent gets it: the envelope, then the stories, or one rejection."""
    raw = decode_raw(message, now, source)
    if isinstance(raw, Rejection):
        return NormaliseOutcome(rejection=raw)
    return normalise_step(raw, options, now, source)


@dataclass(slots=True)
class StoryOutcome:
    enriched: EnrichedStory | None = None
    duplicate: DuplicateRecord | None = None
    rejection: Rejection | None = None


def dedupe_enrich_step(story: Story, index: DedupeIndex, now: datetime) -> StoryOutcome:
    """Dedupe verdict, then tags for what passes. Stories kept back become DuplicateRecords; a story dedupe
    refuses (another agency's uri) becomes a rejection carrying the story."""
    try:
        decision = index.check(story)
    except StageError as exc:
        original = orjson.dumps(story.model_dump(mode="json"))
        rejection = reject("dedupe", exc.reason, exc.message, original, now)
        return StoryOutcome(rejection=rejection.model_copy(update={"submission_id": story.submission_id,
                                                                   "agency": story.agency}))
    if not decision.forward:
        return StoryOutcome(duplicate=decision.record)
    return StoryOutcome(enriched=enrich(story, decision.info, now=now))


@dataclass(slots=True)
class ProcessResult:
    """Everything one submission produced: enriched stories, duplicates kept back, or a rejection."""

    raw: RawSubmission | None
    enriched: list[EnrichedStory] = field(default_factory=list)
    duplicates: list[DuplicateRecord] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def process(raw: RawSubmission, index: DedupeIndex, options: NormaliseOptions, now: datetime) -> ProcessResult:
    """normalise → dedupe → enrich for one submission, in-process."""
    result = ProcessResult(raw=raw)
    outcome = normalise_step(raw, options, now)
    if outcome.rejection:
        result.rejections.append(outcome.rejection)
    for story in outcome.stories:
        step = dedupe_enrich_step(story, index, now)
        if step.enriched:
            result.enriched.append(step.enriched)
        if step.duplicate:
            result.duplicates.append(step.duplicate)
        if step.rejection:
            result.rejections.append(step.rejection)
    return result

"""The one topic catalogue: names, partitions, keys, contracts and retention of every pipeline topic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from schemas import (
    DuplicateRecord,
    EnrichedStory,
    NearAnswer,
    NearRequest,
    Notification,
    RawSubmission,
    Rejection,
    Story,
)

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    contract: type[BaseModel]
    key: str
    description: str
    cleanup_policy: Literal["delete", "compact"] = "delete"
    retention_ms: int = 7 * DAY_MS
    #: None: the configured default partition count.
    partitions: int | None = None

    def config(self, max_message_bytes: int) -> dict[str, str]:
        """Topic configs at creation. ``max.message.bytes`` is the pipeline's ``max_message_bytes`` on every topic,
        so a message the producers let through is one every topic takes."""
        return {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention_ms),
                "max.message.bytes": str(max_message_bytes)}


RAW = TopicSpec(
    "wire.raw", RawSubmission, "submission_id", "Submissions from agencies, untouched", retention_ms=14 * DAY_MS
)
NORMALISED = TopicSpec("wire.normalised", Story, "uri", "Canonical stories, keyed by uri for dedupe")
ENRICHED = TopicSpec(
    "wire.enriched", EnrichedStory, "uri", "Deduplicated, tagged stories: the main downstream topic",
    retention_ms=30 * DAY_MS,
)
DUPLICATES = TopicSpec("wire.duplicates", DuplicateRecord, "uri", "Audit of what dedupe kept back")
DLQ = TopicSpec("wire.dlq", Rejection, "submission_id", "Every rejection, with reason and original bytes",
                retention_ms=30 * DAY_MS)
NOTIFICATIONS = TopicSpec("wire.notifications", Notification, "uri", "Compact notice per new/updated story")

DEDUPE_NEAR = TopicSpec("wire.dedupe.near", NearRequest, "bucket key",
                        "Internal: near-duplicate probes scattered to lead-shingle buckets", retention_ms=DAY_MS)
DEDUPE_ANSWERS = TopicSpec("wire.dedupe.answers", NearAnswer, "uri",
                           "Internal: bucket answers gathered back on the story's uri partition", retention_ms=DAY_MS)

CATALOGUE: tuple[TopicSpec, ...] = (
    RAW, NORMALISED, ENRICHED, DUPLICATES, DLQ, NOTIFICATIONS, DEDUPE_NEAR, DEDUPE_ANSWERS,
)


def topic_name(spec: TopicSpec, prefix: str = "") -> str:
    return f"{prefix}{spec.name}"


#: The input topics of each stage that runs on a stage loop, in a consumer group of its own
#: (``{app_id}-{stage}``); every other topic is read by the Faust app's agents in the group ``{app_id}``.
STAGE_INPUTS: dict[str, tuple[TopicSpec, ...]] = {
    "normalise": (RAW,),
    "dedupe": (NORMALISED, DEDUPE_ANSWERS),  # co-partitioned: one consumer, range assignment
    "dedupe-near": (DEDUPE_NEAR,),
    "store": (ENRICHED, DUPLICATES, DLQ),
}


def stage_group(app_id: str, stage: str) -> str:
    """The consumer group of a stage loop (``wirefeed lag`` shows every group starting with the app id)."""
    return f"{app_id}-{stage}"


def consumer_group(app_id: str, spec: TopicSpec) -> str:
    """The consumer group that reads ``spec``'s topic: its stage loop's, else the Faust app's."""
    for stage, inputs in STAGE_INPUTS.items():
        if spec in inputs:
            return stage_group(app_id, stage)
    return app_id

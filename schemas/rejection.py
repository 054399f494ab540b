"""`wire.dlq`: every submission or message a stage could not process, with the original bytes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas._types import UtcDatetime, WireBytes

Stage = Literal["ingest", "normalise", "dedupe", "enrich", "store", "notify"]

#: Stable reason codes. Feed engineers and alerts key on these.
ReasonCode = Literal[
    "undecodable",  # bytes are not valid in any declared or detected charset
    "malformed_json",
    "malformed_xml",
    "unsafe_xml",  # DTDs, external entities, entity expansion
    "unknown_format",
    "empty_body",
    "missing_headline",
    "too_large",
    "too_deep",  # nesting beyond the configured limit
    "schema_violation",  # well-formed but not a valid document of its format / contract
    "bad_envelope",  # the Kafka message is not a valid RawSubmission
    "internal_error",  # a bug: the stage raised something unexpected
    "too_slow",  # normalising took more CPU than the per-message budget
    "invalid_identity",  # uri, version or agency too long, with control characters, or not a URI
    "foreign_uri",  # the uri belongs to another agency's story
    "unstorable",  # the database refused the story itself (a data error, not an outage)
]


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    stage: Stage
    reason: ReasonCode
    message: str = Field(description="What was wrong and where, for a human")
    submission_id: str | None = None
    agency: str | None = None
    content_type: str | None = None
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    rejected_at: UtcDatetime
    original: WireBytes = Field(description="The original bytes (payload, or whole message), base64 in JSON")

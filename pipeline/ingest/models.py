"""Contracts of the gateway's HTTP API, shared by the gateway and the agency client."""

from __future__ import annotations

from pydantic import BaseModel, Field

from schemas import FormatHint


class ErrorDetail(BaseModel):
    status: int = Field(description="HTTP status, repeated for batch items")
    code: str = Field(description="Stable machine-readable code, e.g. 'rate_limited', 'malformed_xml'")
    message: str = Field(description="What was wrong, for a human")
    retryable: bool = Field(description="True when the same request may succeed later (429, 503)")


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Accepted(BaseModel):
    submission_id: str = Field(description="Id of the RawSubmission on wire.raw (its message key)")
    agency: str = Field(description="The agency of the API key: the story is stored under it")
    format_hint: FormatHint
    flagged: bool = Field(False, description="The payload names another agency (spoof policy 'flag')")
    claimed_agency: str | None = Field(None, description="The other agency the payload names, when flagged")
    replayed: bool = Field(False, description="Answered from the idempotency memory: nothing written again")


class BatchItem(BaseModel):
    content_type: str = Field(description="Media type of this story, as for POST /v1/stories")
    body: str | None = Field(None, description="The story as text (plain text, JSON or XML)")
    body_base64: str | None = Field(None, description="The story bytes, standard base64 (instead of body)")
    idempotency_key: str | None = Field(None, max_length=200)


class BatchRequest(BaseModel):
    items: list[BatchItem] = Field(min_length=1)


class BatchItemResult(BaseModel):
    index: int
    status: int = Field(description="202 when on wire.raw; otherwise the status a single POST would get")
    result: Accepted | None = None
    error: ErrorDetail | None = None


class BatchResponse(BaseModel):
    accepted: int
    rejected: int
    items: list[BatchItemResult]

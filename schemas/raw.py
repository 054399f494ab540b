"""`wire.raw`: what an agency submitted, untouched."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas._types import UtcDatetime, WireBytes

#: Formats the normalise stage understands. ``auto`` sniffs the payload.
FormatHint = Literal["auto", "text", "ninjs", "nitf", "newsml-g2", "newsml-1.2", "html", "iptc7901", "anpa1312"]


class RawSubmission(BaseModel):
    """One submission from one agency, exactly as received."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    submission_id: str = Field(min_length=1, max_length=200, description="Unique id of this submission")
    agency: str = Field(min_length=1, max_length=100, description="Agency that sent it (from its credentials)")
    format_hint: FormatHint = Field("auto", description="Declared format; 'auto' sniffs the payload")
    content_type: str | None = Field(None, max_length=200, description="MIME type as sent, with charset if any")
    received_at: UtcDatetime = Field(description="When the pipeline accepted it (UTC)")
    claimed_agency: str | None = Field(
        None, description="Agency named inside the payload when it differs from the authenticated one"
    )
    payload: WireBytes = Field(description="The submitted bytes, base64 in JSON")

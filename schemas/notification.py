"""Notification topics: a compact notice per story and subscription."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas._types import CountryCode, UtcDatetime
from schemas.enriched import Verdict


class Notification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    notification_id: str = Field(description="Stable for (subscription, uri, version): consumers drop repeats")
    subscription: str
    uri: str
    version: int = Field(ge=1)
    verdict: Verdict
    headline: str
    agency: str
    urgency: int | None = None
    focus_country: CountryCode | None = None
    countries: list[CountryCode] = Field(default_factory=list)
    blocs: list[str] = Field(default_factory=list)
    versioncreated: UtcDatetime
    received_at: UtcDatetime
    link: str | None = None

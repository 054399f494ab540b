"""`wire.normalised`: one canonical story, whatever format it arrived in."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas._types import CountryCode, UtcDatetime

PubStatus = Literal["usable", "withheld", "canceled"]
Signal = Literal["update", "correction", "kill", "advisory"]
SourceFormat = Literal["text", "ninjs", "nitf", "newsml-g2", "newsml-1.2", "html", "iptc7901", "anpa1312"]


class Dateline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The dateline as printed, e.g. 'BISHKEK (TCA) —'")
    place: str | None = Field(None, description="Place name in normal case, e.g. 'Bishkek'")
    country: CountryCode | None = Field(None, description="ISO 3166-1 alpha-2 of the place, when known")
    date: str | None = Field(None, description="Date as printed in the dateline (e.g. 'Nov 29'), unparsed")


class Subject(BaseModel):
    """A subject or keyword the agency supplied, kept as given."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(None, description="Scheme-qualified code, e.g. 'medtop:04000000'")
    name: str | None = None
    scheme: str | None = None


class Story(BaseModel):
    """The canonical story. Identity is (uri, version)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    uri: str = Field(min_length=1, description="Stable identity across versions")
    version: int = Field(1, ge=1, description="Version of this uri; higher supersedes lower")
    agency: str = Field(min_length=1, description="Authenticated source agency")
    headline: str = Field(min_length=1)
    body: list[str] = Field(min_length=1, description="Clean body paragraphs, NFC, dateline removed")
    byline: str | None = Field(None, description="Names of the authors, without job titles")
    byline_title: str | None = Field(
        None, description="The authors' job title or affiliation as printed under the byline, e.g. 'AP Business Writer'"
    )
    ednote: str | None = Field(
        None,
        description="Editor's note: agency notes, notebooks, contacts and advisories not for publication (not body)",
    )
    dateline: Dateline | None = None
    language: str | None = Field(None, description="BCP 47 tag, e.g. 'en'")
    firstcreated: UtcDatetime | None = None
    versioncreated: UtcDatetime
    embargoed: UtcDatetime | None = Field(None, description="Not to be published before this instant")
    pubstatus: PubStatus = "usable"
    signals: list[Signal] = Field(default_factory=list)
    urgency: int | None = Field(None, ge=1, le=9, description="IPTC urgency, 1 most urgent")
    subjects: list[Subject] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    source_format: SourceFormat
    content_hash: str = Field(description="sha256 hex of the normalised headline and body")
    submission_id: str = Field(description="The RawSubmission this came from")
    received_at: UtcDatetime = Field(description="When the pipeline accepted the submission")

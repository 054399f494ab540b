"""`wire.normalised`: one canonical story, whatever format it arrived in."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


BlockKind = Literal["crosshead", "quote", "table", "caption", "factbox"]
#: Block kinds whose text is part of ``Story.body``; captions and fact boxes stand beside the story text.
BODY_KINDS = frozenset({"crosshead", "quote", "table"})


class Block(BaseModel):
    """A block of the story that is not a plain paragraph, with its role."""

    model_config = ConfigDict(extra="forbid")

    kind: BlockKind
    text: str | None = Field(
        None, description="crosshead, quote, caption: the text; factbox: its title, if any"
    )
    rows: list[list[str]] | None = Field(None, description="table: its rows, each a list of cell texts")
    paragraphs: list[str] | None = Field(None, description="factbox: its paragraphs")
    credit: str | None = Field(None, description="caption: the photographer or source credited")


def row_text(cells: list[str]) -> str:
    """A table row as one body paragraph: its non-empty cells joined by `` | ``."""
    return " | ".join(c for c in cells if c)


def body_of(blocks: list[str | Block]) -> list[str]:
    """The plain-text body of ``blocks``: paragraphs (plain strings), the text of crossheads and quotes, one
    paragraph per table row (:func:`row_text`); captions and fact boxes are not body text."""
    out: list[str] = []
    for b in blocks:
        if isinstance(b, str):
            out.append(b)
        elif b.kind == "table":
            out.extend(t for r in b.rows or [] if (t := row_text(r)))
        elif b.kind in BODY_KINDS and b.text:
            out.append(b.text)
    return out


class Story(BaseModel):
    """The canonical story. Identity is (uri, version)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    uri: str = Field(min_length=1, description="Stable identity across versions")
    version: int = Field(1, ge=1, description="Version of this uri; higher supersedes lower")
    agency: str = Field(min_length=1, description="Authenticated source agency")
    headline: str = Field(min_length=1)
    body: list[str] = Field(min_length=1, description="Clean body paragraphs, NFC, dateline removed")
    blocks: list[str | Block] | None = Field(
        None,
        description="The story's structure when it has more than paragraphs, in reading order: a string is a plain"
        " paragraph, an object a crosshead, quote, table, caption or fact box; `body` is its plain text (see"
        " `body_of`). Absent for plain paragraphs.",
    )
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

    @model_validator(mode="after")
    def _blocks_match_body(self) -> Story:
        if self.blocks is not None and body_of(self.blocks) != self.body:
            raise ValueError("body must be the plain text of blocks (body_of(blocks))")
        return self

"""What a format parser extracts, before the shared finishing steps turn it into a ``Story``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pipeline.stages.normalise.structure import Structure
from schemas.story import Dateline, PubStatus, Signal, SourceFormat, Subject


def names_publisher(byline: str, publishers: frozenset[str] | set[str]) -> bool:
    """True when the "author" is the site or its publisher (``Ediciones El País`` on ``EL PAÍS``,
    ``Daily Planet staff``), not a writer; ``publishers`` are folded names (case-blind, without spaces)."""
    folded = byline.casefold().replace(" ", "")
    return any(name == folded or (len(name) >= 4 and name in folded) for name in publishers)


@dataclass
class Draft:
    """One story as a parser read it. Text fields are raw (the finisher cleans them)."""

    source_format: SourceFormat
    headline: str | None = None
    body: list[str] = field(default_factory=list)
    #: The body's markup as read: its paragraphs (``body`` as parsed) and its crossheads, quotes, tables, captions
    #: and fact boxes; finishing keeps the blocks that follow the finished body (``Story.blocks``).
    structure: Structure | None = None
    #: True when the body is printed wire copy that may hold captions, bylines and sign-offs.
    wire_copy: bool = False
    byline: str | None = None
    #: A byline found outside the story text (an HTML page's markup): used only when the text prints none.
    byline_guess: str | None = None
    #: The site's and publisher's names (folded: case-blind, without spaces): a byline naming one is no writer.
    publishers: frozenset[str] = frozenset()
    #: The authors' job title printed under the byline ("AP Sports Writer"), kept out of ``byline``.
    byline_title: str | None = None
    #: Editor's notes, notebooks and contacts: never body text.
    ednote: list[str] = field(default_factory=list)
    dateline: Dateline | None = None
    language: str | None = None
    uri: str | None = None
    #: The agency's own id for the story, used for the uri when the format has no uri of its own.
    agency_id: str | None = None
    version: int | None = None
    firstcreated: datetime | None = None
    versioncreated: datetime | None = None
    embargoed: datetime | None = None
    pubstatus: PubStatus = "usable"
    signals: list[Signal] = field(default_factory=list)
    urgency: int | None = None
    subjects: list[Subject] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    #: Where in the document this story came from (for error messages), e.g. "newsItem[2]".
    where: str = "document"


@dataclass(frozen=True)
class ParseContext:
    """What a parser may know about the submission besides its text."""

    agency: str
    timezone: str
    max_depth: int
    content_type: str | None = None

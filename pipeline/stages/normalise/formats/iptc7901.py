"""IPTC 7901 wire text (dpa, ATS/SDA, APA, ANSA and others).

``SOH`` header line (``eca062 4 i 211 ccccb dpa 061``: service and number, priority digit, category,
word count, agency) → never the headline; its priority digit is the urgency. Lines before ``STX`` are
slug/keyword lines (``Germany-politics/``) → keywords. After ``STX`` the head block (up to the first blank
line or a line ending ``=``): take lines (``1ST LEAD``, ``REFILE``, ``URGENT``) → signals/urgency,
``By …`` → byline (affiliation after a comma → byline title), notes such as ``(Achtung)`` → editor's note,
the rest → headline (its final ``=`` removed). Then hard-wrapped paragraphs until ``ETX``; the agency's
"not for publication" notebook and contacts → editor's note, never body; its desk sign-off dropped. The
trailer after ``ETX`` (``131137 GMT Nov 13``) → versioncreated. Agency differences: ``wire_profiles.py``.
"""

from __future__ import annotations

import re

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.draft import Draft, ParseContext
from pipeline.stages.normalise.formats import register
from pipeline.stages.normalise.wire_profiles import BY_LINE, HeaderFields, WireProfile, apply_take, framed_draft
from pipeline.stages.normalise.wireframe import wrapped_paragraphs

#: The SOH header line: service and number, priority digit (the urgency; 0: none), category.
_HEADER = HeaderFields(
    0,
    re.compile(r"^(?P<service>\S+)\s+(?P<priority>\d)\s+(?P<category>[a-z]{1,3})\b", re.I),
    lambda priority: int(priority) or None,
)
_NOTE = re.compile(r"^\(.*\)$")
_SLUG = re.compile(r"^/?[^\s/][^/]*(?:/[^/]+)*/$")
_MARKDOWN = re.compile(r"^(?:#+\s*|[-*]\s+)")
_RULE = re.compile(r"^[*\-=_ ]{3,}$")


@register("iptc7901")
def parse_iptc7901(text: str, ctx: ParseContext) -> list[Draft]:
    frame, profile, draft, _ = framed_draft(text, ctx, "iptc7901", "IPTC 7901", _HEADER)
    draft.keywords = [k for line in frame.header[1:] for k in (p.strip() for p in line.split("/")) if k]
    lines = frame.text
    start = next((i for i, ln in enumerate(lines) if ln.strip()), len(lines))
    head_end = _head_end(lines, start)
    headline: list[str] = []
    for line in lines[start:head_end]:
        line = line.strip().removesuffix("=").strip()
        if not line or apply_take(draft, line):
            continue
        if _SLUG.match(line) and not headline:  # slug lines when no STX set them apart
            draft.keywords.extend(k for k in (p.strip() for p in line.split("/")) if k)
            continue
        if (by := BY_LINE.match(line)) and headline:
            name, _, title = by.group("name").partition(",")
            draft.byline, draft.byline_title = name.strip(), title.strip() or None
        elif _NOTE.match(line) and not headline:
            draft.ednote.append(line)
        else:
            headline.append(line)
    if not headline:
        raise StageError("missing_headline", "IPTC 7901: no headline line after STX")
    # A rubric on lines of its own before the headline ("Situation" / "France:") is not the headline.
    for i in range(len(headline) - 2, -1, -1):
        if headline[i].endswith(":"):
            headline = headline[i + 1 :]
            break
    draft.headline = " ".join(headline)
    draft.body, notes = _body(lines[head_end:], profile)
    draft.ednote.extend(notes)
    return [draft]


def _head_end(lines: list[str], start: int) -> int:
    """Index after the head block: up to a blank line or a line ending ``=`` (at most 8 lines), else one line."""
    for i in range(start, min(start + 8, len(lines))):
        if not lines[i].strip():
            return i
        if lines[i].rstrip().endswith("="):
            return i + 1
    return start + 1


def _body(lines: list[str], profile: WireProfile) -> tuple[list[str], list[str]]:
    """(paragraphs, editor's-note lines): the notebook and everything after it is a note; sign-offs dropped."""
    story: list[str] = []
    notes: list[str] = []
    in_notes = False
    for line in lines:
        stripped = line.strip()
        if profile.signoff is not None and profile.signoff.match(stripped):
            continue
        if not in_notes and stripped and profile.notebook.match(stripped):
            in_notes = True
        if in_notes:
            note = _MARKDOWN.sub("", stripped)
            if note and not _RULE.match(note):
                notes.append(note)
        else:
            story.append(line)
    paragraphs = [p for p in wrapped_paragraphs(story) if not _RULE.match(p)]
    return paragraphs, notes

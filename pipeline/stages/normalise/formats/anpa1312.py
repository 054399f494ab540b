"""ANPA 1312 wire text (AP, Kyodo, The Canadian Press).

``SYN SYN SOH`` then the header: selector code and service (``W2346␟asian``), then priority letter,
category, format identifier, keyword (slug), version (``3rdLd-Writethru``), date and word count. After
``STX``, lines that start with ``^`` are head lines: the first is the keyword line (``^BC-AS--China-…,
3rd Ld-Writethru,827<``: its versions are take lines → signals), the next the headline; before the first
paragraph, ``^By …=`` is the byline and the line under it a job title (own field), ``^AP Photo …<`` and
``^Eds: …<`` are editor's notes, other ``^…<`` lines are summaries (not body). Paragraphs start with a
TAB; ``<``/``=`` line ends are typesetting marks. The trailer after ``ETX`` (``AP-WF-05-09-17 0056GMT``)
→ versioncreated. A story without a headline line is named by its slug.
Priority ``f``/``b``/``u`` (flash, bulletin, urgent) → urgency 1/2/3.
"""

from __future__ import annotations

import re

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.draft import Draft, ParseContext
from pipeline.stages.normalise.formats import register
from pipeline.stages.normalise.wire_profiles import BY_LINE, HeaderFields, apply_take, framed_draft

_PRIORITY = {"f": 1, "b": 2, "u": 3}
#: Second header line: priority, category, format id (control characters already blanked), slug, version, date.
_HEADER = HeaderFields(
    1,
    re.compile(
        r"^(?P<priority>[a-z])\s+(?P<category>[a-z])\s+(?P<slug>\S+)\s*(?P<version>.*?)\s+\d{2}-\d{2}(?:\s+\d{1,5})?$"
    ),
    _PRIORITY.get,
)
_RULE = re.compile(r"^[_\-=*]{3,}$")
_END = re.compile(r"^(?:END|MORE|\(MORE\)|\(END\))$")
#: The count of words after the last comma of a keyword line: ``…,827``.
_WORDS = re.compile(r"^\d{1,5}$")


@register("anpa1312")
def parse_anpa1312(text: str, ctx: ParseContext) -> list[Draft]:
    frame, profile, draft, header = framed_draft(text, ctx, "anpa1312", "ANPA 1312", _HEADER)
    keyword_seen = False
    in_body = False
    after_byline = False
    paragraphs: list[str] = []
    current: list[str] = []

    def new_paragraph(line: str) -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()
        if line:
            current.append(line)

    for raw in frame.text:
        stripped = raw.strip()
        line = stripped.lstrip("^").rstrip("<=").strip() if stripped.startswith("^") else stripped.rstrip("<").strip()
        if stripped.startswith("^"):
            if not keyword_seen:
                keyword_seen = True
                _keyword_line(draft, line)
                continue
            if draft.headline is None and not in_body:
                draft.headline = line
                continue
            if not in_body:
                title_next, after_byline = after_byline, False
                if by := BY_LINE.match(line):
                    draft.byline = by.group("name").strip()
                    after_byline = True
                elif title_next and profile.byline_title.match(line):
                    draft.byline_title = line
                elif profile.ednote_line.match(line):
                    draft.ednote.append(line)
                elif stripped.endswith("<") and draft.byline is None:
                    pass  # a summary of the story between headline and byline: not body text
                else:
                    new_paragraph(line)
                    new_paragraph("")
                continue
            if not _END.match(line):
                new_paragraph(line)
                new_paragraph("")
            continue
        if not line:
            new_paragraph("")
        elif _RULE.match(line):
            # A rule (``___``) before closing notes is kept as a paragraph: finishing drops it with the notes.
            new_paragraph(line)
            new_paragraph("")
        elif raw[:1] == "\t" or raw[:2] == "  ":
            in_body = True
            new_paragraph(line)
        elif not keyword_seen and draft.headline is None and not in_body and not paragraphs and not current:
            # Copy sent without ``^`` head lines: its first line flush left, before any paragraph, is the headline.
            draft.headline = line
        elif current:
            current.append(line)
        else:
            new_paragraph(line)
    new_paragraph("")
    if not draft.headline and draft.keywords:
        # A story sent with its keyword line only (alerts, agate): the slug names it.
        draft.headline = draft.keywords[0]
    if not draft.headline and header is not None and (slug := header.group("slug").strip("-")):
        # Neither head lines nor a flush-left first line: the header's keyword names the story.
        draft.headline = slug
    if not draft.headline:
        raise StageError("missing_headline", "ANPA 1312: no headline line after the keyword line")
    draft.body = paragraphs
    return [draft]


def _keyword_line(draft: Draft, line: str) -> None:
    """``BC-AS--China-Daring Escape-ABRIDGED, 3rd Ld-Writethru,827``: slug → keyword, versions → take lines."""
    parts = [p.strip() for p in line.split(",")]
    if parts and _WORDS.match(parts[-1]):
        parts.pop()
    slug = parts[0] if parts else ""
    for version in parts[1:]:
        apply_take(draft, version)
    slug = slug.split("--", 1)[-1] if "--" in slug else slug
    if slug:
        draft.keywords.append(slug)

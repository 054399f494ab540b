"""Plain wire text: line 1 is the headline; the rest is printed wire copy."""

from __future__ import annotations

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.cleaning import clean_inline, split_plain_paragraphs
from pipeline.stages.normalise.draft import Draft, ParseContext
from pipeline.stages.normalise.formats import register


@register("text")
def parse_text(text: str, ctx: ParseContext) -> list[Draft]:
    stripped = text.strip()
    if not stripped:
        raise StageError("empty_body", "the text payload is empty")
    first_line, _, rest = stripped.partition("\n")
    headline = clean_inline(first_line)
    if not headline:
        raise StageError("missing_headline", "line 1 of the text payload is blank")
    return [
        Draft(source_format="text", headline=headline, body=split_plain_paragraphs(rest), wire_copy=True, where="text")
    ]

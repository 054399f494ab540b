"""Plain wire text: line 1 is the headline; the rest is printed wire copy.

Telex framing (``ZCZC`` … ``NNNN``, the start and end of message of telegraph and wire networks, as AAP and
Medianet still send it) is understood: the ``ZCZC`` line and the routing lines under it (``%MNETALL MFI MGD``,
``$J``, ``*X``, ``YY TDR``, ``:POTTED :Eagle Farm MARKET DAY``) are not story text, nor is anything after
``NNNN``. The headline is then the first line after the routing lines, unless that line is indented (an
indented line starts a paragraph: the story has no headline line), when the last routing keyword (the text after
the last ``:``) stands for it.

Release furniture is not story text either: header lines above the headline (``Source: IndiGrid``, ``MEDIA
RELEASE PR74541``), a leading line that is only a date (``Tue 13 October 2015``), and
closing lines that are a bare web address, a ``SOURCE:`` line or the agency's desk sign-off (its wire profile's,
``AAP BETTING``).
"""

from __future__ import annotations

import re

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.cleaning import clean_inline, split_plain_paragraphs
from pipeline.stages.normalise.draft import Draft, ParseContext
from pipeline.stages.normalise.formats import register
from pipeline.stages.normalise.months import month_number
from pipeline.stages.normalise.wire_profiles import wire_profile

#: The start-of-message line of telex framing.
_TELEX_START = re.compile(r"ZCZC\b")
#: The end-of-message line: nothing after it is the story.
_TELEX_END = re.compile(r"^[ \t]*NNNN[ \t]*\r?$", re.M)
#: A routing line under ``ZCZC``: a sigil-led code (``%``, ``$``, ``:``, ``*``, ``~``, ``@``, ``#``) or a
#: two-letter priority with an address (``YY TDR``).
_ROUTING = re.compile(r"^(?:[%$:*~@#]\S*(?:\s.*)?|[A-Z]{2} [A-Z0-9]{2,8})$")


def _telex(text: str) -> tuple[str | None, str, list[str]]:
    """(headline or None, the text after the headline, the routing lines) of a telex-framed message."""
    end = _TELEX_END.search(text)
    lines = text[: end.start() if end else len(text)].splitlines()[1:]  # line 1 is ZCZC
    routing: list[str] = []
    at = 0
    while at < len(lines) and (not lines[at].strip() or _ROUTING.match(lines[at].strip())):
        if lines[at].strip():
            routing.append(lines[at].strip())
        at += 1
    if at < len(lines) and lines[at][:1] not in (" ", "\t"):
        return clean_inline(lines[at]) or None, "\n".join(lines[at + 1 :]), routing
    return None, "\n".join(lines[at:]), routing


#: A line that is only a date: ``Tue 13 October 2015``, ``October 13, 2015``, ``13. Oktober 2015``.
_DATE_ONLY = re.compile(
    r"^(?:[^\W\d_]{2,12}\.?,?\s+)?(?:\d{1,2}\.?\s+(?P<a>[^\W\d_]{3,12})\.?|(?P<b>[^\W\d_]{3,12})\.?\s+\d{1,2}),?"
    r"\s+\d{4}$"
)
#: A header line of a press release above its headline.
_RELEASE_HEAD = re.compile(r"(?:Source: [^\n]{1,80}|(?:MEDIA|PRESS|NEWS) RELEASE(?: [A-Z]{0,4}\d+)?)[ \t]*\r?\n")
#: Closing lines of a release: a bare web address, the release's source.
_CLOSING = re.compile(r"^(?:https?://\S+|SOURCE:.*|Source:.*)$")


def _date_only(line: str) -> bool:
    m = _DATE_ONLY.match(line.strip())
    return m is not None and month_number(m.group("a") or m.group("b")) is not None


def _without_closing(rest: str, signoff: re.Pattern[str] | None) -> str:
    """``rest`` without its closing furniture lines (blank, web address, ``SOURCE:``, the desk sign-off).

    Read from the end, line by line, so a long story is not split into lines for it."""
    end = len(rest)
    while end > 0:
        start = rest.rfind("\n", 0, end) + 1
        last = rest[start:end].strip()
        if last and not _CLOSING.match(last) and not (signoff is not None and signoff.match(last)):
            break
        end = max(start - 1, 0)
    return rest[:end]


def _keyword(routing: list[str]) -> str | None:
    """The last keyword of the routing lines (``:POTTED :Eagle Farm MARKET DAY`` → ``Eagle Farm MARKET DAY``)."""
    for line in reversed(routing):
        if line.startswith(":") and (word := clean_inline(line.rsplit(":", 1)[1])):
            return word
    return None


@register("text")
def parse_text(text: str, ctx: ParseContext) -> list[Draft]:
    stripped = text.strip()
    if not stripped:
        raise StageError("empty_body", "the text payload is empty")
    routing: list[str] = []
    if _TELEX_START.match(stripped):
        headline, rest, routing = _telex(stripped)
        headline = headline or _keyword(routing)
        if not headline:
            raise StageError("missing_headline", "telex message: no headline line and no keyword after ZCZC")
    else:
        # A release's header lines before its headline: "Source: IndiGrid", "MEDIA RELEASE PR74541".
        while (m := _RELEASE_HEAD.match(stripped)) and "\n" in stripped:
            stripped = stripped[m.end() :].lstrip()
        first_line, _, rest = stripped.partition("\n")
        headline = clean_inline(first_line)
        if not headline:
            raise StageError("missing_headline", "line 1 of the text payload is blank")
    profile = wire_profile(ctx.agency, *routing[:1])
    body = split_plain_paragraphs(_without_closing(rest, profile.signoff))
    if len(body) > 1 and _date_only(body[0]):
        body = body[1:]
    draft = Draft(source_format="text", headline=headline, body=body, wire_copy=True, where="text")
    draft.language = profile.language
    return [draft]

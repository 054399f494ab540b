"""Teletype-era wire framing shared by IPTC 7901 and ANPA 1312: control characters, lines, trailers.

A transmission is ``[padding] [SYN SYN] SOH header-lines STX text ETX trailer [EOT]``. Padding is runs of
NUL, DEL or SYN (and blank lines) before or after the message. :func:`split_frame` cuts the parts apart;
:func:`wrapped_paragraphs` joins hard-wrapped lines into paragraphs; :func:`trailer_time` reads the
transmission time that agencies put after ETX.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

from pipeline.stages.normalise.months import month_number
from pipeline.stages.normalise.timestamps import zone

SOH, STX, ETX, EOT, SYN = "\x01", "\x02", "\x03", "\x04", "\x16"
#: Characters that pad a transmission before SOH and after ETX/EOT.
PADDING = "\x00\x7f\x16\x1a\x0c \t\r\n"
#: Control characters other than TAB and LF (CR is dropped with the line split): typesetting codes.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

Framing = Literal["iptc7901", "anpa1312"]
#: An IPTC 7901 header line: service letters and number, priority digit, category, word count
#: (``eca00075 3 i 510    dpa 1003``).
HEADER_LINE = re.compile(r"^[a-z]{2,5}\d{2,6}\s+\d\s+[a-z]{1,3}\s+\d{1,5}\b[^\n]{0,40}\r?\n")


@dataclass
class Frame:
    """The parts of one framed transmission, as text lines (CR LF and CR line ends read as LF)."""

    #: Lines between SOH and STX; the first is the header line (service, number, priority, ...).
    header: list[str] = field(default_factory=list)
    #: Lines of the message text between STX and ETX (control characters other than TAB removed).
    text: list[str] = field(default_factory=list)
    #: Non-blank lines after ETX (EOT and padding removed).
    trailer: list[str] = field(default_factory=list)
    #: Whether SYN characters came before SOH (ANPA 1312 synchronisation).
    synced: bool = False


def lines_of(text: str) -> list[str]:
    """Lines of ``text`` with typesetting control characters replaced by a space (TAB kept)."""
    return [_CONTROLS.sub(" ", line) for line in _LINE_BREAK.split(text)]


def framing(text: str) -> Framing | None:
    """Which teletype framing ``text`` uses, from its first characters; None when it is not framed.

    ANPA 1312 opens with SYN SYN SOH, or its header line holds a US (0x1F) separator, or its second line a
    DC1–DC4 format identifier; any other SOH-opened text is IPTC 7901.
    """
    head = text[:600]
    start = head.lstrip(PADDING)
    if not start.startswith(SOH):
        # Copy whose control characters were stripped on the way still opens with the 7901 header line.
        return "iptc7901" if HEADER_LINE.match(start) else None
    soh = head.index(SOH)
    first_lines = head[soh + 1 :].split("\n", 2)
    if SYN in head[:soh] or "\x1f" in first_lines[0] or any(c in "".join(first_lines[1:2]) for c in "\x11\x12\x13\x14"):
        return "anpa1312"
    return "iptc7901"


def split_frame(text: str) -> Frame:
    """Cut a framed transmission into header, text and trailer; a missing STX or ETX is tolerated."""
    frame = Frame()
    soh = text.find(SOH)
    frame.synced = soh > 0 and SYN in text[:soh]
    rest = text[soh + 1 :] if soh >= 0 else text.lstrip(PADDING)
    stx = rest.find(STX)
    if stx >= 0:
        header, rest = rest[:stx], rest[stx + 1 :]
    else:
        header, _, rest = rest.partition("\n")
    frame.header = [ln.strip() for ln in lines_of(header) if ln.strip()]
    etx = rest.find(ETX)
    body, trailer = (rest[:etx], rest[etx + 1 :]) if etx >= 0 else (rest, "")
    frame.text = lines_of(body.rstrip(PADDING))
    frame.trailer = [t for ln in lines_of(trailer) if (t := ln.strip(PADDING + "<"))]
    return frame


def wrapped_paragraphs(lines: list[str]) -> list[str]:
    """Paragraphs of hard-wrapped wire text: a blank line, or an indented line, starts a new one."""
    out: list[str] = []
    current: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if current:
                out.append(" ".join(current))
                current = []
            continue
        if current and (line[:1] == "\t" or line[:2] == "  "):
            out.append(" ".join(current))
            current = []
        current.append(stripped)
    if current:
        out.append(" ".join(current))
    return out


#: ``131137 GMT Nov 13``: day, hour, minute, zone, month, two-digit year (IPTC 7901 trailers, dpa).
_DAY_TIME_MONTH = re.compile(
    r"^(?P<day>\d{2})(?P<hour>\d{2})(?P<minute>\d{2})\s*(?P<zone>[A-Z]{3,4})?\s+(?P<month>[^\W\d_]{3,}\.?)"
    r"\s+(?P<year>\d{2}|\d{4})$"
)
#: ``AP-WF-05-09-17 0056GMT``: month-day-year, hour and minute, zone (ANPA trailers, AP).
_AP_TRAILER = re.compile(
    r"^[A-Z]{2,4}-[A-Z]{2}-(?P<month>\d{2})-(?P<day>\d{2})-(?P<year>\d{2})\s+(?P<hour>\d{2})(?P<minute>\d{2})"
    r"\s*(?P<zone>[A-Z]{3,4})?$"
)
#: Zone abbreviations printed in wire trailers and page times → fixed offsets.
ZONE_ABBREVIATIONS = {
    "GMT": UTC,
    "UTC": UTC,
    "UT": UTC,
    "Z": UTC,
    "MEZ": timezone(timedelta(hours=1)),
    "CET": timezone(timedelta(hours=1)),
    "MESZ": timezone(timedelta(hours=2)),
    "CEST": timezone(timedelta(hours=2)),
    "EST": timezone(timedelta(hours=-5)),
    "EDT": timezone(timedelta(hours=-4)),
    "EET": timezone(timedelta(hours=2)),
    "EEST": timezone(timedelta(hours=3)),
    "PST": timezone(timedelta(hours=-8)),
    "PDT": timezone(timedelta(hours=-7)),
    "JST": timezone(timedelta(hours=9)),
}


def trailer_time(trailer: list[str], tz: str) -> datetime | None:
    """The transmission time in a trailer line, in UTC; a trailer without a zone is in ``tz``."""
    for line in trailer:
        m = _DAY_TIME_MONTH.match(line) or _AP_TRAILER.match(line)
        if m is None:
            continue
        month = m.group("month")
        number = int(month) if month.isdigit() else month_number(month)
        year = int(m.group("year"))
        if number is None:
            continue
        zone_name = m.group("zone")
        if zone_name is not None and zone_name not in ZONE_ABBREVIATIONS:
            continue
        try:
            local = datetime(
                year + 2000 if year < 100 else year,
                number,
                int(m.group("day")),
                int(m.group("hour")),
                int(m.group("minute")),
            )
        except ValueError:
            continue
        return local.replace(tzinfo=ZONE_ABBREVIATIONS[zone_name] if zone_name else zone(tz)).astimezone(UTC)
    return None

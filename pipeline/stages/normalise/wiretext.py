"""Wire-copy conventions inside body paragraphs: datelines, bylines, captions, advisories, sign-offs.

Every format's body goes through :func:`strip_dateline`; the plain-text formats (and text bodies
that carry the whole printed story) also go through :func:`analyse`, which drops captions before the
dateline, advisory lines, sign-offs and trailing boilerplate. Each rule only removes a paragraph that
matches a narrow shape, so real paragraphs are kept when in doubt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.stages.normalise.months import month_number
from pipeline.stages.normalise.wire_profiles import take_kind
from schemas.story import Dateline, Signal

_WEEKDAY = r"(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?"
#: The start of a printed date: ``Nov 29``, ``29 novembre``, ``3 de diciembre``, ``Monday``, ``2024``, ``4/4/2018``.
#: The shape of a printed date's start: ``Nov 29``, ``29 novembre``, ``3 de diciembre``, ``3月``, ``Monday``,
#: ``2024``, ``4/4/2018``. The word is then looked up in the CLDR month names (one dictionary lookup is much
#: cheaper than a regular expression alternating 370 month names).
_DATE_SHAPE = re.compile(
    rf"^(?:(?P<a>[^\W\d_]{{2,15}})\.?\s+\d{{1,2}}\b|\d{{1,2}}\.?\s+(?:de\s+)?(?P<b>[^\W\d_]{{2,15}})\.?(?!\w)"
    rf"|\d{{1,2}}月|{_WEEKDAY}\b|\d{{4}}\b|\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}\b)",
    re.I,
)


def _date_start(text: str) -> bool:
    """Whether ``text`` starts with a printed date (month names in any of the CLDR languages listed)."""
    m = _DATE_SHAPE.match(text)
    if m is None:
        return False
    word = m.group("a") or m.group("b")
    return word is None or month_number(word) is not None or _WEEKDAY_START.match(text) is not None


_WEEKDAY_START = re.compile(rf"^{_WEEKDAY}\b", re.I)


#: Dashes that end a dateline; ``_`` is the dash of ANPA copy (``BEIJING (AP) _``).
_DASH = r"(?:—|–|‒|―|--|-|_)"
_WORD = r"[^\W\d_][^\W\d_'’.\-]*"
_PLACE = rf"{_WORD}(?:[ '’.\-]+{_WORD}){{0,4}}"
_EXTRA = r"(?:[,،]\s*[^,،()\n—–]{1,40}?){0,4}"

#: ``PLACE[, region][, date] (AGENCY) —`` (place in any case, agency in parentheses); also ``(EFE).-`` and
#: ``(NTB):``.
_DATELINE_AGENCY = re.compile(
    rf"^(?P<text>(?P<place>{_PLACE})(?P<extra>{_EXTRA})\s*\((?P<agency>[^()\n]{{1,30}})\)"
    rf"\s*(?P<dash>\.?\s*{_DASH}|:))(?:\s+|$)"
)
#: ``Jan. 12 (BusinessDesk) -``: a date and the agency, no place.
_DATELINE_DATE_ONLY = re.compile(
    r"^(?P<text>(?P<date>(?P<a>[^\W\d_]{2,15})\.?\s+\d{1,2}|\d{1,2}\.?\s+(?P<b>[^\W\d_]{2,15})\.?)(?:,?\s+\d{4})?\s*"
    rf"\((?P<agency>[^()\n]{{1,30}})\)\s*(?P<dash>\.?\s*{_DASH}|:))(?:\s+|$)"
)
#: ``(Sports Network) -``: the agency alone opens the story.
_DATELINE_AGENCY_ONLY = re.compile(rf"^(?P<text>\((?P<agency>[A-Z][\w .&\-]{{1,30}})\)\s*(?P<dash>{_DASH}|:))\s+(?=\S)")
#: ``Paris (ats afp) Les violences …``: a known agency in parentheses and no dash (ATS/SDA copy).
_DATELINE_NO_DASH = re.compile(
    rf"^(?P<text>(?P<place>{_PLACE})(?P<extra>{_EXTRA})\s*\((?P<agency>[^()\n]{{1,30}})\))\s+(?=[^\W\d_a-z«\"“])"
)
#: ``MOSCOW, January 21. /TASS/.`` (TASS puts the agency between slashes after the date).
_DATELINE_SLASHED = re.compile(
    rf"^(?P<text>(?P<place>{_PLACE})(?P<extra>{_EXTRA})\.?\s*/(?P<agency>[^\W\d_][\w\-]{{1,23}})/\.?(?P<dash>\s*(?:{_DASH}|:))?)"
    r"(?:\s+|$)"
)
#: ``(ANSA) - Rome, October 11 -`` (the agency before the place).
_DATELINE_AGENCY_FIRST = re.compile(
    rf"^(?P<text>\((?P<agency>[A-Z][\w\-/]{{1,15}})\)\s*{_DASH}\s*(?P<place>{_PLACE})(?P<extra>{_EXTRA})\s*"
    rf"(?P<dash>{_DASH}))(?:\s+|$)"
)
#: ``PLACE, date —`` or ``PLACE —`` with the place in capitals and no agency.
_CAPS_WORD = r"[A-Z][A-Z'’.\-]*"
_DATELINE_CAPS = re.compile(
    rf"^(?P<text>(?P<place>{_CAPS_WORD}(?: {_CAPS_WORD}){{0,4}})(?P<extra>{_EXTRA})\s*(?P<dash>—|–|--|-))\s+"
)
#: Capitalised words that open a paragraph with a dash but are not places.
_NOT_PLACES = frozenset(
    {
        "NATO",
        "UN",
        "EU",
        "US",
        "UK",
        "BREAKING",
        "UPDATE",
        "EXCLUSIVE",
        "ANALYSIS",
        "URGENT",
        "FLASH",
        "ALERT",
        "OPINION",
        "COMMENT",
        "FACTBOX",
        "EXPLAINER",
        "WRAPUP",
        "NOTE",
        "CORRECTION",
        "NEW",
        "THE",
    }
)

_NAME = r"[^\W\d_][^\W\d_'’.\-]*(?: (?:[^\W\d_][^\W\d_'’.\-]*|[a-z]{1,3})){1,4}"
_CAP_WORD = r"[^\W\d_a-z][^\W\d_'’.\-]*"
_PERSON = re.compile(rf"^(?P<name>{_CAP_WORD}(?: (?:van|von|de|da|del|der|al|bin|la|le|{_CAP_WORD})){{1,3}})$")
#: A printed byline: ``By …`` and its equivalents, and Chinese ``执笔/…`` / ``文/…`` / ``作者：…`` ("written by").
_BY = re.compile(r"^(?:(?:By|BY|Von|Par|Por|Av)\s+|(?:执笔|文|作者)\s*[/／:：]\s*)(?P<name>[^\s].{1,100})$")
_SIGNOFF_COMBINED = re.compile(rf"^(?P<name>{_NAME})\s*[/|,]\s*(?P<agency>[A-Z][A-Za-z&\-]{{1,15}})$")
_AGENCY_TOKEN = re.compile(r"^\(?[A-Z][A-Z0-9&.\-]{1,11}\)?$")

_ADVISORY = re.compile(
    r"^(?:\(\s*)?(?P<kw>RECASTS?|UPDATES?(?: \d+)?|CORRECTS?|CORRECTED|CORRECTION|REFILES?|REPEATS?|ADDS"
    r"|WRAPUP(?: \d+)?"
    r"|EDITOR[’']?S NOTE|EDITORS NOTE|NOTE TO EDITORS|ADVISORY|KILL|KILLED|WITHDRAWN|WITHDRAWS"
    r"|(?i:nieuw bericht)(?=, vervangt\b)"
    r"|(?:\d+(?:ST|ND|RD|TH) LEAD|(?:\d+(?:st|nd|rd|th) )?Ld-Writethru|WRITETHRU|URGENT|FLASH)(?=\s*(?:$|[-:—]))"
    r"|(?<=\()\s*(?:Recasts|Updates|Corrects|Refiles|Adds|Repeats)(?= )"
    r"|(?<=\()In [^()]{0,40}\b(?:story|item|report), (?:corrects|updates|adds|recasts|refiles)(?= ))\b"
)
_SIGNAL_OF = {
    "RECAST": "update",
    "LD-WRITETHRU": "update",
    "WRITETHRU": "update",
    "UPDATE": "update",
    "ADDS": "update",
    "WRAPUP": "update",
    "CORRECT": "correction",
    "KILL": "kill",
    "WITHDRAW": "kill",
    "NIEUW BERICHT": "update",  # ANP: "new story, replaces: <earlier headline>"
}
#: A first word printed letter-spaced for emphasis (ANP's "N i e u w bericht"), read as one word.
_LETTER_SPACED = re.compile(r"^(?:[^\W\d_] ){3,}[^\W\d_](?= )")

_BOILERPLATE = [
    re.compile(p, re.I)
    for p in (
        r"^view (?:more|all) (?:articles|stories|posts|news)\b.{0,60}$",
        r"^more (?:articles|stories|news) (?:from|by)\b.{0,60}$",
        r"^divider$",
        r"^(?:share|share this|share on \w+|tweet|email|print|save)(?: (?:this )?(?:article|story|page))?:?$",
        r"^(?:related|related (?:articles|stories|links|coverage)|read more|see also|recommended|more on this)\b"
        r"[:\s].{0,160}$",
        r"^(?:related|related articles|related stories|read more|see also|recommended)$",
        r"^(?:copyright|©|\(c\)\s*\d{4}|\(©).{0,200}$",
        r"^.{0,150}all rights reserved\.?$",
        r"^follow (?:us|[\w@]+) on (?:twitter|facebook|x|instagram|linkedin|telegram|bluesky)\b.{0,80}$",
        r"^(?:subscribe|sign up)\b.{0,100}$",
        r"^\(?(?:end|ends|more|-30-|###|xxx)\)?$",
        r"^[-*=_~•]{3,}$",
        r"^\((?:reporting|writing|additional reporting|editing|compiled|edited) by\b.{0,300}\)$",
        # The same credit line printed without parentheses on web pages: "Reporting by A; Editing by B".
        r"^(?:additional )?(?:reporting|writing) by\b[^.]{0,200}; editing by\b.{0,200}$",
        # Syndication notes closing web copy.
        r"^(?:this (?:article|story|report) (?:by .{1,60}? )?(?:was )?)?(?:originally|first) (?:appeared|published)\b"
        r".{0,150}$",
        # A pointer to read the story on another site ("Read the fact check at Faktisk.no", "Les saken på vg.no").
        r"^(?:read|les|läs|lue|lies|lisez|lire|lea|leer|leggi|lees)\b[^.!?]{0,60}\b"
        r"(?:on|at|in|på|auf|bei|sur|en|su|op)\s+\S+\.[a-z]{2,6}/?$",
        # Page loaders: "Loading comments…".
        r"^loading\b.{0,40}(?:\.\.\.|…)$",
        # A line of bracketed labels only (Chinese portals' "【纠错】 【责任编辑:…】") and editor credits.
        r"^(?:【[^】]{1,40}】\s*)+$",
        r"^[（(\[]\s*(?:责任编辑|编辑|责编|來源|来源)\s*[:：︰].{0,60}[)）\]]$",
    )
]
#: All of ``_BOILERPLATE`` as one pattern: it matches exactly when one of them does.
_BOILERPLATE_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in _BOILERPLATE), re.I)
#: A credit line under a byline: "AP Business Writer", "Associated Press" (short, no sentence end).
_CREDIT = re.compile(r"^[A-Z][\w'’&.\- ]{0,50}(?<![.!?:;,])$")
_NOTE = re.compile(
    r"^(?:this|an earlier version of this) (?:story|article|report|version)"
    r"(?: has been| was| is)? (corrected|updated)\b",
    re.I,
)
#: AFP-style sign-off codes: ``bur-dar-gl/fz``.
#: A desk code: words of 2-5 lower-case letters joined by ``-`` or ``/``, at least one ``/`` (checked apart): one
#: way to match each string, so a near miss fails in linear time (a mandatory ``/`` inside the pattern made
#: ``ab/ab/…1`` backtrack quadratically).
_DESK_CODE = re.compile(r"[a-z]{2,5}(?:[-/][a-z]{2,5})+")
_REPORTING_BY = re.compile(r"^\(?(?:reporting|writing) by (?P<name>[^;)]+)", re.I)  # names up to ";" or ")"
#: A caption: ends with a parenthesised photo credit, or starts with a photo marker.
_CAPTION = re.compile(
    r"(?:\((?:photo|foto|picture|image|file|credit)?[^()]{0,60}\)$|^(?:photo|file photo|picture|image|foto)\s*[:\-—–])",
    re.I,
)


@dataclass
class WireText:
    """What :func:`analyse` found in a list of body paragraphs."""

    body: list[str]
    dateline: Dateline | None = None
    byline: str | None = None
    byline_title: str | None = None
    signals: list[Signal] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def normal_case_place(place: str) -> str:
    """``GAZA CITY`` → ``Gaza City``; mixed-case places are kept as written."""
    if place.upper() != place:
        return place
    return _LETTERS.sub(_capitalized, place.lower())


_LETTERS = re.compile(r"[^\W\d_]+")


def _capitalized(m: re.Match[str]) -> str:
    return m.group(0).capitalize()


#: Lower-case words allowed inside a place name ("Rio de Janeiro", "Frankfurt am Main").
_PLACE_CONNECTORS = frozenset(
    {
        "de",
        "da",
        "do",
        "dos",
        "das",
        "del",
        "la",
        "le",
        "les",
        "am",
        "an",
        "der",
        "al",
        "el",
        "au",
        "aux",
        "sur",
        "upon",
        "on",
        "of",
        "y",
        "di",
        "van",
        "von",
        "bin",
    }
)


def _place_like(place: str) -> bool:
    """Every word capitalised (or a connector): "Gaza City", not "The minister"."""
    return all(w[:1].isupper() or w in _PLACE_CONNECTORS or not _cased(w[:1]) for w in place.split())


def _cased(ch: str) -> bool:
    """Whether ``ch`` is a letter of a script with case (Arabic, CJK, Thai … have none)."""
    return ch.upper() != ch.lower()


#: A Chinese agency dateline: agency, place, date and 电 ("wire"): ``新华社北京11月17日电``.
_DATELINE_CJK = re.compile(
    r"^(?P<text>(?P<agency>[\u4e00-\u9fff]{1,4}[社网])(?P<place>[\u4e00-\u9fff]{2,8}?)(?P<date>\d{1,2}月\d{1,2}日)电)"
    r"\s*"
)
#: The reporter credit right after it: ``（记者唐霁）``.
_CJK_REPORTER = re.compile(r"^[（(]\s*记者\s*(?P<name>[^（()）]{1,30})[）)]\s*")


def match_dateline(paragraph: str) -> tuple[Dateline, str] | None:
    """A dateline at the start of ``paragraph``: (Dateline, rest of the paragraph), else None."""
    if "\u4e00" <= paragraph[:1] <= "\u9fff" and (c := _DATELINE_CJK.match(paragraph)) is not None:
        return Dateline(text=c.group("text"), place=c.group("place"), date=c.group("date")), paragraph[c.end() :]
    if _ADVISORY.match(paragraph):
        return None
    m = _DATELINE_AGENCY.match(paragraph)
    if m is None and paragraph[:1] == "(":
        m = _DATELINE_AGENCY_FIRST.match(paragraph)
    if m is None and "/" in paragraph[:120]:
        m = _DATELINE_SLASHED.match(paragraph)
    if m is not None and (not _place_like(m.group("place")) or _date_start(m.group("place"))):
        m = None
    # The shapes below all need a parenthesis early on: one cheap test spares the regexes on most paragraphs.
    paren = paragraph.find("(", 0, 120)
    d = _DATELINE_DATE_ONLY.match(paragraph) if m is None and paren > 0 else None
    if d is not None and month_number(d.group("a") or d.group("b")) is not None:
        return Dateline(text=d.group("text").strip(), date=d.group("date")), paragraph[d.end() :].strip()
    if m is None and paren == 0 and (a := _DATELINE_AGENCY_ONLY.match(paragraph)) is not None:
        return Dateline(text=a.group("text").strip()), paragraph[a.end() :].strip()
    if m is None and paren > 0 and _is_agency(paragraph[paren + 1 : paragraph.find(")", paren, paren + 32)]):
        n = _DATELINE_NO_DASH.match(paragraph)
        if n is not None and _is_agency(n.group("agency")) and _place_like(n.group("place")):
            m = n
    if m is None:
        m = _DATELINE_CAPS.match(paragraph)
        if m is None or m.group("place").strip(" .'’-") in _NOT_PLACES or _date_start(m.group("place")):
            return None
        if len(m.group("place").replace(" ", "")) < 3:
            return None
        # Without an agency, a plain hyphen is only a dateline when a date or region follows the place.
        if m.group("dash") == "-" and not m.group("extra"):
            return None
        rest = paragraph[m.end() :]
        if not rest or (not rest[0].isupper() and rest[0] not in "“\"'‘«„"):
            return None
    place = m.group("place").strip()
    extra = [p.strip() for p in m.group("extra").replace("،", ",").split(",") if p.strip()]
    date: str | None = None
    for i, part in enumerate(extra):
        if _date_start(part):
            date = ", ".join(extra[i:])
            break
    rest = paragraph[m.end() :].strip()
    return Dateline(text=m.group("text").strip(), place=normal_case_place(place), date=date), rest


def printed_dateline(printed: str) -> tuple[str | None, str | None]:
    """(place, date) of a dateline printed on its own (a format's dateline field).

    ``WASHINGTON, Nov 29 (Reuters)`` → ("Washington", "Nov 29"); a date-only dateline (``4/4/2018``,
    ``Jan 2``) has no place; otherwise the text before the first comma is the place.
    """
    ended = printed if printed.rstrip()[-1:] in ("-", "—", "–", "_", ":", "/", ".") else printed + " -"
    found = match_dateline(ended + " X")
    if found is not None:
        return found[0].place, found[0].date
    first = printed.split(",")[0].strip(" -—–.")
    if not first or _date_start(first) or any(ch.isdigit() for ch in first):
        return None, printed if _date_start(printed.strip()) else None
    return normal_case_place(first), None


def strip_dateline(body: list[str], known: Dateline | None = None) -> tuple[list[str], Dateline | None]:
    """Remove a printed dateline from the first paragraph. ``known`` (from the format) wins for fields."""
    if not body:
        return body, known
    return _strip_found(body, known, match_dateline(body[0]))


def _strip_found(
    body: list[str], known: Dateline | None, found: tuple[Dateline, str] | None
) -> tuple[list[str], Dateline | None]:
    """:func:`strip_dateline` for a non-empty body, given ``match_dateline(body[0])``."""
    first = body[0]
    if found is None and known is not None and known.text:
        # The format gave the dateline text: strip it when the paragraph starts with it.
        if first.startswith(known.text):
            rest = first[len(known.text) :].lstrip(" —–-:")
            return ([rest] if rest else []) + body[1:], known
        # Or its place, printed in capitals and followed by a dash (``OTTAWA - …``).
        if known.place and first[: len(known.place)].casefold() == known.place.casefold():
            m = _PLACE_DASH.match(first, len(known.place))
            if m is not None and first[: len(known.place)].isupper():
                rest = first[m.end() :]
                return ([rest] if rest else []) + body[1:], known
        return body, known
    if found is None:
        return body, known
    dateline, rest = found
    if known is not None:
        # The printed place is what readers see; the format's place (often where the story was filed or
        # edited) and its country only fill in, or confirm, it.
        same = dateline.place is None or not known.place or _same_place(known.place, dateline.place)
        dateline = Dateline(
            text=dateline.text,
            place=known.place if same and known.place else dateline.place,
            country=(known.country if same else None) or dateline.country,
            date=known.date or dateline.date,
        )
    return ([rest] if rest else []) + body[1:], dateline


#: What follows a place printed as the dateline: a dash (one of them) before the text.
_PLACE_DASH = re.compile(rf"\s+{_DASH}\s+(?=\S)")


def _same_place(a: str, b: str) -> bool:
    """The same place spelt alike (``Grossetto`` / ``GROSSETO``), not two places (``Bangalore`` / ``Damascus``)."""
    a, b = a.casefold(), b.casefold()
    if a.startswith(b) or b.startswith(a):
        return True
    if abs(len(a) - len(b)) > 2:
        return False
    # At most two letters differ between the common start and the common end.
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return max(len(a), len(b)) - start - end <= 2


def _advisory_signal(paragraph: str) -> Signal | bool | None:
    """False when ``paragraph`` is not an advisory; else the signal it carries (or None)."""
    if paragraph[1:2] == " " and (spaced := _LETTER_SPACED.match(paragraph)):
        paragraph = spaced.group().replace(" ", "") + paragraph[spaced.end() :]
    m = _ADVISORY.match(paragraph)
    if m is None:
        return False
    kw = m.group("kw").upper()
    if kw.startswith("IN "):  # "(In Jan. 3 story, corrects …)"
        kw = kw.rsplit(", ", 1)[-1]
    if kw[:1].isdigit():  # "1ST LEAD", "2nd Ld-Writethru"
        return "update"
    for prefix, signal in _SIGNAL_OF.items():
        if kw.startswith(prefix):
            return signal  # type: ignore[return-value]
    return None


#: Contributor credits closing web copy ("Jane Roe in Cairo contributed to this report.").
_CONTRIBUTED = re.compile(r"\bcontributed (?:to )?(?:this (?:report|story|article)|reporting)\b.{0,80}$")
#: The same credit leading with the contributors' names ("Con información de Ana Ruiz y Luis Gil.", "Additional
#: reporting by Jane Roe"): a capitalised name must follow, so a sentence about reporting stays; a full stop
#: inside is an initial's (``Elena G. Sevillano``).
_WITH_REPORTING = re.compile(
    r"(?i:(?:additional |with )?reporting by|con (?:información|reportes?) de|com informações de)"
    r"\s+[A-ZÁÉÍÓÚÑÇ](?:\b[A-Z]\.|[^.!?]){0,200}\.?$"
)
_WITH_REPORTING_START = ("additional", "with", "reporting", "con ", "com ")
#: Lead-ins to embedded media that was not kept ("… in the video below:") and short labels ("Embed (medium):").
_LEAD_IN = re.compile(r"(?:\b(?:below|following)\s*|^[^.!?]{1,40}):$", re.I)


def is_boilerplate(paragraph: str) -> bool:
    if "/" in paragraph and _DESK_CODE.fullmatch(paragraph):
        return True
    if len(paragraph) <= 280:
        # Each has a cheap necessary condition, so long paragraphs and most short ones skip the pattern.
        if paragraph[-1:] == ":" and _LEAD_IN.search(paragraph):
            return True
        if "contributed" in paragraph and _CONTRIBUTED.search(paragraph):
            return True
        if paragraph[:11].lower().startswith(_WITH_REPORTING_START) and _WITH_REPORTING.match(paragraph):
            return True
    return _BOILERPLATE_ANY.match(paragraph) is not None


def _person(paragraph: str) -> str | None:
    if len(paragraph) > 60:
        return None
    m = _PERSON.match(paragraph)
    return m.group("name") if m else None


def analyse(paragraphs: list[str], agency: str | None = None, known_dateline: Dateline | None = None) -> WireText:
    """Find the dateline, byline, advisories, captions and boilerplate in plain wire-text paragraphs."""
    out = WireText(body=list(paragraphs), dateline=known_dateline)
    body = out.body

    def add_signal(sig: Signal | None) -> None:
        if sig is not None and sig not in out.signals:
            out.signals.append(sig)

    # 1. The dateline paragraph: within the first few paragraphs. What precedes it is captions,
    #    advisories and bylines; none of it is story text.
    dl_index = None
    found = None
    for i, p in enumerate(body[:4]):
        if (found := match_dateline(p)) is not None:
            dl_index = i
            break
    else:
        if (release := _release_dateline(body)) is not None:
            dl_index, found = release
    if dl_index is not None:
        for p in body[:dl_index]:
            sig = _advisory_signal(p)
            if sig is not False:
                add_signal(sig)  # type: ignore[arg-type]
            elif (m := _BY.match(p)) and len(p) <= 100:
                out.byline = out.byline or m.group("name").strip()
            out.dropped.append(p)
        del body[:dl_index]
        body[:], out.dateline = _strip_found(body, known_dateline, found)  # found is match_dateline(body[0])
        if body and (r := _CJK_REPORTER.match(body[0])) is not None and len(body[0]) > r.end():
            out.byline = out.byline or r.group("name").strip()
            body[0] = body[0][r.end() :]
    else:
        # No dateline: drop leading advisories, bylines (with their credit line) and captions, one at a
        # time, keeping the rest.
        after_byline = False
        k = 0  # leading paragraphs dropped so far (removed in one step: popping the front is quadratic)
        while len(body) - k > 1:
            p = body[k]
            sig = _advisory_signal(p)
            was_byline, after_byline = after_byline, False
            if sig is not False:
                add_signal(sig)  # type: ignore[arg-type]
            elif (m := _BY.match(p)) and len(p) <= 100 and not p.endswith("."):
                out.byline = out.byline or m.group("name").strip()
                after_byline = True
            elif was_byline and _CREDIT.match(p):
                pass
            elif _CAPTION.search(p) and not re.search(r"[.!?…]\s*$", p):
                pass
            else:
                break
            out.dropped.append(p)
            k += 1
        del body[:k]

    # 2. A byline paragraph right after the dateline paragraph is rare; one right at the start of the
    #    remaining body ("By Jane Doe") is common.
    if body and (m := _BY.match(body[0])) and len(body[0]) <= 100 and not body[0].endswith(".") and len(body) > 1:
        out.byline = out.byline or m.group("name").strip()
        out.dropped.append(body.pop(0))
        if len(body) > 1 and _CREDIT.match(body[0]):
            out.dropped.append(body.pop(0))

    # 3. Trailing boilerplate, then the sign-off (name [/ agency]) and everything after it (bios).
    _drop_trailing(out, agency)
    agencies = {a.upper() for a in (agency, _dateline_agency(out.dateline)) if a}
    start = max(1, len(body) // 2)
    for i in range(start, len(body)):
        p = body[i]
        combined = _SIGNOFF_COMBINED.match(p) if len(p) <= 60 else None  # longer: neither rule below applies
        if combined:
            name = combined.group("name")
        else:
            name = _person(p)
            if name is None:
                continue
            nxt = body[i + 1] if i + 1 < len(body) else None
            is_last = nxt is None
            followed_by_agency = nxt is not None and (
                nxt.strip("()").upper() in agencies or bool(_AGENCY_TOKEN.match(nxt))
            )
            if not (is_last or followed_by_agency):
                continue
        out.byline = out.byline or name
        out.dropped.extend(body[i:])
        del body[i:]
        break
    _drop_trailing(out, agency)

    # 4. A closing correction or update note stays as text but carries its signal.
    for p in body[-2:]:
        if m := _NOTE.match(p):
            add_signal("correction" if m.group(1).lower() == "corrected" else "update")

    # 5. Advisory lines at the very start of the (post-dateline) body are not story text either.
    k = 0
    while len(body) - k > 1 and (sig := _advisory_signal(body[k])) is not False:
        add_signal(sig)  # type: ignore[arg-type]
        out.dropped.append(body[k])
        k += 1
    del body[:k]
    return out


def _drop_trailing(out: WireText, agency: str | None = None) -> None:
    body = out.body
    agencies = {a.casefold() for a in (agency, _dateline_agency(out.dateline)) if a}
    while True:
        # A media-contact line ("Media contact:", "… can contact X for more information on:"), the heading of a
        # release's company profile ("About IndiGrid") or a portal's republication note ("原标题：…") near the end
        # starts notes, not story text: cut first, so a contact's "Email: …" line is never read as a signature.
        # Repeated: a profile heading above the contacts comes within reach once the contacts are cut.
        while (contact := _last_contact_lead(body)) is not None:
            out.dropped.extend(body[contact:])
            del body[contact:]
        while len(body) > 1 and (
            _signature(body[-1], out) or is_boilerplate(body[-1]) or _only_credit(body[-1], agencies)
        ):
            p = body.pop()
            out.dropped.append(p)
            if out.byline is None and (m := _REPORTING_BY.match(p)):
                out.byline = _names(m.group("name"))
        # A closing rule (``___``) near the end starts contributor and contact notes, not story text.
        rule = next((i for i in range(len(body) - 1, max(0, len(body) - 5), -1) if _SEPARATOR.match(body[i])), None)
        if rule is None or rule == 0:
            break
        out.dropped.extend(body[rule:])
        del body[rule:]
    # Credits, desk codes, reporter lines and currency notes run into the last paragraph ("… per ounce.
    # (Reporting by …)", "… voraus. (bsc)"): removed one after another, so a second pass finds none.
    while body:
        last = body[-1]
        if "@" in last[-80:] and (e := _TRAILING_EMAIL.search(last, max(0, len(last) - 80))) and e.start() > 0:
            out.dropped.append(e.group(0))  # the writer's address after the last sentence
            body[-1] = last = last[: e.start()]
        if "/" in last[-70:] and (c := _COPYRIGHT_SIGNOFF.search(last, max(0, len(last) - 80))) and c.start() > 0:
            if _is_agency(c.group("agency")):  # "… と指摘している。(c)AFP/Aminu ABUBAKAR": credit and reporter
                out.dropped.append(c.group(0))
                out.byline = out.byline or c.group("name").strip()
                body[-1] = last = last[: c.start()].rstrip()
        if last.rstrip()[-1:] not in (")", "/"):  # every closing note ends so; most paragraphs do not
            break
        m = _TRAILING_NOTE.search(last, max(0, len(last) - 420))
        if m is None:
            c = _TRAILING_CREDIT.search(last, max(0, len(last) - 60))
            m = c if c is not None and _is_credit(c.group("credit") or c.group("slashed"), agencies) else None
        if m is None or m.start() == 0:
            break
        out.dropped.append(m.group(0))
        if out.byline is None and (r := _REPORTING_BY.match(m.group(0).strip())):
            out.byline = _names(r.group("name"))
        body[-1] = last[: m.start()].rstrip()


#: The line that opens a release's or story's media contacts.
_CONTACT_LEAD = re.compile(
    r"^(?:media|press|investor|news media)\s+(?:contacts?|enquiries|inquiries)\b[^.!?]{0,60}$"
    r"|\bcontact\b[^.!?]{0,100}\bfor (?:more|further) (?:information|details)\b[^.!?]{0,20}:$"
    r"|^pour (?:en savoir plus|plus d'information|plus de renseignements)[^.!?]{0,40}\bcommuniquer avec\s*:$",
    re.I,
)
#: The heading of a release's closing company profile: "About IndiGrid", "À propos de TELUS".
_ABOUT = re.compile(
    r"^(?:About|À propos de|A propos de|Acerca de|Über|Informazioni su|Om) [^\W\d_][\w&.,'’\- ]{0,60}:?$"
)


#: Chinese portals' republication note ("原标题：…", the original headline), followed by the producer's credits.
ORIGINAL_TITLE = ("原标题：", "原标题:")


def _last_contact_lead(body: list[str]) -> int | None:
    """The index of the last contact lead among the last six paragraphs (never the first paragraph)."""
    return next((i for i in range(len(body) - 1, max(0, len(body) - 7), -1) if _contact_lead(body[i])), None)


def _contact_lead(paragraph: str) -> bool:
    if paragraph[:1] in "AÀÜIO" and _ABOUT.match(paragraph):
        return True
    if paragraph.startswith(ORIGINAL_TITLE):
        return True
    return len(paragraph) <= 160 and ("ontact" in paragraph or "ommuniquer" in paragraph) and (
        _CONTACT_LEAD.search(paragraph) is not None
    )


_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_TRAILING_EMAIL = re.compile(rf"(?<=[.!?\"”’])\s+{_EMAIL}$")


def _sig_name(n: int) -> str:
    """A writer's name of two to four words, as the named group ``name<n>``."""
    return rf"(?P<name{n}>[^\W\d_][\w'’.\-]*(?: [^\W\d_][\w'’.\-]*){{1,3}})"


#: Writers' sign-offs closing web copy; the name is the byline when no other is known. A name followed by a
#: title word and an address (``최윤호 기자 uknow@donga.com``) also gives the title.
#: Reporter titles printed between a name and an address (Korean, Chinese, Japanese).
_ADDRESS_TITLES = "기자|특파원|记者|記者|特派员|特派員"
_SIGNATURE = re.compile(
    rf"^(?:(?:--|—|–)\s*by {_sig_name(1)}(?:\s+follow @\w+)?"
    rf"|follow {_sig_name(2)} on (?:twitter|x|facebook|instagram|linkedin|bluesky)\b.{{0,40}}"
    rf"|write to {_sig_name(3)} at {_EMAIL}\.?"
    rf"|{_sig_name(4)} can be reached at .{{1,80}}"
    rf"|(?P<who>[^\W\d_]\S{{0,20}}(?: [^\W\d_]\S{{0,20}}){{0,2}}?)(?: (?P<title>{_ADDRESS_TITLES}))? {_EMAIL}"
    rf"|{_EMAIL})$",
    re.I,
)


def _signature(paragraph: str, out: WireText) -> bool:
    """A closing sign-off line (writer's address, "Follow … on Twitter", "… can be reached at …"): drop it and
    take its name as the byline when none is known."""
    if len(paragraph) > 120 or not (m := _SIGNATURE.match(paragraph)):
        return False
    name = next((n for n in m.group("name1", "name2", "name3", "name4", "who") if n), None)
    if name and out.byline is None:
        out.byline, out.byline_title = name, m.group("title")
    return True


_TRAILING_NOTE = re.compile(
    r"\s*\((?:(?:reporting|writing|additional reporting|editing|compiled|edited) by\b[^()]{0,300}"
    r"|[$€£¥]1 = [^()]{1,40})\)\s*$",
    re.I,
)
_SEPARATOR = re.compile(r"^(?:_{3,}|-{3,}|\*{3,}|(?:\* ){2,}\*)$")
#: An agency's copyright sign-off naming the reporter, run into the last paragraph: ``(c)AFP/Aminu ABUBAKAR``.
_COPYRIGHT_SIGNOFF = re.compile(
    r"\s*(?:\([cC]\)|©)\s*(?P<agency>[A-Za-z][A-Za-z-]{1,11})/(?P<name>[^\W\d_][^/()]{1,60})$"
)
#: A credit or desk code closing the last paragraph: ``(bsc)``, ``(SDA/sj)``, ``/ritzau/``, ``(END)``.
_TRAILING_CREDIT = re.compile(r"\s*(?:\((?P<credit>[^()]{2,40})\)|/(?P<slashed>[^/\s]{2,20})/)\s*$")
#: Desk codes (lower case only, so ``(NATO)`` or ``(USA)`` closing a sentence is kept).
_DESK = re.compile(r"^[a-z]{2,5}$|^[A-Za-z]{2,12}\s*\\?/\s*[a-z]{1,5}(?:/[a-z]{1,5})*$|^(?:END|End|end)$")
#: Agencies whose name closes copy: ``(AFP)``, ``/ritzau/``, ``(ats afp)``.
KNOWN_AGENCIES = frozenset(
    "afp ap ats sda apa ansa dpa efe reuters tass ritzau ntb tt stt anp belga kyodo xinhua yonhap pap ctk mti"
    " ana ana-mpa hina tanjug aap cp pa upi bta agerpres lusa europa press epa kna cnn bbc".split()
)


def _is_agency(text: str) -> bool:
    """``ats afp``, ``SDA-ATS``, ``dpa``: every word a known agency."""
    words = set(re.split(r"[\s/,-]+", text.strip().casefold())) - {""}
    return bool(words) and words <= KNOWN_AGENCIES


def _is_credit(text: str | None, agencies: set[str]) -> bool:
    if not text:
        return False
    folded = text.strip().casefold()
    words = set(re.split(r"[\s/\\,-]+", folded)) - {""}
    return (
        folded in agencies or (bool(words) and words <= (KNOWN_AGENCIES | agencies)) or bool(_DESK.match(text.strip()))
    )


def _only_credit(paragraph: str, agencies: set[str]) -> bool:
    """A paragraph that is only an agency credit: ``(BusinessDesk)``, ``/ritzau/``."""
    if len(paragraph) > 60 or paragraph.rstrip()[-1:] not in (")", "/"):
        return False
    m = _TRAILING_CREDIT.fullmatch(paragraph)
    return m is not None and _is_credit(m.group("credit") or m.group("slashed"), agencies)


def _names(text: str) -> str:
    """``David Bailey in Minneapolis, Erwin Seba in Houston and Tim Ghianni in Nashville`` → the names only."""
    text = re.split(r";|\bEditing by\b|\bAdditional reporting\b|\bWriting by\b", text, maxsplit=1, flags=re.I)[0]
    return re.sub(r"\s+in\s+[A-Z][\w.'’ -]*?(?=,|\s+and\s+|$)", "", text.strip()).strip(" ,")


def _dateline_agency(dateline: Dateline | None) -> str | None:
    if dateline is None:
        return None
    m = re.search(r"\(([^()]+)\)", dateline.text)
    return m.group(1) if m else None


def strip_trailing_boilerplate(
    body: list[str], agency: str | None = None, dateline: Dateline | None = None
) -> tuple[list[str], str | None]:
    """Drop trailing copyright lines, desk codes, agency credits and page furniture (never the only paragraph).

    Returns the body and the reporter named by a closing ``(Reporting by …)``, if any.
    """
    out = WireText(body=list(body), dateline=dateline)
    _drop_trailing(out, agency)
    return out.body, out.byline


#: Advisory words that open a headline (``CORRECTED-…``, ``REFILE-…``, ``UPDATE 2-…``, ``URGENT: …``) and agency
#: routing prefixes (``>>>ANSA/``).
_HEADLINE_ADVISORY = re.compile(
    r"^(?:>{2,}\s*[A-Z]{2,8}/\s*(?=\S)|(?P<kw>CORRECTED|CORRECTS?|CORRECTION|REFILED?|REPEAT|RPT|UPDATE(?: \d+)?"
    r"|URGENT|FLASH|BULLETIN|WRAPUP(?: \d+)?|\d+(?:ST|ND|RD|TH) LEAD|KILL|KILLED|WITHDRAWN)\s*[-:—–]\s*(?=\S))"
)


@dataclass
class HeadlineAdvisory:
    """What advisory prefixes said, and the headline without them."""

    headline: str
    signals: list[Signal] = field(default_factory=list)
    urgency: int | None = None


#: A prefix of capitalised words before a dash or colon (``CORRECTION ET MISE À JOUR -``): an advisory when every
#: part, split at ``,``/``&``/and, is a take line in one of the agencies' languages (checked in code).
_HEADLINE_TAKES = re.compile(r"^(?P<words>[^\W_][^\W_'’]*(?: [^\W_][^\W_'’]*){0,5}?)\s*[-:—–]\s+(?=\S)")
#: A desk marker closing a headline between asterisks: ``… against their will*** TRANSLATED ***``.
_HEADLINE_MARKER = re.compile(r"\s*\*{2,}\s*[A-Z0-9][A-Z0-9 ]{2,30}?\s*\*{2,}$")
_TAKE_JOIN = re.compile(r"\s*[,&]\s*|\s+(?:ET|AND|UND|Y|E|OG|OCH|JA)\s+")
_TAKE_KEYWORD = {"update": "UPDATE", "correction": "CORRECTED", "kill": "KILL", "flash": "FLASH", "urgent": "URGENT"}


def _headline_takes(headline: str) -> tuple[list[str], int] | None:
    """The take keywords of a capitalised advisory prefix in any listed language, and where the headline starts."""
    if not headline[:2].isupper():  # the prefix is in capitals: most headlines fail here
        return None
    m = _HEADLINE_TAKES.match(headline)
    if m is None or not m.group("words").isupper():
        return None
    kinds = [take_kind(part) for part in _TAKE_JOIN.split(m.group("words"))]
    if not kinds or None in kinds:
        return None
    return [_TAKE_KEYWORD.get(k or "", "REFILE") for k in kinds], m.end()


def headline_advisories(headline: str) -> HeadlineAdvisory:
    """Strip advisory prefixes from a headline: CORRECTED → correction, UPDATE n / n-th LEAD → update,
    KILL/WITHDRAWN → kill, URGENT/BULLETIN → urgency 3, FLASH → urgency 1; REFILE/REPEAT carry nothing.
    The same words in the agencies' other languages (``CORRECTION ET MISE À JOUR -``) count as well."""
    out = HeadlineAdvisory(headline)
    if headline.endswith("*") and (marker := _HEADLINE_MARKER.search(headline)) is not None and marker.start() > 0:
        out.headline = headline[: marker.start()]
    while True:
        m = _HEADLINE_ADVISORY.match(out.headline)
        if m is not None and len(out.headline) > m.end():
            keywords, end = [m.group("kw") or ""], m.end()  # empty for an agency routing prefix (">>>ANSA/")
        elif (takes := _headline_takes(out.headline)) is not None and len(out.headline) > takes[1]:
            keywords, end = takes
        else:
            return out
        for kw in keywords:
            _advise(out, kw)
        out.headline = out.headline[end:]


def _advise(out: HeadlineAdvisory, kw: str) -> None:
    """Record what one advisory keyword says."""
    sig: Signal | None = None
    if kw.startswith("CORRECT"):
        sig = "correction"
    elif kw.startswith(("UPDATE", "WRAPUP")) or kw[:1].isdigit():
        sig = "update"
    elif kw.startswith(("KILL", "WITHDRAWN")):
        sig = "kill"
    elif kw == "FLASH":
        out.urgency = 1
    elif kw in ("URGENT", "BULLETIN"):
        out.urgency = min(out.urgency or 3, 3)
    if sig is not None and sig not in out.signals:
        out.signals.append(sig)


def strip_leading_advisories(body: list[str]) -> tuple[list[str], list[Signal]]:
    """Advisory paragraphs at the start of a body (``REFILE``, ``1ST LEAD``, ``CORRECTS …``) → their signals."""
    signals: list[Signal] = []
    start = 0
    while start < len(body) - 1 and (sig := _advisory_signal(body[start])) is not False:
        if sig is not None and sig is not True and sig not in signals:
            signals.append(sig)
        start += 1
    return body[start:], signals


_BULLET = re.compile(r"^[*•]\s+\S")


def _head_furniture(paragraph: str) -> bool:
    """Advisories, bylines and summary bullets that may precede a dateline (``* Spot gold may edge up``)."""
    if _advisory_signal(paragraph) is not False:
        return True
    if _BY.match(paragraph) and len(paragraph) <= 100 and not paragraph.endswith("."):
        return True
    return bool(_BULLET.match(paragraph)) and len(paragraph) <= 300


@dataclass
class Head:
    """What :func:`strip_head` found before the story text."""

    body: list[str]
    dateline: Dateline | None
    byline: str | None = None
    signals: list[Signal] = field(default_factory=list)


def strip_head(body: list[str], known: Dateline | None = None) -> Head:
    """Advisories, a ``By`` line, summary bullets and the printed dateline at the start of a body.

    When a dateline follows only such furniture (within the first eight paragraphs), the furniture is
    dropped (its advisories give signals, its ``By`` line the byline) and the dateline taken; else
    leading advisories and a leading ``By`` line are dropped and the first paragraph checked for a
    dateline.
    """
    first: tuple[Dateline, str] | None = None
    for i, p in enumerate(body[:8]):
        found = match_dateline(p)
        if i == 0:
            first = found
        if found is None and i == 0 and (release := _release_dateline(body)) is not None:
            i, found = release
        if found is not None:
            head = Head(body=body[i:], dateline=None)
            for q in body[:i]:
                _note_head(head, q)
            head.body, head.dateline = _strip_found(head.body, known, found)
            return head
        if not _head_furniture(p):
            if i == 0:  # the common case: the story starts at once, with no dateline
                rest, dateline = _strip_found(body, known, None)
                return Head(body=rest, dateline=dateline)
            break
    rest, signals = strip_leading_advisories(body)
    rest, byline = leading_byline(rest)
    if not rest:
        return Head(body=rest, dateline=known, byline=byline, signals=signals)
    # The first paragraph was already tried for a dateline when nothing was dropped before it.
    rest, dateline = _strip_found(rest, known, first if len(rest) == len(body) else match_dateline(rest[0]))
    return Head(body=rest, dateline=dateline, byline=byline, signals=signals)


#: A press-release service's credit in a dateline: ``(GLOBE NEWSWIRE)``, ``(BUSINESS WIRE)``, ``/PRNewswire/``.
_RELEASE_WIRE = re.compile(r"[(/][^()/]{0,30}wire[^()/]{0,10}[)/]", re.I)


def _release_dateline(body: list[str]) -> tuple[int, tuple[Dateline, str]] | None:
    """A press release's dateline within its first eight paragraphs, after what the release service prints above
    it (the headline with a correction advisory, a correction note, the headline again, highlight lines): its
    index and match."""
    for i in range(1, min(8, len(body))):
        p = body[i]
        if len(body[i - 1]) > 600:
            return None  # story text came first: not a release's head
        if (
            (p.find("ire", 0, 200) >= 0 or p.find("IRE", 0, 200) >= 0)  # cheap: most paragraphs have neither
            and _RELEASE_WIRE.search(p, 0, 200)
            and (found := match_dateline(p)) is not None
        ):
            return i, found
    return None


def _note_head(head: Head, paragraph: str) -> None:
    sig = _advisory_signal(paragraph)
    if sig is not False and sig is not None and sig is not True and sig not in head.signals:
        head.signals.append(sig)
    elif (m := _BY.match(paragraph)) and head.byline is None:
        head.byline = m.group("name").strip()


def leading_byline(body: list[str]) -> tuple[list[str], str | None]:
    """A short ``By Jane Doe`` first paragraph (no final period) → (rest of the body, the name)."""
    if len(body) > 1 and (m := _BY.match(body[0])) and len(body[0]) <= 100 and not body[0].endswith("."):
        return body[1:], m.group("name").strip()
    return body, None


_BY_PREFIX = re.compile(r"^(?:By|BY|by|Von|Par|Por|Di|Av|Af|Door|Przez)\s+(?=\S)")
#: Words that make the part of a byline after a comma a title or affiliation, not another name.
_TITLE_WORDS = re.compile(
    r"\b(?:press|association|agency|agencia|agence|correspondent|writer|editor|reporter|columnist|critic|staff"
    r"|news|times|post|journal|herald|tribune|database|bureau|desk|service|the|dpa|afp|reuters|ap|ansa|efe"
    r"|university|universit[äéy]|institute|college|school|foundation|ministry)\b",
    re.I,
)


_AGENCY_SUFFIX = re.compile(r"\s*/\s*([A-Za-z][\w.-]{1,24})$")
#: A newsroom named by its web address: ``Faktisk.no``, ``Example.com``.
_DOMAIN = re.compile(r"[A-Za-z][\w-]{1,20}\.[a-z]{2,6}")


def split_byline(byline: str | None, title: str | None) -> tuple[str | None, str | None]:
    """``By Sam Lister, Press Association Political Correspondent`` → ("Sam Lister", "Press Association …").

    A leading ``By`` is dropped; the part after the first comma is the title when it reads as a job title
    or affiliation (``David Bailey, Erwin Seba and Tim Ghianni`` stays whole).
    """
    if not byline:
        return None, title
    byline = _BY_PREFIX.sub("", byline, count=1)
    m = _AGENCY_SUFFIX.search(byline)
    if m and (_is_agency(m.group(1)) or _DOMAIN.fullmatch(m.group(1))):  # "Martin Hardenberger/TT", "… / Faktisk.no"
        return byline[: m.start()].strip(), title or m.group(1)
    name, sep, rest = byline.partition(", ")
    titled = _TITLE_WORDS.search(rest) is not None or _is_agency(rest)
    if sep and rest and titled and not re.search(r"\s(?:and|und|et|y|e)\s", rest):
        return name.strip(), title or rest.strip()
    return byline, title


def advisory_signal(line: str) -> Signal | None:
    """The signal an advisory line carries (``CORRECTS …`` → correction), or None."""
    sig = _advisory_signal(line)
    return None if sig is False or sig is True else sig

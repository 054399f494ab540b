"""Per-agency dialects of IPTC 7901, ANPA 1312 and telex-framed wire copy: one registry, read by the parsers.

A :class:`WireProfile` says how one agency marks what is not story text: the line that opens its
"not for publication" notebook, its desk sign-off (``dpa wsz jln npr``), the head lines that are notes
to editors (``AP Photo …``, ``Eds: …``), the line under the byline that is a job title, and its
language. :func:`wire_profile` picks the profile by the authenticated agency, else by the agency's
token in the header line, else the generic one. The rules shared by every agency (take lines,
notebook phrases in several languages) are in the generic profile and apply to all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.stages.normalise.draft import Draft, ParseContext
from pipeline.stages.normalise.wireframe import Frame, split_frame, trailer_time
from schemas.story import SourceFormat

#: Lines that open an editor's note in any agency's copy: everything from there on is not story text.
_NOT_FOR_PUBLICATION = (
    r"#+\s*(?:[\w-]+\s+)?notebook\b.*"
    r"|the following (?:information|material) is not (?:intended )?for publication.*"
    r"|not for publication\b.*"
    r"|die folgenden informationen sind nicht (?:zur|für die) veröffentlichung bestimmt.*"
    r"|nicht zur veröffentlichung\b.*"
    r"|les informations suivantes ne sont pas destinées à (?:la publication|être publiées).*"
    r"|(?:note aux rédactions|à l'attention des rédactions)\b.*"
    r"|le informazioni seguenti non sono destinate alla pubblicazione.*"
    r"|non (?:destinato|per) (?:alla )?pubblicazione\b.*"
    r"|(?:la siguiente información|información) no (?:es )?para (?:su )?publicación.*"
)


@dataclass(frozen=True)
class WireProfile:
    """How one agency's wire copy marks what is not story text."""

    name: str
    #: Upper-case names the agency is known by (authenticated agency, header-line tokens).
    aliases: frozenset[str]
    #: BCP 47 language of the service, when the agency sends one language only.
    language: str | None = None
    #: A line (case-insensitive, whole line) that starts the editor's note section.
    notebook: re.Pattern[str] = re.compile(rf"^(?:{_NOT_FOR_PUBLICATION})$", re.I)
    #: The desk's sign-off line (initials), dropped wherever it stands at the end.
    signoff: re.Pattern[str] | None = None
    #: Head lines (before the first paragraph) that are notes to editors, not headline or body.
    ednote_line: re.Pattern[str] = re.compile(
        r"^\(?(?:eds?[:.]|editors?[’']?s? note|note to editors|[A-Z]{2,5} photos?\b|with [A-Z]{2,5} photos"
        r"|[A-Z]{2,5} video\b|photo\b|achtung\b|attention\b|avis\b)",
        re.I,
    )
    #: A line under the byline that is the writer's job title or affiliation.
    byline_title: re.Pattern[str] = re.compile(
        r"^(?:(?:the )?associated press|(?:[A-Z]{2,5}|[\w.&-]+) (?:[\w-]+ ){0,3}"
        r"(?:writer|correspondent|editor|reporter|columnist|critic|staff|contributor)s?"
        r"|kyodo news|the canadian press|dpa)$",
        re.I,
    )


def _profile(name: str, *aliases: str, **kw: object) -> WireProfile:
    return WireProfile(name=name, aliases=frozenset(a.upper() for a in (name, *aliases)), **kw)  # type: ignore[arg-type]


GENERIC = WireProfile(name="generic", aliases=frozenset())

#: The registry: one entry per agency whose copy differs from the generic rules.
PROFILES: tuple[WireProfile, ...] = (
    # dpa (IPTC 7901): "# dpa NOTEBOOK" / "# Notebook" sections; sign-off "dpa wsz jln npr" (desk initials).
    _profile("dpa", "dpa-AFX", "dpa-tns", signoff=re.compile(r"^dpa(?:-[a-z]+)?(?:\s+[a-z]{1,4}){1,8}$")),
    # ATS/SDA (IPTC 7901, French/German/Italian): sign-off "ats/xyz" or "sda/abc/def".
    _profile(
        "ATS",
        "SDA",
        "ATS-SDA",
        "SDA-ATS",
        "KEYSTONE-ATS",
        "KEYSTONE-SDA",
        signoff=re.compile(r"^\(?(?:keystone-)?(?:ats|sda)(?:[-/][a-z]{1,4}){0,4}\)?$", re.I),
    ),
    # APA (IPTC 7901, German): "(Schluss) abc/def" closes the story.
    _profile("APA", signoff=re.compile(r"^\(schluss\)(?:\s+[a-z]{1,4}(?:/[a-z]{1,4})*)?$", re.I), language="de"),
    # ANSA (IPTC 7901, Italian and English): "(ANSA)." or desk codes "AB/CD" close the story.
    _profile("ANSA", signoff=re.compile(r"^(?:\(ANSA\)\.?|[A-Z]{2,4}(?:-[A-Z]{2,4})?/(?:\s*[A-Z]{2,4})?)$")),
    # AP (ANPA 1312, English).
    _profile("AP", "ASSOCIATED PRESS", language="en"),
    # Kyodo (ANPA 1312, English world service).
    _profile("Kyodo", "KYODO NEWS", "KWS", language="en"),
    # AAP (telex-framed text): the desk signs off in capitals under the story ("AAP BETTING").
    _profile("AAP", "AUSTRALIAN ASSOCIATED PRESS", language="en", signoff=re.compile(r"^AAP(?: [A-Z]{2,12}){1,3}$")),
    # PA (the UK's Press Association: NITF, English).
    _profile("PA", "PRESS ASSOCIATION", "PA MEDIA", language="en"),
    # The Canadian Press (ANPA 1312, English and French).
    _profile("CP", "CANADIAN PRESS", "THE CANADIAN PRESS", "PC"),
)
_BY_ALIAS = {alias: p for p in PROFILES for alias in p.aliases}
_TOKEN = re.compile(r"[A-Za-z][\w-]*")


def wire_profile(agency: str, *hints: str) -> WireProfile:
    """The profile of the authenticated ``agency``, else of an agency named in ``hints`` (header and
    trailer lines, e.g. ``eca062 4 i 211 ccccb dpa 061`` or ``AP-WF-05-09-17 0056GMT``), else the generic one."""
    found = _BY_ALIAS.get(agency.upper())
    if found is not None:
        return found
    for hint in hints:
        for token in _TOKEN.findall(hint):
            for part in (token, token.split("-", 1)[0]):
                if (p := _BY_ALIAS.get(part.upper())) is not None:
                    return p
    return GENERIC


#: A take or version line: what it says about the story (signal, urgency, pubstatus); removed from text.
TAKE_LINE = re.compile(
    r"^[(\[]?\s*(?:"
    r"(?P<update>\d+(?:st|nd|rd|th|e|er|re|ème|\.)?\s*(?:lead|ld)\b(?:[- ]writethru)?|lead|writethru|ld-writethru"
    r"|update(?:s|d)?(?:\s+\d+)?|(?:\d+\.\s*)?(?:zusammenfassung|neufassung|aktualisierung)|mise à jour|new lead"
    r"|recasts?|wrapup(?:\s+\d+)?)"
    r"|(?P<correction>correct(?:s|ed|ion)?|corrective|berichtigung|korrektur|correctif|rectificatif|corrección"
    r"|correzione|rettifica)"
    r"|(?P<kill>kill(?:ed)?|withdrawn?|withdraws|elimin(?:ate|ated)|sperrung|annulation|annullato)"
    r"|(?P<flash>flash|eil|eilt|blitz|alerte)"
    r"|(?P<urgent>urgent|urgente|eilmeldung|bulletin|vorrang|prioritaire|dringend|apnewsalert)"
    r"|(?P<other>refiled?|repeat|rpt|extra|advisory|wiederholung|abridged|sub|sted|\d+(?:st|nd|rd|th)\s+net)"
    r")\s*[)\]]?\s*[=.:]?$",
    re.I,
)


def take_kind(part: str) -> str | None:
    """What one take word says: ``update``, ``correction``, ``kill``, ``flash``, ``urgent``, ``other``; None when
    ``part`` is no take word."""
    m = TAKE_LINE.match(part.strip())
    return m.lastgroup if m else None


def apply_take(draft: Draft, line: str) -> bool:
    """When ``line`` is a take/version line, record what it says on ``draft`` and return True.

    n-th LEAD, Writethru, UPDATE → ``update``; CORRECTS/CORRECTED → ``correction``; KILL/WITHDRAWN →
    ``kill`` and pubstatus ``canceled``; FLASH → urgency 1, URGENT/BULLETIN → urgency 3 at most;
    REFILE/REPEAT/EXTRA carry nothing. Versions may be several, comma-separated (``ABRIDGED, 3rd Ld-Writethru``).
    """
    parts = [p.strip() for p in line.split(",") if p.strip()]
    matches = [TAKE_LINE.match(p) for p in parts]
    if not parts or not all(matches):
        return False
    for m in matches:
        assert m is not None
        kind = m.lastgroup
        if kind in ("update", "correction", "kill") and kind not in draft.signals:
            draft.signals.append(kind)  # type: ignore[arg-type]
        if kind == "kill":
            draft.pubstatus = "canceled"
        elif kind == "flash":
            draft.urgency = 1
        elif kind == "urgent":
            draft.urgency = min(draft.urgency or 3, 3)
    return True


_SLUG_VERSIONS = re.compile(r"\(([^()]+)\)\s*$")


def apply_slug_takes(draft: Draft, slugline: str) -> None:
    """The versions a slugline carries, as take lines: ``USA-WEATHER/ (UPDATE 1, PIX, CORRECTED)`` (in a closing
    parenthesis) or ``BC-US--Earns-Nutrisystem, 1st Ld-Writethru`` (after the first comma). Parts that are not
    take lines (``PIX``) carry nothing."""
    m = _SLUG_VERSIONS.search(slugline)
    versions = m.group(1) if m else slugline.partition(",")[2]
    for part in versions.split(","):
        if part.strip():
            apply_take(draft, part)


#: A byline line in wire copy, in the languages the agencies write (``By``, ``Von``, ``Par``, ``Por`` …).
BY_LINE = re.compile(r"^(?:By|BY|Von|VON|Par|PAR|Por|POR|Di|Av|Af|Door|Przez|От)\s+(?P<name>\S.*)$")


@dataclass(frozen=True)
class HeaderFields:
    """Where a framing's header line carries the story's priority (and a take): the line's index in the header,
    its pattern (a ``priority`` group, optionally ``version``) and the priority → urgency mapping."""

    line: int
    pattern: re.Pattern[str]
    urgency: Callable[[str], int | None]


def framed_draft(
    text: str, ctx: ParseContext, fmt: SourceFormat, where: str, fields: HeaderFields
) -> tuple[Frame, WireProfile, Draft, re.Match[str] | None]:
    """Where both wire parsers start: the framing of ``text``, the agency's profile (by authenticated agency,
    else header/trailer), a draft in the profile's language with the header's urgency and take and the
    trailer's time, and the header line's match (None when the line is absent or of another shape)."""
    frame = split_frame(text)
    profile = wire_profile(ctx.agency, *frame.header[:1], *frame.trailer)
    draft = Draft(source_format=fmt, where=where, language=profile.language)
    match = None
    if len(frame.header) > fields.line:
        match = fields.pattern.match(" ".join(frame.header[fields.line].split()))
    if match is not None:
        draft.urgency = fields.urgency(match.group("priority"))
        if version := match.groupdict().get("version"):
            apply_take(draft, version)
    draft.versioncreated = trailer_time(frame.trailer, ctx.timezone)
    return frame, profile, draft, match

"""IPTC ninjs (News in JSON), every generation.

- 1.x: lowercase singletons: ``headline``, ``body_text`` / ``body_html`` / ``body_xhtml``, ``byline``,
  ``versioncreated``, ``firstcreated``, ``embargoed``, ``pubstatus``, ``subject`` (objects), ``keywords``.
- 2.x: lowercase arrays: ``headlines``, ``bodies``, ``by``, ``subjects``, ``places``, ``embargoed``.
- 3.x: camelCase: ``versionCreated``, ``firstCreated``, ``pubStatus``, ``embargoedUntil``, ``located``.

Each field is read under every name it has had, so mixed documents work too.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.cleaning import clean_inline, split_plain_paragraphs
from pipeline.stages.normalise.draft import Draft, ParseContext
from pipeline.stages.normalise.formats import register
from pipeline.stages.normalise.html import html_paragraphs, html_structure, looks_like_html
from pipeline.stages.normalise.safety import load_json
from pipeline.stages.normalise.structure import Structure
from pipeline.stages.normalise.timestamps import parse_timestamp
from schemas.story import Dateline, PubStatus, Subject

_PUBSTATUS: dict[str, PubStatus] = {"usable": "usable", "withheld": "withheld", "canceled": "canceled"}
#: Body content types parsed as markup (HTML, XHTML, NITF and other XML).
_MARKUP_TYPES = ("html", "xml", "nitf")
_NINJS_KEYS = frozenset(
    {
        "uri",
        "guid",
        "headline",
        "headlines",
        "body_text",
        "body_html",
        "body_xhtml",
        "bodies",
        "versioncreated",
        "versionCreated",
        "descriptions",
        "description_text",
    }
)


@register("ninjs")
def parse_ninjs(text: str, ctx: ParseContext) -> list[Draft]:
    doc = load_json(text, ctx.max_depth)
    if not isinstance(doc, dict):
        raise StageError("schema_violation", f"ninjs: the document is a JSON {type(doc).__name__}, not an object")
    if not _NINJS_KEYS.intersection(doc):
        keys = ", ".join(sorted(doc)[:5]) or "none"
        raise StageError("schema_violation", f"ninjs: the JSON object has no ninjs properties (keys: {keys})")
    return [_item(doc, ctx)]


def _get(doc: dict[str, Any], *names: str) -> Any:
    for n in names:
        if n in doc and doc[n] is not None:
            return doc[n]
    return None


def _str(doc: dict[str, Any], *names: str) -> str | None:
    value = _get(doc, *names)
    if value is None:
        return None
    if not isinstance(value, str):
        raise StageError("schema_violation", f"ninjs: {names[0]} must be a string, not {type(value).__name__}")
    return value


def _item(doc: dict[str, Any], ctx: ParseContext) -> Draft:
    # ninjs 1.x producers (Superdesk and its agencies) often send the identifier as "guid" and no "uri".
    uri = _str(doc, "uri") or _str(doc, "guid")
    draft = Draft(source_format="ninjs", uri=uri.strip() if uri and uri.strip() else None, where="ninjs")
    draft.version = _version(_get(doc, "version"))
    draft.headline = _headline(doc)
    structure = _body(doc)
    draft.body, draft.structure = structure.paragraphs, structure
    by = _get(doc, "byline", "by")
    if isinstance(by, list):  # some producers send a list of names
        by = ", ".join(str(b.get("name", "")) if isinstance(b, dict) else str(b) for b in by)
    draft.byline = by if isinstance(by, str) else None
    lang = _str(doc, "language", "lang")
    draft.language = lang.strip() if lang else None
    tz = ctx.timezone
    draft.versioncreated = parse_timestamp(_str(doc, "versionCreated", "versioncreated"), tz, "ninjs versionCreated")
    draft.firstcreated = parse_timestamp(_str(doc, "firstCreated", "firstcreated"), tz, "ninjs firstCreated")
    draft.embargoed = parse_timestamp(
        _str(doc, "embargoedUntil", "embargoed", "embargoeduntil"), tz, "ninjs embargoedUntil"
    )
    status = (_str(doc, "pubStatus", "pubstatus") or "usable").strip().lower()
    if status not in _PUBSTATUS:
        raise StageError("schema_violation", f"ninjs pubStatus {status!r} is not usable, withheld or canceled")
    draft.pubstatus = _PUBSTATUS[status]
    urgency = _get(doc, "urgency")
    if urgency is not None:
        if isinstance(urgency, bool) or not isinstance(urgency, int) or not 0 <= urgency <= 9:
            raise StageError("schema_violation", f"ninjs urgency {urgency!r} is not an integer 0..9")
        draft.urgency = urgency or None
    draft.subjects = _subjects(_get(doc, "subjects", "subject") or [])
    keywords = _get(doc, "keywords") or []
    if not isinstance(keywords, list):
        raise StageError("schema_violation", "ninjs keywords must be an array")
    draft.keywords = [k for k in keywords if isinstance(k, str)]
    located = _get(doc, "located")
    if isinstance(located, str) and located.strip():
        place = located.split(",")[0].strip()
        draft.dateline = Dateline(text=located.strip(), place=place or None)
    return draft


def _version(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise StageError("schema_violation", "ninjs version must be a number or numeric string")
    try:
        n = int(str(value).strip())
    except ValueError as exc:
        raise StageError("schema_violation", f"ninjs version {value!r} is not an integer") from exc
    if n < 1:
        # ninjs allows version 0 for a first draft; the canonical story counts from 1.
        return 1
    return n


def _headline(doc: dict[str, Any]) -> str | None:
    single = _get(doc, "headline")
    if isinstance(single, str) and single.strip():
        return single
    headlines = _get(doc, "headlines")
    if isinstance(headlines, list):
        candidates = [h for h in headlines if isinstance(h, dict) and isinstance(h.get("value"), str)]
        for h in candidates:
            if h.get("role") in (None, "main", "default"):
                return str(h["value"])
        if candidates:
            return str(candidates[0]["value"])
    return None


def _body(doc: dict[str, Any]) -> Structure:
    """Paragraphs of the richest body.

    Candidates: every ``body_*`` property (ninjs 1.x allows any name matching ``^body_``: ``body_html5``,
    ``body_richhtml`` …; ``body_text`` is plain text, the others markup) and every entry of ``bodies``,
    each parsed by its type (HTML, XHTML and NITF as markup, plain text as text; markup sent as text is
    parsed as markup). Markup is preferred, having paragraph structure, unless a plain-text body holds
    clearly more text. Without a body, the descriptions.
    """
    markup: list[tuple[bool, str]] = []  # (in a vocabulary read here: HTML, XHTML, NITF; the markup)
    plain: list[str] = []
    for key, value in doc.items():
        if not key.startswith("body_") or not isinstance(value, str) or not value.strip():
            continue
        if key == "body_text" and not _is_markup(value):
            plain.append(value)
        else:
            markup.append((_known_markup(value), value))
    bodies = doc.get("bodies")
    if isinstance(bodies, list):
        for b in bodies:
            if not isinstance(b, dict) or not isinstance(b.get("value"), str) or not b["value"].strip():
                continue
            ctype = str(b.get("contentType") or b.get("contenttype") or "").lower()
            typed_markup = any(t in ctype for t in _MARKUP_TYPES)
            if typed_markup or _is_markup(b["value"]):
                markup.append((_known_markup(b["value"]), b["value"]))
            else:
                plain.append(b["value"])
    best = Structure()
    best_size = 0
    # The longest markup is the richest (renderings repeat one story in several bodies): parse only it,
    # unless it holds no text. An agency's own XML vocabulary (TT's <TTNITF>, whose header elements are not
    # story text) comes after every body in a vocabulary read here.
    for _, value in sorted(markup, key=lambda m: (m[0], len(m[1])), reverse=True):
        best = html_structure(value)
        best_size = sum(len(p) for p in best.paragraphs)
        if best_size:
            break
    for value in plain:
        if best.paragraphs and len(value) < 1.5 * best_size:
            continue  # not clearly more text than the markup body: no need to read it
        paragraphs = [p for p in split_plain_paragraphs(value) if clean_inline(p)]
        size = sum(len(p) for p in paragraphs)
        if size > best_size * (1.5 if best.paragraphs else 1):
            best, best_size = Structure(paragraphs), size
    return best if best.paragraphs else Structure(_description(doc))


_ROOT = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<([A-Za-z][\w.:-]*)", re.S)
#: Root elements of markup whose structure is read here; bare fragments (``<p>…``) are HTML too.
_KNOWN_ROOTS = frozenset(
    "html body main article section header div p span a b i em strong h1 h2 h3 h4 h5 h6 ul ol li table blockquote"
    " figure pre br hr nitf body.content hl1 hl2".split()
)


def _known_markup(value: str) -> bool:
    """Whether a markup body is HTML, XHTML or NITF (by its root element), not an agency's own XML."""
    m = _ROOT.match(value[:2000])
    return m is None or m.group(1).lower().rsplit(":", 1)[-1] in _KNOWN_ROOTS


def _is_markup(value: str) -> bool:
    """Markup sent as a text body: starts with an XML declaration or a tag (``<?xml``, ``<nitf>``, ``<p>``)."""
    return value.lstrip()[:1] == "<" and looks_like_html(value[:200])


def _description(doc: dict[str, Any]) -> list[str]:
    """A text item without a body (e.g. a brief) carries its text as a description."""
    for key in ("description_html", "description_text"):
        if isinstance(doc.get(key), str):
            paragraphs = html_paragraphs(doc[key]) if key.endswith("html") else split_plain_paragraphs(doc[key])
            if paragraphs:
                return paragraphs
    descriptions = doc.get("descriptions")
    if isinstance(descriptions, list):
        for d in descriptions:
            if isinstance(d, dict) and isinstance(d.get("value"), str):
                ctype = str(d.get("contentType") or "").lower()
                value = d["value"]
                paragraphs = html_paragraphs(value) if "html" in ctype else split_plain_paragraphs(value)
                if paragraphs:
                    return paragraphs
    return []


def _subjects(items: Any) -> list[Subject]:
    if not isinstance(items, list):
        raise StageError("schema_violation", "ninjs subjects must be an array")
    out: list[Subject] = []
    for s in items:
        if not isinstance(s, dict):
            continue
        code = s.get("uri") or s.get("code") or s.get("literal")
        name = s.get("name")
        scheme = s.get("scheme")
        if isinstance(code, str) and ":" not in code and isinstance(scheme, str) and scheme:
            code = f"{scheme}:{code}"
        subject = Subject(
            code=code if isinstance(code, str) else None,
            name=name if isinstance(name, str) else None,
            scheme=scheme if isinstance(scheme, str) else None,
        )
        if subject.code or subject.name:
            out.append(subject)
    return out

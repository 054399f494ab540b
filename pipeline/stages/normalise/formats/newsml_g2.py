"""IPTC NewsML-G2: a ``newsMessage`` with one or more items, or a lone ``newsItem``.

Every text ``newsItem`` (``itemClass`` ``ninat:text``, or no class, with an ``inlineXML`` or
``inlineData`` body) becomes one story; package, picture and other items are skipped.
Identity: ``@guid`` and ``@version``. ``itemMeta``: ``versionCreated``, ``firstCreated``,
``embargoed``, ``pubStatus@qcode`` (``stat:*``), ``signal@qcode`` (``sig:update``, ``sig:correction``,
``sig:kill``). ``contentMeta``: ``urgency``, ``language@tag``, ``subject@qcode`` + ``name``,
``keyword``, ``headline``, ``by``, ``dateline``, ``located`` (country from an ``iso3166-1a2:`` qcode).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.cleaning import split_plain_paragraphs
from pipeline.stages.normalise.countries import alpha2
from pipeline.stages.normalise.draft import Draft, ParseContext
from pipeline.stages.normalise.formats import register
from pipeline.stages.normalise.html import (
    element_paragraphs,
    element_structure,
    html_structure,
    looks_like_html,
    marked_up_text_paragraphs,
)
from pipeline.stages.normalise.safety import parse_xml
from pipeline.stages.normalise.structure import Structure
from pipeline.stages.normalise.timestamps import parse_timestamp
from pipeline.stages.normalise.wire_profiles import apply_slug_takes
from pipeline.stages.normalise.wiretext import printed_dateline
from pipeline.stages.normalise.xmltools import attr, text_of, to_int, urgency
from schemas.story import Dateline, PubStatus, Signal, Subject

_STATUS: dict[str, PubStatus] = {"usable": "usable", "withheld": "withheld", "canceled": "canceled"}
_SIGNALS: dict[str, Signal] = {"update": "update", "correction": "correction", "kill": "kill"}
_COUNTRY_SCHEMES = ("iso3166-1a2:", "iso3166-1a3:", "iso3166:")


@register("newsml-g2")
def parse_g2(text: str, ctx: ParseContext) -> list[Draft]:
    root = parse_xml(text, ctx.max_depth)
    if root.tag == "newsItem":
        items = [root]
    elif root.tag == "newsMessage":
        items = [el for el in root.iter("newsItem")]
    else:
        raise StageError("schema_violation", f"NewsML-G2: root element is <{root.tag}>")
    drafts = []
    for i, item in enumerate(items, start=1):
        where = f"newsItem[{i}]" + (f" {item.get('guid')}" if item.get("guid") else "")
        if _is_text(item):
            drafts.append(_item(item, ctx, where))
    if not drafts:
        raise StageError("empty_body", f"NewsML-G2: no text newsItem among {len(items)} item(s)")
    return drafts


def _qcode_value(element: ET.Element | None, scheme: str) -> str | None:
    """``stat:usable`` → ``usable`` (also accepts a full ``uri`` attribute ending in the value)."""
    code = attr(element, "qcode") or attr(element, "uri")
    if not code:
        return None
    return code.split(":", 1)[1] if code.startswith(f"{scheme}:") else code.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _is_text(item: ET.Element) -> bool:
    item_class = _qcode_value(item.find("itemMeta/itemClass"), "ninat")
    if item_class not in (None, "text", "composite"):
        return False
    content_set = item.find("contentSet")
    return content_set is not None and (
        content_set.find("inlineXML") is not None or content_set.find("inlineData") is not None
    )


def _item(item: ET.Element, ctx: ParseContext, where: str) -> Draft:
    draft = Draft(source_format="newsml-g2", where=where)
    guid = attr(item, "guid")
    if not guid:
        raise StageError("schema_violation", f"NewsML-G2 {where}: newsItem has no @guid")
    draft.uri = guid
    draft.version = to_int(attr(item, "version"), f"{where} @version")
    meta = item.find("itemMeta")
    tz = ctx.timezone
    if meta is not None:
        draft.versioncreated = parse_timestamp(text_of(meta.find("versionCreated")), tz, f"{where} versionCreated")
        draft.firstcreated = parse_timestamp(text_of(meta.find("firstCreated")), tz, f"{where} firstCreated")
        draft.embargoed = parse_timestamp(text_of(meta.find("embargoed")), tz, f"{where} embargoed")
        status = _qcode_value(meta.find("pubStatus"), "stat") or "usable"
        if status not in _STATUS:
            raise StageError("schema_violation", f"NewsML-G2 {where}: pubStatus {status!r} is not known")
        draft.pubstatus = _STATUS[status]
        for sig in meta.findall("signal"):
            value = _qcode_value(sig, "sig")
            if value in _SIGNALS and _SIGNALS[value] not in draft.signals:
                draft.signals.append(_SIGNALS[value])
    cmeta = item.find("contentMeta")
    draft.language = attr(item, "lang")
    if cmeta is not None:
        draft.urgency = urgency(text_of(cmeta.find("urgency")), f"{where} urgency")
        draft.language = attr(cmeta.find("language"), "tag") or draft.language
        draft.headline = text_of(cmeta.find("headline"))
        if slugline := text_of(cmeta.find("slugline")):
            apply_slug_takes(draft, slugline)
        draft.byline = text_of(cmeta.find("by"))
        for subj in cmeta.findall("subject"):
            code = attr(subj, "qcode") or attr(subj, "uri")
            name = text_of(subj.find("name"))
            if code or name:
                scheme = code.split(":", 1)[0] if code and ":" in code else None
                draft.subjects.append(Subject(code=code, name=name, scheme=scheme))
        draft.keywords = [k for kw in cmeta.findall("keyword") if (k := text_of(kw))]
        draft.dateline = _dateline(cmeta)
    draft.ednote = [n for m in (meta, cmeta) if m is not None for n in _ednotes(m)]
    content_set = item.find("contentSet")
    structure = _body(content_set)
    draft.body, draft.structure = structure.paragraphs, structure
    if not draft.byline and content_set is not None:
        draft.byline = _payload_byline(content_set)
    if not draft.headline:
        # An embedded NITF or XHTML body carries its own headline; else the item's title.
        for path in (
            "contentSet/inlineXML/nitf/body/body.head/hedline/hl1",
            "contentSet/inlineXML/nitf/head/title",
            "contentSet/inlineXML/html/head/title",
            "contentSet/inlineXML/html/body//h1",
            "itemMeta/title",
        ):
            draft.headline = text_of(item.find(path))
            if draft.headline:
                break
    return draft


def _payload_byline(content_set: ET.Element) -> str | None:
    """A byline element holding plain text only (TT's own XML: ``<BYLINE>Name/TT</BYLINE>``). A NITF byline
    (``<person>``, ``<byttl>``) is a header whose placeholders (``By Staff Reporter``) and titles are no names."""
    return next(
        (b for el in content_set.iter() if el.tag.lower() == "byline" and not len(el) and (b := text_of(el))), None
    )


def _ednotes(meta: ET.Element) -> list[str]:
    """Editor's notes: plain-text ``edNote``s, else the text of structured ones (one line per block)."""
    notes = meta.findall("edNote")
    plain = [t for n in notes if not len(n) and (t := text_of(n))]
    if plain:
        return plain
    return [p for n in notes for p in element_paragraphs(n)]


def _dateline(cmeta: ET.Element) -> Dateline | None:
    located = cmeta.find("located")
    place = text_of(located.find("name")) if located is not None else None
    country = None
    if located is not None:
        for el in located.iter():
            code = attr(el, "qcode") or ""
            for scheme in _COUNTRY_SCHEMES:
                if code.startswith(scheme):
                    country = alpha2(code[len(scheme) :])
            if country:
                break
    printed = text_of(cmeta.find("dateline"))
    if printed:
        printed_place, date = printed_dateline(printed)
        return Dateline(text=printed, place=place or printed_place, country=country, date=date)
    if place:
        return Dateline(text=place, place=place, country=country)
    return None


def _body(content_set: ET.Element | None) -> Structure:
    if content_set is None:
        return Structure()
    for inline in content_set.findall("inlineXML"):
        structure = element_structure(inline)
        if structure.paragraphs:
            return structure
    for inline in content_set.findall("inlineData"):
        data = "".join(inline.itertext())
        ctype = (attr(inline, "contenttype") or "text/plain").lower()
        if any(t in ctype for t in ("html", "xml", "nitf")):
            structure = html_structure(data)
        elif looks_like_html(data):
            # Wire text wrapped in <p> tags and labelled text/plain: its line layout marks the paragraphs.
            structure = Structure(marked_up_text_paragraphs(data))
        else:
            structure = Structure(split_plain_paragraphs(data))
        if structure.paragraphs:
            return structure
    return Structure()

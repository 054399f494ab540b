"""NITF 3.x (News Industry Text Format).

Identity: ``docdata/doc-id@id-string`` (used as the uri when it is already a URI, else qualified as
``urn:wirefeed:<agency>:id:<id>``), version from ``du-key@version``. Times from ``date.issue@norm``
(``date.release@norm`` is the embargo); ``@management-status`` gives the pubstatus; ``urgency@ed-urg``;
``key-list/keyword@key``; ``tobject.subject@tobject.subject.refnum`` (IPTC subject codes, ``subj:``);
``evloc@iso-cc`` / ``@city`` for the dateline; ``body.head`` for headline, byline and dateline;
``body.content`` for the paragraphs (media captions skipped).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.cleaning import clean_inline
from pipeline.stages.normalise.countries import alpha2
from pipeline.stages.normalise.draft import Draft, ParseContext
from pipeline.stages.normalise.formats import register
from pipeline.stages.normalise.html import element_structure
from pipeline.stages.normalise.safety import parse_xml
from pipeline.stages.normalise.timestamps import parse_timestamp
from pipeline.stages.normalise.wiretext import normal_case_place, printed_dateline
from pipeline.stages.normalise.xmltools import attr, subject_code, text_of, to_int, urgency
from schemas.story import Dateline, PubStatus, Subject

_STATUS: dict[str, PubStatus] = {
    "usable": "usable",
    "embargoed": "withheld",
    "withheld": "withheld",
    "canceled": "canceled",
    "cancelled": "canceled",
}


@register("nitf")
def parse_nitf(text: str, ctx: ParseContext) -> list[Draft]:
    root = parse_xml(text, ctx.max_depth)
    if root.tag != "nitf":
        raise StageError("schema_violation", f"NITF: root element is <{root.tag}>, not <nitf>")
    return [nitf_draft(root, ctx, "nitf")]


def nitf_draft(root: ET.Element, ctx: ParseContext, where: str) -> Draft:
    """A Draft from an ``<nitf>`` element (also used for NITF bodies inside NewsML 1.2)."""
    draft = Draft(source_format="nitf", where=where)
    head = root.find("head")
    docdata = head.find("docdata") if head is not None else None
    body = root.find("body")
    body_head = body.find("body.head") if body is not None else None

    draft.language = attr(root, "baselang") or attr(root, "lang")
    if docdata is not None:
        doc_id = attr(docdata.find("doc-id"), "id-string")
        if doc_id:
            if ":" in doc_id:
                draft.uri = doc_id
            else:
                draft.agency_id = doc_id
        draft.version = to_int(attr(docdata.find("du-key"), "version"), f"{where} du-key@version")
        draft.versioncreated = parse_timestamp(
            attr(docdata.find("date.issue"), "norm"), ctx.timezone, f"{where} date.issue@norm"
        )
        draft.embargoed = parse_timestamp(
            attr(docdata.find("date.release"), "norm"), ctx.timezone, f"{where} date.release@norm"
        )
        # The DTD puts <urgency> in docdata; some senders (The Canadian Press) put it in head.
        urgency_element = docdata.find("urgency")
        if urgency_element is None and head is not None:
            urgency_element = head.find("urgency")
        draft.urgency = urgency(attr(urgency_element, "ed-urg"), f"{where} urgency@ed-urg")
        status = (attr(docdata, "management-status") or "usable").lower()
        if status not in _STATUS:
            raise StageError("schema_violation", f"{where}: management-status {status!r} is not known")
        draft.pubstatus = _STATUS[status]
        draft.keywords = [k for kw in docdata.iter("keyword") if (k := attr(kw, "key"))]
    if draft.versioncreated is None and head is not None:
        draft.versioncreated = parse_timestamp(
            attr(head.find("pubdata"), "date.publication"), ctx.timezone, f"{where} pubdata@date.publication"
        )
    if head is not None:
        for subj in head.iter("tobject.subject"):
            ref = attr(subj, "tobject.subject.refnum")
            name = (
                attr(subj, "tobject.subject.detail")
                or attr(subj, "tobject.subject.matter")
                or attr(subj, "tobject.subject.type")
            )
            if ref:
                code, scheme = subject_code(ref, attr(subj, "tobject.subject.ipr"), ctx.agency)
                draft.subjects.append(Subject(code=code, name=name, scheme=scheme))
            elif name:
                draft.subjects.append(Subject(code=None, name=name, scheme=None))

    draft.headline = text_of(body_head.find("hedline/hl1")) if body_head is not None else None
    if not draft.headline and head is not None:
        draft.headline = text_of(head.find("title"))
    if body_head is not None:
        byline = body_head.find("byline")
        if byline is not None:
            # <byttl> (the writer's title, "AP Business Writer") is its own field, never glued to the name.
            draft.byline_title = text_of(byline.find("byttl"))
            person = text_of(byline.find("person"))
            draft.byline = person or _without_byttl(byline)
            if draft.byline and draft.byline.lower().startswith("by "):
                draft.byline = draft.byline[3:].strip()
    draft.dateline = _dateline(body_head, docdata)
    content = body.find("body.content") if body is not None else None
    if content is not None:
        structure = element_structure(content)
        draft.body, draft.structure = structure.paragraphs, structure
    return draft


def _without_byttl(byline: ET.Element) -> str | None:
    parts = [byline.text or ""]
    for child in byline:
        if child.tag != "byttl":
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return clean_inline("".join(parts)) or None


def _dateline(body_head: ET.Element | None, docdata: ET.Element | None) -> Dateline | None:
    evloc = docdata.find("evloc") if docdata is not None else None
    country = alpha2(attr(evloc, "iso-cc"))
    city = attr(evloc, "city")
    element = body_head.find("dateline") if body_head is not None else None
    printed = text_of(element)
    if printed:
        located = element.find("location") if element is not None else None
        # A structured location (city, state, country elements) names the place by its city.
        location = text_of(located.find("city")) or text_of(located) if located is not None else None
        date = text_of(element.find("story.date")) if element is not None else None
        # The printed text is read only for what the elements do not give.
        printed_place, printed_date = printed_dateline(printed) if not (location or city) or not date else (None, None)
        # "Newport News, VA": the place without its state or country.
        place = normal_case_place(location.split(",")[0].strip()) if location else city or printed_place
        return Dateline(text=printed, place=place, country=country, date=date or printed_date)
    if city:
        return Dateline(text=city, place=city, country=country)
    return None

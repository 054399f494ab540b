"""IPTC NewsML 1.2: a ``NewsML`` envelope with one or more ``NewsItem``s.

Identity: the ``PublicIdentifier`` without its revision suffix (so every revision shares the uri), else
``urn:newsml:<ProviderId>:<DateId>:<NewsItemId>``; version from ``RevisionId``. ``NewsManagement``:
``FirstCreated``, ``ThisRevisionCreated``, ``Status``, ``Urgency``, ``StatusWillChange`` (embargo).
``NewsLines``: ``HeadLine``, ``ByLine``, ``DateLine``, advisory ``NewsLine``s (``RECASTS``, ``UPDATES``,
``CORRECTS`` give signals). ``DescriptiveMetadata``: ``Language``, ``SubjectCode``, ``Location
HowPresent="Origin"`` or the metadata's own ``Country``/``City`` properties (alpha-3 country → alpha-2),
``Property Keyword``. The body is the first text ``ContentItem``: embedded NITF ``body.content`` or plain
``DataContent``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.cleaning import split_plain_paragraphs
from pipeline.stages.normalise.countries import alpha2
from pipeline.stages.normalise.draft import Draft, ParseContext
from pipeline.stages.normalise.formats import register
from pipeline.stages.normalise.html import element_structure, html_structure
from pipeline.stages.normalise.safety import parse_xml
from pipeline.stages.normalise.structure import Structure
from pipeline.stages.normalise.timestamps import parse_timestamp
from pipeline.stages.normalise.wiretext import advisory_signal, printed_dateline
from pipeline.stages.normalise.xmltools import attr, subject_code, text_of, to_int, urgency
from schemas.story import Dateline, PubStatus, Subject

_STATUS: dict[str, PubStatus] = {
    "usable": "usable",
    "withheld": "withheld",
    "embargoed": "withheld",
    "canceled": "canceled",
    "cancelled": "canceled",
}


@register("newsml-1.2")
def parse_newsml12(text: str, ctx: ParseContext) -> list[Draft]:
    root = parse_xml(text, ctx.max_depth)
    if root.tag != "NewsML":
        raise StageError("schema_violation", f"NewsML 1.2: root element is <{root.tag}>, not <NewsML>")
    items = root.findall("NewsItem")
    if not items:
        raise StageError("schema_violation", "NewsML 1.2: no NewsItem")
    drafts = []
    for i, item in enumerate(items, start=1):
        draft = _item(item, ctx, f"NewsItem[{i}]")
        if draft.body or draft.headline:
            drafts.append(draft)
    return drafts


def _formal(element: ET.Element | None) -> str | None:
    return attr(element, "FormalName")


def _item(item: ET.Element, ctx: ParseContext, where: str) -> Draft:
    draft = Draft(source_format="newsml-1.2", where=where)
    tz = ctx.timezone
    ident = item.find("Identification/NewsIdentifier")
    if ident is not None:
        provider, date_id, item_id = (text_of(ident.find(t)) for t in ("ProviderId", "DateId", "NewsItemId"))
        public = text_of(ident.find("PublicIdentifier"))
        if public and public.count(":") >= 5:  # urn:newsml:<provider>:<date>:<item>:<revision>
            draft.uri = public.rsplit(":", 1)[0]
        elif provider and date_id and item_id:
            draft.uri = f"urn:newsml:{provider}:{date_id}:{item_id}"
        else:
            draft.uri = public
        revision = ident.find("RevisionId")
        draft.version = to_int(text_of(revision), f"{where} RevisionId")
        if (draft.version or 1) > 1 or (attr(revision, "PreviousRevision") or "0") != "0":
            draft.signals.append("update")
    mgmt = item.find("NewsManagement")
    if mgmt is not None:
        draft.firstcreated = parse_timestamp(text_of(mgmt.find("FirstCreated")), tz, f"{where} FirstCreated")
        draft.versioncreated = parse_timestamp(
            text_of(mgmt.find("ThisRevisionCreated")), tz, f"{where} ThisRevisionCreated"
        )
        status = (_formal(mgmt.find("Status")) or "Usable").lower()
        if status not in _STATUS:
            raise StageError("schema_violation", f"NewsML 1.2 {where}: Status {status!r} is not known")
        draft.pubstatus = _STATUS[status]
        if status in ("embargoed", "withheld"):
            draft.embargoed = parse_timestamp(
                text_of(mgmt.find("StatusWillChange/DateAndTime")), tz, f"{where} StatusWillChange"
            )
        # FormalName as the standard says; some agencies (TASS) put the number in the element's text.
        draft.urgency = urgency(_formal(mgmt.find("Urgency")) or text_of(mgmt.find("Urgency")), f"{where} Urgency")
    component = item.find("NewsComponent")
    if component is None:
        return draft
    # Text items often nest their NewsLines / metadata one NewsComponent down.
    lines = component.find("NewsLines")
    if lines is None:
        lines = component.find(".//NewsLines")
    printed_dateline = None
    if lines is not None:
        draft.headline = text_of(lines.find("HeadLine"))
        draft.byline = text_of(lines.find("ByLine"))
        printed_dateline = text_of(lines.find("DateLine"))
        if not draft.headline:
            # An envelope component whose NewsLines carry no headline: the first nested one that has it.
            draft.headline = next(
                (h for nl in component.iter("NewsLines") if (h := text_of(nl.find("HeadLine")))), None
            )
        for line in lines.findall("NewsLine"):
            if _formal(line.find("NewsLineType")) == "AdvisoryLine":
                signal = advisory_signal(text_of(line.find("NewsLineText")) or "")
                if signal and signal not in draft.signals:
                    draft.signals.append(signal)
    if not draft.byline:
        creator = _formal(component.find("AdministrativeMetadata/Creator/Party"))
        draft.byline = creator.strip() if creator else None
    meta = component.find("DescriptiveMetadata")
    if meta is None:
        meta = component.find(".//DescriptiveMetadata")
    origin_country = origin_city = origin_area = None
    if meta is not None:
        draft.language = _formal(meta.find("Language"))
    # Without a Language element, the component's xml:lang (Belga) names the item's language.
    draft.language = draft.language or attr(component, "lang")
    if meta is not None:
        for code in meta.iter("SubjectCode"):
            for subj in code:
                if subj.tag in ("Subject", "SubjectMatter", "SubjectDetail") and (ref := _formal(subj)):
                    code_, scheme = subject_code(ref, attr(subj, "Scheme"), ctx.agency)
                    draft.subjects.append(Subject(code=code_, scheme=scheme))
        origins = [loc for loc in meta.findall("Location") if attr(loc, "HowPresent") in (None, "Origin")]
        # A Location of origin, else Country and City properties of the metadata itself (ANA-MPA).
        for prop in origins[0].iter("Property") if origins else meta.findall("Property"):
            if _formal(prop) == "Country":
                origin_country = alpha2(attr(prop, "Value"))
            elif _formal(prop) == "City":
                origin_city = attr(prop, "Value")
            elif _formal(prop) == "CountryArea":
                origin_area = attr(prop, "Value")
        draft.keywords = [
            v
            for p in meta.findall("Property")
            if _formal(p) == "Keyword" and not attr(p, "Role") and (v := attr(p, "Value"))
        ]
    draft.dateline = _dateline(printed_dateline, origin_city, origin_country, origin_area)
    structure = _body(component)
    draft.body, draft.structure = structure.paragraphs, structure
    if not draft.headline:
        draft.headline = _payload_headline(component)
    return draft


#: Where a story payload inside ``DataContent`` names itself, most specific first: a NITF headline, an XHTML
#: ``<h1>``, then either document's title.
_PAYLOAD_HEADLINES = (
    ".//DataContent/nitf/body/body.head/hedline/hl1",
    ".//DataContent//hedline/hl1",
    ".//DataContent//body//h1",
    ".//DataContent/nitf/head/title",
    ".//DataContent//head/title",
)


def _payload_headline(component: ET.Element) -> str | None:
    """The headline of a story sent as a NITF or XHTML document in a (nested) component's ``DataContent``."""
    return next((h for path in _PAYLOAD_HEADLINES if (h := text_of(component.find(path)))), None)


def _dateline(printed: str | None, city: str | None, country: str | None, area: str | None) -> Dateline | None:
    if printed:
        place, date = printed_dateline(printed)
        # "Landquart GR": the place followed by its region's code (CountryArea "KGR", the canton of Graubünden).
        if place and area and len(area) >= 2 and place.endswith(" " + area[-2:].upper()):
            place = place[:-3].rstrip()
        return Dateline(text=printed, place=city or place, country=country, date=date)
    if city:
        return Dateline(text=city, place=city, country=country)
    return None


#: Roles of the components an item splits its text into (Belga: Title, Lead, Body); the title is the headline.
_TEXT_ROLES = ("lead", "body")


def _role(component: ET.Element) -> str:
    return (_formal(component.find("Role")) or "").lower()


def _body(component: ET.Element) -> Structure:
    """The story text: the Lead and Body components of a text split by role, else the first text ContentItem.

    An item may carry its text split by role in several versions (one per language, each a component with its own
    Title, Lead and Body): the version with the most body text is the story, as for ninjs's richest body.
    """
    versions = [
        c for c in component.iter("NewsComponent") if any(k.tag == "NewsComponent" and _role(k) == "body" for k in c)
    ]
    if versions:
        best = max(versions, key=lambda v: sum(len(text_of(k) or "") for k in v if _role(k) == "body"))
        structure = Structure()
        for k in best:
            if k.tag == "NewsComponent" and _role(k) in _TEXT_ROLES:
                structure.extend(_content(k))
        if structure.paragraphs:
            return structure
    return _content(component)


def _content(component: ET.Element) -> Structure:
    """The paragraphs of the first text ContentItem in ``component`` (embedded NITF, XHTML or plain text)."""
    for content in component.iter("ContentItem"):
        media = _formal(content.find("MediaType"))
        mime = (_formal(content.find("MimeType")) or "").lower()
        # Text, or ComplexData carrying a NITF/XHTML story (TASS, ATS); pictures and other media are not text.
        if media not in (None, "Text") and not (media == "ComplexData" and ("nitf" in mime or "html" in mime)):
            continue
        data = content.find("DataContent")
        if data is None:
            continue
        nitf_content = data.find(".//body.content")
        if nitf_content is not None:
            return element_structure(nitf_content)
        if len(data):
            structure = element_structure(data)
        else:
            raw = data.text or ""
            structure = html_structure(raw) if "<" in raw else Structure(split_plain_paragraphs(raw))
        if structure.paragraphs:
            return structure
    return Structure()

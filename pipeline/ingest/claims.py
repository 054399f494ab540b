"""What the gateway checks in a payload before accepting it (pure, no I/O).

- the declared content type maps to a format hint (or the type is not supported);
- the payload is well-formed for that type (decodable text, JSON, safe XML);
- which agency the payload itself names, so a story claiming another agency can be flagged or refused.

Full parsing and format sniffing belong to the normalise stage; this reads only what the gateway needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import orjson
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from pipeline.stages.errors import StageError
from schemas import FormatHint

#: Media types the gateway accepts, and the format hint each gives the normalise stage.
MEDIA_TYPES: dict[str, FormatHint] = {
    "text/plain": "text",
    "application/json": "ninjs",
    "application/ninjs+json": "ninjs",
    "application/vnd.iptc.ninjs+json": "ninjs",
    "application/xml": "auto",
    "text/xml": "auto",
    "application/nitf+xml": "nitf",
    "application/vnd.iptc.g2.newsmessage+xml": "newsml-g2",
    "application/vnd.iptc.g2.newsitem+xml": "newsml-g2",
    "text/html": "html",
}

#: Lines at the top of a plain-text story searched for a dateline.
_DATELINE_LINES = 15
_DATELINE = re.compile(r"^\s*[A-Z][\w .,'’/-]{1,100}?\(([A-Za-z][\w .&'-]{0,39})\)\s*[—–-]")
_DOMAIN = re.compile(r"^(?:www\.)?([a-z0-9-]+)\.[a-z]{2,}(?:\.[a-z]{2,})?$")


@dataclass(frozen=True, slots=True)
class MediaType:
    essence: str
    charset: str | None
    format_hint: FormatHint


def parse_media_type(content_type: str | None) -> MediaType | None:
    """``type/subtype; charset=...`` → MediaType; None when missing or unsupported (HTTP 415)."""
    if not content_type:
        return None
    essence, *params = (p.strip() for p in content_type.split(";"))
    essence = essence.lower()
    hint = MEDIA_TYPES.get(essence)
    if hint is None:
        return None
    charset = None
    for p in params:
        name, _, value = p.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower() or None
    return MediaType(essence, charset, hint)


def normalise_agency(name: str) -> str:
    """Comparable form of an agency name: 'AFP', 'afp.com', 'nprov:AFP' and 'www.afp.com' compare equal."""
    n = name.strip().lower()
    if ":" in n and "://" not in n:
        n = n.rsplit(":", 1)[1]
    if "://" in n:
        n = n.split("://", 1)[1].split("/", 1)[0]
    if m := _DOMAIN.match(n):
        n = m.group(1)
    return "".join(ch for ch in n if ch.isalnum())


def same_agency(a: str, b: str) -> bool:
    return normalise_agency(a) == normalise_agency(b)


def inspect_payload(payload: bytes, media: MediaType) -> str | None:
    """Check the payload is well-formed for its type; return the agency it names, if any.

    Raises StageError (``empty_body``, ``undecodable``, ``malformed_json``, ``malformed_xml``, ``unsafe_xml``).
    """
    if not payload.strip():
        raise StageError("empty_body", "the request body is empty")
    if media.format_hint == "ninjs":
        try:
            doc = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise StageError("malformed_json", f"body is not valid JSON: {exc}") from exc
        return _ninjs_claim(doc)
    if media.essence.endswith("xml"):
        try:
            root = fromstring(payload)
        except DefusedXmlException as exc:
            raise StageError("unsafe_xml", f"XML with DTD entities or external references: {exc!r}") from exc
        except ParseError as exc:
            raise StageError("malformed_xml", f"body is not well-formed XML: {exc}") from exc
        return _xml_claim(root)
    try:
        text = payload.decode(media.charset or "utf-8")
    except (UnicodeDecodeError, LookupError) as exc:
        raise StageError("undecodable", f"body is not valid {media.charset or 'utf-8'} text: {exc}") from exc
    if media.format_hint == "text":
        return _text_claim(text)
    return None


def _text_claim(text: str) -> str | None:
    for i, line in enumerate(text.splitlines()):
        if i >= _DATELINE_LINES:
            break
        if m := _DATELINE.match(line):
            return m.group(1).strip()
    return None


def _ninjs_claim(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return None
    for field in ("copyrightHolder", "copyrightholder"):
        holder = doc.get(field)
        if isinstance(holder, str) and holder.strip():
            return holder.strip()
        if isinstance(holder, dict) and isinstance(holder.get("name"), str) and holder["name"].strip():
            return holder["name"].strip()
    return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _iter_local(root: Element, name: str) -> Iterator[Element]:
    return (el for el in root.iter() if isinstance(el.tag, str) and _local(el.tag) == name)


def _first_text(root: Element, name: str) -> str | None:
    for el in _iter_local(root, name):
        if el.text and el.text.strip():
            return el.text.strip()
    return None


def _xml_claim(root: Element) -> str | None:
    kind = _local(root.tag)
    if kind == "nitf":
        for el in _iter_local(root, "doc-id"):
            if (src := el.get("regsrc")) and src.strip():
                return src.strip()
        return _first_text(root, "distributor")
    if kind in ("newsMessage", "newsItem"):
        for el in _iter_local(root, "provider"):
            if value := (el.get("literal") or el.get("qcode") or "").strip():
                return value
        for holder in _iter_local(root, "copyrightHolder"):
            if name := _first_text(holder, "name"):
                return name
        return None
    if kind == "NewsML":
        return _first_text(root, "ProviderId")
    return None

"""Which format a submission is in: declared hint, agency default, content type, then the bytes."""

from __future__ import annotations

import re

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.wireframe import HEADER_LINE, PADDING, SOH, framing
from schemas.raw import FormatHint
from schemas.story import SourceFormat

_CONTENT_TYPES: dict[str, SourceFormat] = {
    "application/json": "ninjs",
    "application/ninjs+json": "ninjs",
    "application/vnd.iptc.ninjs+json": "ninjs",
    "text/plain": "text",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/nitf+xml": "nitf",
    "application/vnd.iptc.nitf+xml": "nitf",
    "application/vnd.iptc.g2.newsmessage+xml": "newsml-g2",
    "application/vnd.iptc.g2.newsitem+xml": "newsml-g2",
    "application/vnd.iptc.newsml+xml": "newsml-1.2",
}
_XML_ROOTS: dict[str, SourceFormat] = {
    "nitf": "nitf",
    "newsMessage": "newsml-g2",
    "newsItem": "newsml-g2",
    "NewsML": "newsml-1.2",
    "html": "html",
}
#: The first element name, after any XML declaration, comments, processing instructions and doctype.
_PROLOG = re.compile(r"^\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>\s*)*", re.S | re.I)
_ROOT = re.compile(r"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


def sniff(text: str) -> SourceFormat:
    """The format of decoded ``text`` from its first characters."""
    if text[:1] in PADDING or text[:1] == SOH or HEADER_LINE.match(text):
        framed = framing(text)
        if framed is not None:
            return framed
    head = text[:4096].lstrip("\ufeff \t\r\n")
    if not head:
        raise StageError("empty_body", "the payload is empty")
    if head[0] in "{[":
        return "ninjs"
    if head[0] == "<":
        prolog = _PROLOG.match(head)
        rest = head[prolog.end() :] if prolog else head
        if re.match(r"<!DOCTYPE\s+html", head, re.I):
            return "html"
        m = _ROOT.match(rest)
        if m is None:
            raise StageError("unknown_format", f"markup whose first element cannot be read: {rest[:40]!r}")
        root = m.group(1)
        if root in _XML_ROOTS:
            return _XML_ROOTS[root]
        if root.lower() in {"html", "body", "article", "p", "div", "section", "h1"}:
            return "html"
        raise StageError("unknown_format", f"XML root element <{root}> is not NITF, NewsML-G2 or NewsML 1.2")
    return "text"


def choose_format(hint: FormatHint, agency_default: FormatHint, content_type: str | None, text: str) -> SourceFormat:
    """Submission hint, else agency default, else a specific content type, else sniffing."""
    for h in (hint, agency_default):
        if h != "auto":
            return h
    if content_type:
        mime = content_type.split(";", 1)[0].strip().lower()
        specific = _CONTENT_TYPES.get(mime)
        # Generic types (plain text, JSON, XML) are checked against the bytes: agencies mislabel often.
        if specific is not None and mime not in ("text/plain", "application/json", "text/html"):
            return specific
    return sniff(text)

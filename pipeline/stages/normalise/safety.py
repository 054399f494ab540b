"""Hostile-input limits: size before anything else, nesting depth cheaply, XML without DTDs or entities."""

from __future__ import annotations

import html.entities
import re
import xml.etree.ElementTree as ET
from typing import Any

import orjson
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from pipeline.stages.errors import StageError

#: Outside a JSON string: the next bracket or string opening.
_JSON_TOKEN = re.compile(r'["\[\]{}]')
#: Inside a JSON string: the rest of it up to its closing quote (possessive: no backtracking on a string left open).
_JSON_STRING_REST = re.compile(r'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.S)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_NAMED_ENTITIES = {name: char for name, char in html.entities.html5.items() if name.endswith(";")}
_NAMED_ENTITIES = {name[:-1]: char for name, char in _NAMED_ENTITIES.items() if name[:-1] not in _XML_ENTITIES}


def check_size(payload: bytes, max_bytes: int) -> None:
    if len(payload) > max_bytes:
        raise StageError("too_large", f"payload is {len(payload)} bytes; the limit is {max_bytes}")


def json_depth(text: str, max_depth: int) -> None:
    """Raise ``too_deep`` when JSON brackets nest deeper than ``max_depth`` (strings skipped)."""
    if text.count("{") + text.count("[") <= max_depth:  # not even every opening bracket nested could be too deep
        return
    # One pass, left to right, each character looked at once: linear however strings are left open.
    depth = 0
    pos = 0
    while m := _JSON_TOKEN.search(text, pos):
        c = m.group()
        if c == '"':
            rest = _JSON_STRING_REST.match(text, m.end())
            if rest is None:
                return  # a string left open: not JSON at all, the parser says where
            pos = rest.end()
            continue
        pos = m.end()
        if c in "[{":
            depth += 1
            if depth > max_depth:
                raise StageError("too_deep", f"JSON nests deeper than {max_depth} levels at offset {m.start()}")
        else:
            depth -= 1


def load_json(text: str, max_depth: int) -> Any:
    json_depth(text, max_depth)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise StageError("malformed_json", f"line {exc.lineno} column {exc.colno}: {exc.msg}") from exc


def local(name: str) -> str:
    """``{namespace}tag`` → ``tag``."""
    return name.rsplit("}", 1)[-1] if name.startswith("{") else name


class _Builder(ET.TreeBuilder):
    """A tree builder that drops namespaces from tags and attributes and enforces the depth limit."""

    def __init__(self, max_depth: int) -> None:
        super().__init__()
        self._depth = 0
        self._max = max_depth

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:  # type: ignore[override]
        self._depth += 1
        if self._depth > self._max:
            raise StageError("too_deep", f"XML elements nest deeper than {self._max} levels (at <{local(tag)}>)")
        return super().start(local(tag), {local(k): v for k, v in attrs.items()})

    def end(self, tag: str) -> ET.Element:  # type: ignore[override]
        self._depth -= 1
        return super().end(local(tag))


#: A DTD named by a file name or a relative path (``nitf-3-0.dtd``, ``../nitf/dtd/nitf-3-0.dtd``): no scheme,
#: no absolute path, nothing that names a host. It is never read either way.
_DTD_FILE_NAME = re.compile(r"(?:[\w.\-]+/)*[\w.\-]+\.dtd", re.I)


class _NamedDtdParser(DefusedXMLParser):  # type: ignore[misc]  # defusedxml ships no type hints
    """The defused parser, also accepting an internal subset that only names a DTD file.

    ``<!DOCTYPE NewsML … [<!ENTITY % nitf SYSTEM "nitf-3-0.dtd"> %nitf; ]>`` (NewsML 1.2 carrying NITF) declares a
    parameter entity for a DTD by its file name or relative path; the DTD is never read (expat's parameter-entity
    parsing stays off). Every other entity declaration — general entities, parameter entities with a URL or an
    absolute path — is refused.
    """

    def defused_entity_decl(
        self,
        name: str,
        is_parameter_entity: bool,
        value: str | None,
        base: str | None,
        sysid: str | None,
        pubid: str | None,
        notation_name: str | None,
    ) -> None:
        if is_parameter_entity and value is None and sysid and _DTD_FILE_NAME.fullmatch(sysid):
            return
        super().defused_entity_decl(name, is_parameter_entity, value, base, sysid, pubid, notation_name)


def parse_xml(text: str, max_depth: int) -> ET.Element:
    """Parse decoded XML text safely: no entity declarations, no external references, no DTD ever loaded.

    A DOCTYPE that only names a DTD (``<!DOCTYPE nitf SYSTEM "nitf.dtd">``) is parsed without reading it;
    an entity declaration or external entity reference (XXE, billion laughs) is ``unsafe_xml``.

    Namespaces are dropped from element and attribute names (``xml:lang`` becomes ``lang``).
    """
    body = _XML_DECL.sub("", text, count=1).encode("utf-8")
    if b"<!DOCTYPE" not in body and (root := _parse_plain_xml(body, max_depth)) is not None:
        return root
    # A DOCTYPE that only names a DTD is allowed: expat never reads the external subset (parameter-entity
    # parsing stays off), and any entity declaration or external entity reference is still refused.
    parser = _NamedDtdParser(target=_Builder(max_depth), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    # The DTD that would define HTML's named entities (&nbsp;, &mdash;) is never read: they are known here.
    parser.entity.update(_NAMED_ENTITIES)
    try:
        parser.feed(body)
        parsed: ET.Element = parser.close()
        return parsed
    except DefusedXmlException as exc:
        raise StageError("unsafe_xml", f"XML with a DTD, entity declaration or external reference: {exc}") from exc
    except ET.ParseError as exc:
        line, col = exc.position
        raise StageError("malformed_xml", f"line {line} column {col}: {exc}") from exc


def _parse_plain_xml(body: bytes, max_depth: int) -> ET.Element | None:
    """The tree of a document without a DOCTYPE, by the C parser and tree builder, or None to use the safe one.

    Without a DOCTYPE there is no DTD, so no entity declaration and no external reference: the document is
    what the defused parser would accept, and expat builds the same tree either way. Namespaces are then
    dropped and the depth checked in one walk. Any parse error, and a tree deeper than ``max_depth``, return
    None, so the defused parser, element by element, reports the error exactly as before.
    """
    # Start tags left open at the end (start tags less end tags, self-closing tags, comments, declarations and
    # processing instructions, counted in C): over the depth limit the document is unterminated or too deep, and
    # the C tree builder would spend superlinear time on its nesting before the walk below could refuse it. The
    # counts cost about a microsecond a kilobyte; below _NESTING_CHECKED_FROM bytes the C tree of any nesting
    # costs at most a few milliseconds, and the depth walk refuses it as before.
    if len(body) >= _NESTING_CHECKED_FROM:
        left_open = (body.count(b"<") - 2 * body.count(b"</") - body.count(b"/>") - body.count(b"<!")
                     - body.count(b"<?"))
        if left_open > max_depth:
            return None
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    depth, level = 1, [root]
    while level:  # the elements at ``depth`` (the root is at 1)
        if depth > max_depth:
            return None
        level = [child for element in level for child in element]
        depth += 1
    if b"xmlns" not in body and b"xml:" not in body:
        return root  # no namespace declared and no xml: attribute: no name to shorten
    short: dict[str, str] = {}  # a document uses few distinct names: each is shortened once
    for element in root.iter():
        tag = element.tag
        if tag[0] == "{":
            element.tag = short.get(tag) or short.setdefault(tag, local(tag))
        # ``keys()`` (not ``attrib``, which gives every element without attributes a dict of its own).
        names = element.keys()
        if names and "{" in "".join(names):  # rebuilt only when an attribute name is namespaced
            element.attrib = {local(k): v for k, v in element.items()}
    return root


#: Documents from this size on are checked for start tags left open before the C parser builds their tree.
_NESTING_CHECKED_FROM = 32 * 1024

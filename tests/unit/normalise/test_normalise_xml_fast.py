"""``parse_xml`` by the C parser (documents without a DOCTYPE) builds the tree the defused parser builds."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from defusedxml.ElementTree import DefusedXMLParser

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.safety import _XML_DECL, _Builder, _parse_plain_xml, parse_xml
from tests.unit.normalise.normalise_support import SAMPLES


def _defused(text: str, max_depth: int = 64) -> ET.Element:
    parser = DefusedXMLParser(target=_Builder(max_depth), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.feed(_XML_DECL.sub("", text, count=1).encode("utf-8"))
    return parser.close()


def _dump(root: ET.Element) -> list[tuple[str, dict[str, str], str | None, str | None]]:
    return [(e.tag, dict(e.attrib), e.text, e.tail) for e in root.iter()]


DOCS = [
    *(p.read_text(encoding="utf-8") for p in sorted(SAMPLES.iterdir()) if p.suffix == ".xml"),
    '<a xmlns="urn:x" xmlns:b="urn:b" b:k="1" k="2"><b:c xml:lang="en">t&amp;&#233;</b:c>tail<!-- c --><?pi x?></a>',
    "<r><![CDATA[<not a tag>]]><e a='1' b=\"2\"/>  </r>",
]


@pytest.mark.parametrize("doc", DOCS)
def test_same_tree_as_the_defused_parser(doc: str) -> None:
    fast = _parse_plain_xml(_XML_DECL.sub("", doc, count=1).encode("utf-8"), 64)
    assert fast is not None
    assert _dump(fast) == _dump(_defused(doc))
    assert _dump(parse_xml(doc, 64)) == _dump(_defused(doc))


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', "unsafe_xml"),
        ('<!DOCTYPE a [<!ENTITY % p SYSTEM "http://example.com/a.dtd"> %p;]><a/>', "unsafe_xml"),
        ("<a>&undefined;</a>", "malformed_xml"),
        ("<a><b></a>", "malformed_xml"),
        ("<a>" * 5 + "</a>" * 5, "too_deep"),
    ],
)
def test_errors_still_come_from_the_defused_parser(doc: str, reason: str) -> None:
    with pytest.raises(StageError) as err:
        parse_xml(doc, 4)
    assert err.value.reason == reason
    if reason == "too_deep":
        assert "(at <a>)" in err.value.message
    assert _parse_plain_xml(doc.encode("utf-8"), 4) is None or reason == "unsafe_xml"


def test_a_doctype_that_only_names_a_dtd_is_parsed_without_it() -> None:
    assert parse_xml('<!DOCTYPE a SYSTEM "http://example.com/a.dtd"><a>x</a>', 4).text == "x"
    assert parse_xml('<!DOCTYPE a PUBLIC "-//X//DTD A//EN" "a.dtd" [ <!-- none --> ]><a>y</a>', 4).text == "y"


@pytest.mark.parametrize("units", [10, 4_000, 20_000])  # 4,000 closed: a deep tree under the counted size
@pytest.mark.parametrize("closed", [True, False])
def test_nesting_over_the_limit_is_refused_as_the_defused_parser_refuses_it(units: int, closed: bool) -> None:
    doc = "<a>" + "<p>" * units + ("</p>" * units + "</a>" if closed else "")
    with pytest.raises(StageError) as err:
        parse_xml(doc, 8)
    assert err.value.reason == "too_deep"
    assert _parse_plain_xml(doc.encode("utf-8"), 8) is None


def test_repeated_namespaced_names_are_all_shortened() -> None:
    doc = '<a xmlns="urn:x" xmlns:b="urn:b">' + '<b:c b:k="1" k="2"><d/></b:c>' * 3 + "</a>"
    assert _dump(parse_xml(doc, 8)) == _dump(_defused(doc, 8))
    assert [e.tag for e in parse_xml(doc, 8).iter()] == ["a", *["c", "d"] * 3]

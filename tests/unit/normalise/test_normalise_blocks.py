"""The body's structure in the Story contract: crossheads, quotes, tables, captions and fact boxes (inputs written
for these tests, in the shapes agencies send)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.stages.normalise import normalise
from pipeline.stages.normalise.html import html_structure
from pipeline.stages.normalise.structure import Structure, blocks_of
from schemas.story import Block, Story, body_of
from tests.unit.normalise.normalise_support import make_raw
from tests.unit.normalise.test_normalise_structure import NITF, _g2

NITF_STRUCTURED = NITF.format(headline="Markets rise").replace(
    "<p>The second.</p>",
    "<p>The second.</p><hl2>Oil and gold</hl2>"
    '<media media-type="image"><media-reference source="x.jpg"/><media-caption>Traders at work.</media-caption>'
    "<media-producer>Jane Roe/AP</media-producer></media>"
    "<table><tr><th>Index</th><th>Close</th></tr><tr><td>Dow</td><td>35,000</td></tr><tr><td></td><td></td></tr>"
    "</table><bq><p>We are pleased, a trader said.</p></bq>"
    '<block class="factbox"><hl2>Key figures</hl2><p>Volume was high.</p></block><p>The last.</p>',
)

TT_OWN_XML = """<inlineXML contenttype="application/ttnitf+xml"><BODY xmlns=""><TEXT><RUBRIK>Title of the story</RUBRIK>
  <INGRESS><P>The first paragraph of the story.</P></INGRESS><BRODTEXT>
  <CITAT>First quote, she said.</CITAT><CITAT>Second quote.</CITAT><MELLIS>A crosshead</MELLIS><P>The last one.</P>
  </BRODTEXT><BYLINE>Anna Berg/TT</BYLINE>
  <BILD><BILDFIL>http://example.se/1</BILDFIL><BILDTEXT><P>A caption.</P></BILDTEXT><BILDSKAPARE>Per Ek/TT</BILDSKAPARE>
  </BILD></TEXT><TEXT><RUBRIK>Fakta: the box</RUBRIK><BRODTEXT><P>A fact.</P><UL><LI>1) another</LI></UL></BRODTEXT>
  </TEXT></BODY></inlineXML>"""


def test_nitf_crosshead_caption_table_quote_and_fact_box_keep_their_roles() -> None:
    story = normalise(make_raw(NITF_STRUCTURED.encode()))
    assert story.body == [
        "The first paragraph.",
        "The second.",
        "Oil and gold",
        "Index | Close",
        "Dow | 35,000",
        "We are pleased, a trader said.",
        "The last.",
    ]
    assert story.blocks == [
        "The first paragraph.",  # the dateline is cut from it as from the body
        "The second.",
        Block(kind="crosshead", text="Oil and gold"),
        Block(kind="caption", text="Traders at work.", credit="Jane Roe/AP"),
        Block(kind="table", rows=[["Index", "Close"], ["Dow", "35,000"]]),
        Block(kind="quote", text="We are pleased, a trader said."),
        Block(kind="factbox", text="Key figures", paragraphs=["Volume was high."]),
        "The last.",
    ]


def test_agency_xml_quotes_crosshead_caption_fact_box_and_byline() -> None:
    story = normalise(make_raw(_g2(TT_OWN_XML)))
    assert story.body == [
        "The first paragraph of the story.",
        "First quote, she said.",
        "Second quote.",
        "A crosshead",
        "The last one.",
    ]  # the fact box is not story text
    assert story.byline == "Anna Berg"
    assert story.blocks is not None
    assert [b if isinstance(b, str) else b.kind for b in story.blocks] == [
        "The first paragraph of the story.", "quote", "quote", "crosshead", "The last one.", "caption", "factbox"
    ]
    assert story.blocks[-2] == Block(kind="caption", text="A caption.", credit="Per Ek/TT")
    assert story.blocks[-1] == Block(kind="factbox", text="Fakta: the box", paragraphs=["A fact.", "1) another"])


def test_html_body_structure() -> None:
    st = html_structure(
        "<p>One.</p><h3>Cross</h3><table><tr><td>a</td><td>b<table><tr><td>inner</td></tr></table></td></tr></table>"
        "<figure><img src='x'><figcaption>A caption. <span class='credit'>Photo: X</span></figcaption></figure>"
        "<blockquote><h2>Quoted head</h2><p>Q.</p></blockquote><aside class='factbox'><h2>Facts</h2><p>F.</p></aside>"
    )
    assert st.paragraphs == ["One.", "Cross", "a | b inner", "Quoted head", "Q."]
    assert st.blocks == [
        "One.",
        Block(kind="crosshead", text="Cross"),
        Block(kind="table", rows=[["a", "b inner"]]),
        Block(kind="caption", text="A caption.", credit="Photo: X"),
        Block(kind="crosshead", text="Quoted head"),  # the inner role wins
        Block(kind="quote", text="Q."),
        Block(kind="factbox", text="Facts", paragraphs=["F."]),
    ]


def test_plain_paragraphs_have_no_blocks() -> None:
    assert normalise(make_raw(NITF.format(headline="Markets rise").encode())).blocks is None
    assert html_structure("<p>One.</p><div>Two.</div>").blocks is None


def test_blocks_follow_what_finishing_drops_and_trims() -> None:
    structure = Structure(["Title", "LONDON (X) - First.", "Head", "a | b", "c | d", "Last. (Reporting by A)"])
    structure.marks.append((2, Block(kind="crosshead", text="Head")))
    structure.marks.append((3, Block(kind="table", rows=[["a", "b"], ["c", "d"]])))
    structure.marks.append((5, Block(kind="caption", text="Cap.")))
    body = ["First.", "Head", "a | b", "c | d", "Last."]
    blocks = blocks_of(structure, body)
    assert blocks is not None and body_of(blocks) == body
    assert [b if isinstance(b, str) else b.kind for b in blocks] == ["First.", "crosshead", "table", "caption", "Last."]
    assert blocks_of(structure, ["Something else."]) is None
    assert blocks_of(structure, ["First."]) == ["First.", blocks[3]]  # the caption
    del structure.marks[2]
    assert blocks_of(structure, ["First."]) is None  # only paragraphs left: no structure to keep


def test_contract_refuses_blocks_that_are_not_the_body() -> None:
    story = normalise(make_raw(NITF_STRUCTURED.encode()))
    data = story.model_dump()
    data["body"] = data["body"][:-1]
    with pytest.raises(ValidationError, match="body must be the plain text of blocks"):
        Story.model_validate(data)

"""Structure and furniture in XML formats (inputs written for these tests, in the shape agencies send)."""

from __future__ import annotations

import orjson
import pytest

from pipeline.stages.normalise import normalise
from tests.unit.normalise.normalise_support import make_raw

G2 = """<?xml version="1.0" encoding="UTF-8"?>
<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet>
<newsItem guid="urn:newsml:example.com:20240101:1" version="2" standard="NewsML-G2">
<itemMeta><itemClass qcode="ninat:text"/><versionCreated>2024-01-01T10:00:00Z</versionCreated>
<pubStatus qcode="stat:usable"/></itemMeta>
<contentMeta>{headline}<edNote>Photos available.</edNote>{dateline}</contentMeta>
<contentSet>{content}</contentSet></newsItem></itemSet></newsMessage>"""

XHTML = """<inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml">
<head><title>Title of the story</title></head><body>
<header><ul class="slugline"><li>Sport</li><li>Football</li></ul><time>01.01.2024 11:00</time>
<h1>Title of the story</h1></header>
<section class="main"><p>Berlin (dpa) - The first paragraph of the story.</p><p>The second one.</p></section>
</body></html></inlineXML>"""


def _g2(content: str, headline: str = "<headline>Title of the story</headline>", dateline: str = "") -> bytes:
    return G2.format(content=content, headline=headline, dateline=dateline).encode()


def test_g2_xhtml_header_furniture_is_not_body() -> None:
    story = normalise(make_raw(_g2(XHTML)))
    assert story.body == ["The first paragraph of the story.", "The second one."]
    assert story.dateline is not None and story.dateline.place == "Berlin"
    assert story.ednote == "Photos available."


@pytest.mark.parametrize(
    ("slugline", "signals"),
    [
        ("USA-WEATHER/ (UPDATE 1, PIX, CORRECTED)", ["update", "correction"]),
        ("BC-US--Earns-Nutrisystem, 1st Ld-Writethru", ["update"]),
        ("GLOBAL-MARKETS/", []),
        ("Sport, Football", []),
    ],
)
def test_g2_slugline_versions_are_take_lines(slugline: str, signals: list[str]) -> None:
    headline = f"<headline>Title of the story</headline><slugline>{slugline}</slugline>"
    story = normalise(make_raw(_g2(XHTML, headline=headline)))
    assert story.signals == signals


def test_g2_headline_from_the_xhtml_title_when_contentmeta_has_none() -> None:
    story = normalise(make_raw(_g2(XHTML, headline="<headline/>")))
    assert story.headline == "Title of the story"


def test_g2_markup_in_inline_data_cdata_is_parsed_as_markup() -> None:
    content = (
        '<inlineData contenttype="text/plain"><![CDATA[<p>One paragraph.</p>\n<p>Two &amp; three.</p>]]></inlineData>'
    )
    story = normalise(make_raw(_g2(content)))
    assert story.body == ["One paragraph.", "Two & three."]


def test_g2_date_only_dateline_is_not_a_place() -> None:
    story = normalise(make_raw(_g2(XHTML, dateline="<dateline>4/4/2018</dateline>")))
    assert story.dateline is not None and story.dateline.place == "Berlin"


NITF = """<?xml version="1.0"?><!DOCTYPE nitf SYSTEM "nitf-3-3.dtd">
<nitf><head><docdata><doc-id id-string="x-1"/></docdata></head><body><body.head>
<hedline><hl1>{headline}</hl1></hedline>
<byline>By JANE DOE<byttl>AP Business Writer</byttl></byline>
<dateline><location>NEW YORK</location></dateline></body.head>
<body.content><p>NEW YORK (AP) — The first paragraph.</p><p>The second.</p></body.content></body></nitf>"""


def test_nitf_byline_title_apart_and_dtd_not_rejected() -> None:
    story = normalise(make_raw(NITF.format(headline="Markets rise").encode()))
    assert (story.byline, story.byline_title) == ("JANE DOE", "AP Business Writer")
    assert story.dateline is not None and story.dateline.place == "New York"
    assert story.body == ["The first paragraph.", "The second."]


def test_nitf_urgency_in_head_structured_location_and_its_printed_place() -> None:
    doc = (
        NITF.format(headline="Markets rise")
        .replace("</docdata></head>", '</docdata><urgency ed-urg="2"/></head>')
        .replace(
            "<location>NEW YORK</location>",
            "<location><city>New York</city><state>New York</state><country>USA</country></location>",
        )
        .replace("<p>The second.</p>", "<p>The second.</p><p>This report by AP was first published May 3, 2020.</p>")
        .replace("NEW YORK (AP) — ", "NEW YORK - ")
    )
    story = normalise(make_raw(doc.encode()))
    assert story.urgency == 2
    assert story.dateline is not None and story.dateline.place == "New York"
    assert story.body == ["The first paragraph.", "The second."]


@pytest.mark.parametrize(
    ("headline", "clean", "signals", "urgency"),
    [
        ("CORRECTED-Markets rise", "Markets rise", ["correction"], None),
        ("REFILE-UPDATE 2-Markets rise", "Markets rise", ["update"], None),
        ("URGENT: Markets rise", "Markets rise", [], 3),
        ("FLASH - Markets rise", "Markets rise", [], 1),
        ("2ND LEAD: Markets rise", "Markets rise", ["update"], None),
        ("UPDATED figures: markets rise", "UPDATED figures: markets rise", [], None),
        ("CORRECTION ET MISE À JOUR - Les marchés montent", "Les marchés montent", ["correction", "update"], None),
        ("KORREKTUR: Märkte steigen", "Märkte steigen", ["correction"], None),
        ("US ELECTION - Markets rise", "US ELECTION - Markets rise", [], None),
        ("Markets rise*** TRANSLATED ***", "Markets rise", [], None),
        ("Markets rise *** 2ND TAKE ***", "Markets rise", [], None),
    ],
)
def test_headline_advisories_become_signals(headline: str, clean: str, signals: list[str], urgency: int | None) -> None:
    story = normalise(make_raw(NITF.format(headline=headline).encode()))
    assert story.headline == clean
    assert story.signals == signals
    assert story.urgency == urgency


def test_leading_take_lines_and_byline_paragraphs_leave_the_body() -> None:
    doc = NITF.format(headline="Markets rise").replace(
        "<p>NEW YORK (AP)", "<p>REFILE</p><p>1ST LEAD</p><p>NEW YORK (AP)"
    )
    story = normalise(make_raw(doc.encode()))
    assert story.body == ["The first paragraph.", "The second."]
    assert story.signals == ["update"]


@pytest.mark.parametrize(
    ("last", "kept"),
    [
        ("The end of the story. (bsc)", "The end of the story."),
        ("The end of the story. /ritzau/", "The end of the story."),
        ("The end of the story. kokobj@example.com(END)", "The end of the story."),
        ("The alliance grew (NATO)", "The alliance grew (NATO)"),
    ],
)
def test_closing_credits_and_desk_codes(last: str, kept: str) -> None:
    doc = NITF.format(headline="Markets rise").replace("<p>The second.</p>", f"<p>{last}</p>")
    assert normalise(make_raw(doc.encode())).body[-1] == kept


def test_reporting_by_line_gives_the_byline_and_notes_after_a_rule_leave() -> None:
    doc = (
        NITF.format(headline="Markets rise")
        .replace("<byline>By JANE DOE<byttl>AP Business Writer</byttl></byline>", "")
        .replace(
            "<p>The second.</p>",
            "<p>The second.</p><p>(Reporting by Ann Lee in Paris and Bo Chan in Rome; Editing by Cy Dee)</p>",
        )
    )
    story = normalise(make_raw(doc.encode()))
    assert story.byline == "Ann Lee and Bo Chan"
    assert story.body[-1] == "The second."
    ruled = NITF.format(headline="Markets rise").replace(
        "<p>The second.</p>", "<p>The second.</p><p>___</p><p>Jane Doe can be reached at example.com.</p>"
    )
    assert normalise(make_raw(ruled.encode())).body[-1] == "The second."


@pytest.mark.parametrize(
    ("byline", "name", "title"),
    [
        ("By Sam Lister, Press Association Political Correspondent", "Sam Lister",
         "Press Association Political Correspondent"),
        ("David Bailey, Erwin Seba and Tim Ghianni", "David Bailey, Erwin Seba and Tim Ghianni", None),
    ],
)  # fmt: skip
def test_byline_titles_apart(byline: str, name: str, title: str | None) -> None:
    doc = NITF.format(headline="Markets rise").replace(
        "<byline>By JANE DOE<byttl>AP Business Writer</byttl></byline>", f"<byline>{byline}</byline>"
    )
    story = normalise(make_raw(doc.encode()))
    assert (story.byline, story.byline_title) == (name, title)


def test_agency_routing_prefix_leaves_the_headline() -> None:
    assert normalise(make_raw(NITF.format(headline="&gt;&gt;&gt;ANSA/Gas cut").encode())).headline == "Gas cut"


def test_ninjs_richest_body_under_any_body_name() -> None:
    doc = {
        "uri": "urn:x:1",
        "headline": "H",
        "description_text": "A short description.",
        "body_html5": "<p>First paragraph of the long story.</p><p>Second paragraph of the long story.</p>",
    }
    story = normalise(make_raw(orjson.dumps(doc)))
    assert story.body == ["First paragraph of the long story.", "Second paragraph of the long story."]


def test_ninjs_nitf_body_is_parsed_by_its_type() -> None:
    nitf = '<?xml version="1.0"?><nitf><head><title>T</title></head><body><body.content><p>One.</p><p>Two.</p>'
    doc = {
        "uri": "urn:x:2",
        "headlines": [{"value": "H"}],
        "bodies": [{"contentType": "text/vnd.IPTC.NITF", "value": nitf + "</body.content></body></nitf>"}],
    }
    assert normalise(make_raw(orjson.dumps(doc))).body == ["One.", "Two."]


def test_agency_subject_codes_stay_under_the_agency_scheme() -> None:
    doc = NITF.format(headline="Markets rise").replace(
        "<docdata>",
        '<docdata><tobject><tobject.subject tobject.subject.ipr="EFE" tobject.subject.refnum="F01001000"/>'
        '<tobject.subject tobject.subject.ipr="IPTC" tobject.subject.refnum="11006005"/></tobject>',
    )
    story = normalise(make_raw(doc.encode(), agency="EFE"))
    assert [s.code for s in story.subjects] == ["efe:F01001000", "subj:11006005"]


def test_unbracketed_reporting_credit_leaves_the_body() -> None:
    doc = NITF.format(headline="Markets rise").replace(
        "<byline>By JANE DOE<byttl>AP Business Writer</byttl></byline>", ""
    ).replace("<p>The second.</p>", "<p>The second.</p><p>Reporting by Ann Lee; Editing by Cy Dee</p>")
    story = normalise(make_raw(doc.encode()))
    assert (story.body[-1], story.byline) == ("The second.", "Ann Lee")


def test_unfilled_template_time_is_no_time_but_a_bad_time_is_refused() -> None:
    from pipeline.stages.errors import StageError
    from pipeline.stages.normalise.timestamps import parse_timestamp

    assert parse_timestamp("YYYYMMDD000000-HHMM", "UTC", "nitf date.release@norm") is None
    assert parse_timestamp("yyyy-MM-ddTHH:mm:ss", "UTC", "x") is None
    with pytest.raises(StageError, match="is not a timestamp"):
        parse_timestamp("next Tuesday", "UTC", "nitf date.issue@norm")


def test_ninjs_body_in_html_preferred_to_a_longer_body_in_an_agency_own_xml() -> None:
    own = (
        '<AGENCYXML><HEAD><SERVID>XX</SERVID><NR>a0f2d045-1058-46d1-9f9a-ad80ed1bc86f</NR><DATESENT>20210526'
        "</DATESENT></HEAD><TEXT><P>The first paragraph of the story.</P><P>The second one.</P></TEXT></AGENCYXML>"
    )
    html = "<html><body><p>The first paragraph of the story.</p><p>The second one.</p></body></html>"
    doc = {
        "uri": "urn:example:1",
        "headline": "Title of the story",
        "bodies": [
            {"role": "own", "contenttype": "application/xml", "value": own},
            {"role": "html5", "contenttype": "text/html", "value": html},
        ],
    }
    story = normalise(make_raw(orjson.dumps(doc)))
    assert story.body == ["The first paragraph of the story.", "The second one."]


def test_embed_code_written_out_as_text_is_not_a_paragraph() -> None:
    embed = (
        "&lt;div class=&quot;embed&quot; data-id=&quot;a0G&quot;&gt;&lt;/div&gt;"
        "&lt;script src=&quot;e.js&quot;&gt;&lt;/script&gt;"
    )
    doc = NITF.format(headline="Markets rise").replace("<p>The second.</p>", f"<p>The second.</p><p>{embed}</p>")
    story = normalise(make_raw(doc.encode()))
    assert story.body == ["The first paragraph.", "The second."]


def _newsml12(identifier: str, dateline: str, metadata: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?><NewsML><NewsItem><Identification><NewsIdentifier>
      {identifier}<RevisionId PreviousRevision="1" Update="N">2</RevisionId></NewsIdentifier></Identification>
      <NewsComponent><NewsLines><HeadLine>Wages rise</HeadLine><DateLine>{dateline}</DateLine></NewsLines>
      <DescriptiveMetadata><Language FormalName="en"/>{metadata}</DescriptiveMetadata>
      <ContentItem><MediaType FormalName="Text"/><DataContent><p>Wages rose in March, the ministry said.</p>
      </DataContent></ContentItem></NewsComponent></NewsItem></NewsML>""".encode()


def test_newsml12_uri_is_the_public_identifier_without_its_revision() -> None:
    ident = (
        "<ProviderId>ANP</ProviderId><DateId>20181210</DateId><NewsItemId>X-041-v2</NewsItemId>"
        "<PublicIdentifier>urn:newsml:anp.nl:20181210:X-041:2</PublicIdentifier>"
    )
    story = normalise(make_raw(_newsml12(ident, "", "")))
    assert (story.uri, story.version) == ("urn:newsml:anp.nl:20181210:X-041", 2)
    parts = "<ProviderId>ANP</ProviderId><DateId>20181210</DateId><NewsItemId>X-041</NewsItemId>"
    assert normalise(make_raw(_newsml12(parts, "", ""))).uri == "urn:newsml:ANP:20181210:X-041"


def test_newsml12_origin_from_metadata_properties_when_the_dateline_is_a_date() -> None:
    props = '<Property FormalName="Country" Value="GRC"/><Property FormalName="City" Value="Athens"/>'
    story = normalise(make_raw(_newsml12("<PublicIdentifier>urn:newsml:x:1:2:1</PublicIdentifier>", "4/4/2018", props)))
    assert story.dateline is not None and (story.dateline.place, story.dateline.country) == ("Athens", "GR")


def test_newsml12_printed_place_loses_the_region_code_of_its_country_area() -> None:
    loc = (
        '<Location HowPresent="Origin"><Property FormalName="Country" Value="CH"/>'
        '<Property FormalName="CountryArea" Value="KGR"/></Location>'
    )
    ident = "<PublicIdentifier>urn:newsml:x:1:2:1</PublicIdentifier>"
    story = normalise(make_raw(_newsml12(ident, "Landquart GR", loc)))
    assert story.dateline is not None and (story.dateline.place, story.dateline.country) == ("Landquart", "CH")


def test_g2_agency_xml_dateline_block_byline_and_picture_are_not_body() -> None:
    own = """<inlineXML contenttype="application/ttnitf+xml"><BODY xmlns=""><TEXT><RUBRIK>Title of the story</RUBRIK>
      <DAT><ORT>EU</ORT><SOURCE>Bryssel, TT:s korrespondent</SOURCE></DAT>
      <INGRESS><P>The first paragraph of the story.</P></INGRESS><BRODTEXT><P>The second one.</P></BRODTEXT>
      <BYLINE EPOST="a@example.se">Anna Berg/TT</BYLINE>
      <BILD><BILDFIL>http://example.se/1</BILDFIL><BILDTEXT><P>A caption.</P></BILDTEXT></BILD></TEXT></BODY>
      </inlineXML>"""
    story = normalise(make_raw(_g2(own)))
    assert story.body == ["The first paragraph of the story.", "The second one."]


def _newsml12_nested(outer_lines: str, inner: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?><NewsML><NewsItem><Identification><NewsIdentifier>
      <PublicIdentifier>urn:newsml:x.com:20240101:7:1</PublicIdentifier><RevisionId>1</RevisionId>
      </NewsIdentifier></Identification><NewsComponent>{outer_lines}<NewsComponent>{inner}</NewsComponent>
      </NewsComponent></NewsItem></NewsML>""".encode()


_TEXT_ITEM = """<ContentItem><MediaType FormalName="Text"/><DataContent>{}</DataContent></ContentItem>"""


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        # Envelope NewsLines without a headline; the text component's own NewsLines carry it.
        (
            "<NewsLines><CopyrightLine>(c) X</CopyrightLine></NewsLines>",
            "<NewsLines><HeadLine>Wages rise in March</HeadLine></NewsLines>"
            + _TEXT_ITEM.format("<p>Wages rose, the ministry said.</p>"),
        ),
        # No HeadLine anywhere: the XHTML payload's own <h1>.
        (
            "",
            _TEXT_ITEM.format(
                "<html><head><title>X.com</title></head><body><h1>Wages rise in March</h1>"
                "<p>Wages rose, the ministry said.</p></body></html>"
            ),
        ),
    ],
)
def test_newsml12_headline_found_in_nested_lines_or_payload(outer: str, inner: str) -> None:
    story = normalise(make_raw(_newsml12_nested(outer, inner)))
    assert story.headline == "Wages rise in March"
    assert story.body == ["Wages rose, the ministry said."]


def _by_role(lang: str, title: str, lead: str, body: str) -> str:
    parts = (("Title", title), ("Lead", lead), ("Body", body))
    return f'<NewsComponent xml:lang="{lang}"><Role FormalName="Short"/>' + "".join(
        f'<NewsComponent><Role FormalName="{role}"/><ContentItem><Format FormalName="Text"/>'
        f"<DataContent>{text}</DataContent></ContentItem></NewsComponent>"
        for role, text in parts
    ) + "</NewsComponent>"


def test_newsml12_text_split_by_role_reads_lead_and_body_of_the_fullest_version() -> None:
    versions = _by_role("nl", "Wages rise in March", "", "Short.") + _by_role(
        "fr", "Wages rise in March", "Wages rose by 3 %.", "&lt;h2&gt;Why&lt;/h2&gt;The ministry said so on Monday."
    )
    doc = f"""<NewsML><NewsItem><Identification><NewsIdentifier><ProviderId>x.com</ProviderId>
      <DateId>20240101</DateId><NewsItemId>7</NewsItemId><RevisionId>1</RevisionId></NewsIdentifier></Identification>
      <NewsComponent xml:lang="nl"><NewsLines><HeadLine>Wages rise in March</HeadLine></NewsLines>{versions}
      </NewsComponent></NewsItem></NewsML>"""
    story = normalise(make_raw(doc.encode()))
    assert story.headline == "Wages rise in March"
    assert story.body == ["Wages rose by 3 %.", "Why", "The ministry said so on Monday."]
    assert story.language == "nl"
    assert story.blocks is not None and [getattr(b, "kind", b) for b in story.blocks] == [
        "Wages rose by 3 %.",
        "crosshead",
        "The ministry said so on Monday.",
    ]


def test_pretty_printed_paragraph_around_links_is_one_paragraph_but_wire_text_is_split() -> None:
    pretty = (
        "<p>\n        The researcher, who leads\n        <a href='https://example.org/'>a network</a>\n"
        "        , says the document is false.\n      </p>"
    )
    wire = "<p>\n    The first paragraph,\nwrapped here.\n    The second one,\nwrapped too.</p>"
    doc = NITF.format(headline="Markets rise").replace("<p>The second.</p>", pretty + wire)
    story = normalise(make_raw(doc.encode()))
    assert story.body == [
        "The first paragraph.",
        "The researcher, who leads a network , says the document is false.",
        "The first paragraph, wrapped here.",
        "The second one, wrapped too.",
    ]

"""Format features beyond the samples: ninjs generations, multi-item G2 messages, signals and status,
embargoes, NITF evloc, HTML documents, sniffing and per-agency/per-submission overrides."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from normalise_support import SAMPLES, make_raw

from pipeline.stages.errors import StageError
from pipeline.stages.normalise import AgencyProfile, NormaliseOptions, normalise, normalise_all, profiles_from_mapping
from pipeline.stages.normalise.sniff import sniff

PARA = "The central bank raised its key rate by half a point on Tuesday, its third rise this year."


def _json(doc: dict[str, object]) -> bytes:
    return orjson.dumps(doc)


def test_ninjs_1x_lowercase() -> None:
    doc = {
        "uri": "urn:example:1",
        "version": "3",
        "headline": "Rates rise again",
        "body_html": f"<p>FRANKFURT (dpa) – {PARA}</p><p>Markets &amp; banks reacted calmly.</p>",
        "byline": "Anna Berg",
        "versioncreated": "2024-03-05T10:00:00+01:00",
        "firstcreated": "2024-03-05T09:00:00+01:00",
        "embargoed": "2024-03-05T12:00:00+01:00",
        "pubstatus": "withheld",
        "urgency": 2,
        "language": "en",
        "subject": [{"code": "04000000", "scheme": "medtop", "name": "economy"}],
        "keywords": ["rates", "ECB"],
    }
    story = normalise(make_raw(_json(doc)))
    assert story.headline == "Rates rise again"
    assert story.version == 3
    assert story.body == [PARA, "Markets & banks reacted calmly."]
    assert story.dateline is not None and story.dateline.place == "Frankfurt"
    assert story.byline == "Anna Berg"
    assert story.versioncreated == datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    assert story.firstcreated == datetime(2024, 3, 5, 8, 0, tzinfo=UTC)
    assert story.embargoed == datetime(2024, 3, 5, 11, 0, tzinfo=UTC)
    assert story.pubstatus == "withheld"
    assert story.urgency == 2
    assert story.subjects[0].code == "medtop:04000000"
    assert story.keywords == ["rates", "ECB"]


def test_ninjs_2x_arrays() -> None:
    doc = {
        "uri": "urn:example:2",
        "headlines": [{"role": "short", "value": "Short"}, {"role": "main", "value": "The main headline"}],
        "bodies": [{"role": "main", "contenttype": "text/plain", "value": f"{PARA}\n\nSecond paragraph here."}],
        "by": "Staff",
        "pubstatus": "canceled",
        "versioncreated": "2024-03-05T10:00:00Z",
    }
    story = normalise(make_raw(_json(doc)))
    assert story.headline == "The main headline"
    assert story.body == [PARA, "Second paragraph here."]
    assert story.pubstatus == "canceled" and "kill" in story.signals


def test_ninjs_3x_embargoed_until() -> None:
    doc = {
        "uri": "urn:example:3",
        "headlines": [{"value": "Embargoed story"}],
        "bodies": [{"value": PARA}],
        "embargoedUntil": "2024-03-06T00:00:00Z",
        "versionCreated": "2024-03-05T10:00:00Z",
    }
    story = normalise(make_raw(_json(doc)))
    assert story.embargoed == datetime(2024, 3, 6, tzinfo=UTC)
    assert story.language == "en"  # not in the document: detected


def test_missing_zone_uses_agency_then_stage_default() -> None:
    doc = _json({"uri": "u:1", "headline": "H", "body_text": PARA, "versionCreated": "2024-07-01T12:00:00"})
    assert normalise(make_raw(doc)).versioncreated == datetime(2024, 7, 1, 12, tzinfo=UTC)
    tokyo = NormaliseOptions(default_timezone="Asia/Tokyo")
    assert normalise(make_raw(doc), tokyo).versioncreated == datetime(2024, 7, 1, 3, tzinfo=UTC)
    per_agency = NormaliseOptions(
        default_timezone="Asia/Tokyo", agencies={"TCA": AgencyProfile(timezone="Asia/Bishkek")}
    )
    assert normalise(make_raw(doc, agency="TCA"), per_agency).versioncreated == datetime(2024, 7, 1, 6, tzinfo=UTC)


def _g2_item(guid: str, version: int, headline: str, extra_meta: str = "", item_class: str = "ninat:text") -> str:
    return f"""
    <newsItem guid="{guid}" version="{version}" standard="NewsML-G2" xml:lang="en">
      <itemMeta><itemClass qcode="{item_class}"/><versionCreated>2024-03-05T10:00:00+01:00</versionCreated>
        {extra_meta}</itemMeta>
      <contentMeta><urgency>4</urgency><headline>{headline}</headline><by>Jo Smith</by>
        <located qcode="geo:1"><name>Lyon</name><broader qcode="iso3166-1a2:FR"/></located>
        <subject qcode="medtop:04000000"><name>economy</name></subject><keyword>markets</keyword></contentMeta>
      <contentSet><inlineXML contenttype="application/xhtml+xml">
        <html xmlns="http://www.w3.org/1999/xhtml"><body><p>LYON, March 5 (AFP) - {PARA}</p><p>More.</p></body></html>
      </inlineXML></contentSet>
    </newsItem>"""


THIRD_META = '<signal qcode="sig:correction"/><embargoed>2024-03-06T00:00:00Z</embargoed>'


def test_g2_message_with_several_items_namespaced() -> None:
    doc = f"""<?xml version="1.0" encoding="UTF-8"?>
    <newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><header><sent>2024-03-05T10:00:00Z</sent></header>
    <itemSet>
      {_g2_item("urn:g:1", 2, "First story", '<pubStatus qcode="stat:usable"/><signal qcode="sig:update"/>')}
      {_g2_item("urn:g:2", 1, "Second story", '<pubStatus qcode="stat:canceled"/>')}
      {_g2_item("urn:g:3", 5, "Third story", THIRD_META)}
      {_g2_item("urn:g:4", 1, "A picture", "", item_class="ninat:picture")}
    </itemSet></newsMessage>"""
    stories = normalise_all(make_raw(doc))
    assert [(s.uri, s.version, s.headline) for s in stories] == [
        ("urn:g:1", 2, "First story"),
        ("urn:g:2", 1, "Second story"),
        ("urn:g:3", 5, "Third story"),
    ]
    first, second, third = stories
    assert first.signals == ["update"] and first.pubstatus == "usable"
    assert second.pubstatus == "canceled" and second.signals == ["kill"]
    assert third.signals == ["correction"] and third.embargoed == datetime(2024, 3, 6, tzinfo=UTC)
    assert first.versioncreated == datetime(2024, 3, 5, 9, tzinfo=UTC)
    assert first.dateline is not None
    assert (first.dateline.text, first.dateline.place, first.dateline.country) == (
        "LYON, March 5 (AFP) -",
        "Lyon",
        "FR",
    )
    assert first.dateline.date == "March 5"
    assert first.body == [PARA, "More."]
    assert first.byline == "Jo Smith" and first.urgency == 4 and first.language == "en"
    assert first.keywords == ["markets"] and first.subjects[0].code == "medtop:04000000"
    with pytest.raises(StageError) as info:
        normalise(make_raw(doc))
    assert info.value.reason == "schema_violation"


def test_g2_inline_data_plain_text() -> None:
    doc = f"""<newsItem guid="urn:g:9" version="1"><itemMeta><itemClass qcode="ninat:text"/></itemMeta>
      <contentMeta><headline>Plain</headline></contentMeta>
      <contentSet><inlineData contenttype="text/plain">{PARA}

Second paragraph.</inlineData></contentSet></newsItem>"""
    story = normalise(make_raw(doc))
    assert story.body == [PARA, "Second paragraph."]
    assert story.versioncreated == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # none in the item: received_at


def test_nitf_evloc_country_status_and_embargo() -> None:
    doc = f"""<?xml version="1.0"?><nitf><head><docdata management-status="embargoed">
      <doc-id id-string="urn:nitf:x:42"/><date.issue norm="20240305T100000+0100"/>
      <date.release norm="20240306T000000Z"/><du-key version="3"/><urgency ed-urg="2"/>
      <evloc iso-cc="DE" city="Berlin"/></docdata></head>
      <body><body.head><hedline><hl1>Berlin story</hl1></hedline><byline>By <person>Max Muster</person></byline>
      </body.head><body.content><p>{PARA}</p><media><media-caption>A caption</media-caption></media></body.content>
      </body></nitf>"""
    story = normalise(make_raw(doc))
    assert story.uri == "urn:nitf:x:42" and story.version == 3
    assert story.pubstatus == "withheld" and story.embargoed == datetime(2024, 3, 6, tzinfo=UTC)
    assert story.versioncreated == datetime(2024, 3, 5, 9, tzinfo=UTC)
    assert story.dateline is not None and (story.dateline.place, story.dateline.country) == ("Berlin", "DE")
    assert story.byline == "Max Muster"
    assert story.body == [PARA]


def test_html_document() -> None:
    doc = f"""<!DOCTYPE html><html lang="en"><head><title>Site | Rates rise</title>
      <meta name="author" content="Anna Berg"><meta property="article:published_time" content="2024-03-05T10:00:00Z">
      <script>var x = "<p>not text</p>";</script></head>
      <body><nav><a href="/">Home</a></nav><article><h1>Rates rise &amp; markets shrug</h1>
      <figure><img src="x.jpg"><figcaption>A photo</figcaption></figure>
      <p>FRANKFURT (Reuters) - {PARA}</p><p>Second &#8220;quoted&#8221; paragraph.<br>Third line.</p>
      <div class="share">Share on X</div><p>Copyright 2024 Example News</p></article></body></html>"""
    story = normalise(make_raw(doc))
    assert story.source_format == "html"
    assert story.headline == "Rates rise & markets shrug"
    assert story.body == [PARA, "Second “quoted” paragraph.", "Third line."]
    assert story.byline == "Anna Berg"
    assert story.dateline is not None and story.dateline.place == "Frankfurt"
    assert story.versioncreated == datetime(2024, 3, 5, 10, tzinfo=UTC)
    assert story.language == "en"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("NTB_nitf_sample.xml", "nitf"),
        ("TT_newsmlg2_sample.xml", "newsml-g2"),
        ("afp.com_newsml1.2_sample.xml", "newsml-1.2"),
        ("dpa_text.json", "ninjs"),
    ],
)
def test_sniffing(name: str, fmt: str) -> None:
    assert sniff((SAMPLES / name).read_text("utf-8")) == fmt


def test_format_overrides() -> None:
    # A JSON-looking text story: the submission hint wins over sniffing.
    text = '{"not": "json"} is how the headline starts\n\n' + PARA
    assert normalise(make_raw(text, format_hint="text")).source_format == "text"
    options = NormaliseOptions(agencies={"TCA": AgencyProfile(format="text")})
    assert normalise(make_raw(text, agency="TCA"), options).source_format == "text"
    with pytest.raises(StageError) as info:
        normalise(make_raw(text))
    assert info.value.reason == "malformed_json"
    # A specific content type selects the parser.
    nitf = (SAMPLES / "NTB_nitf_sample.xml").read_bytes()
    assert normalise(make_raw(nitf, content_type="application/nitf+xml")).source_format == "nitf"


def test_plain_text_agency_id_is_not_time_based() -> None:
    a = normalise(make_raw(f"Headline\n\n{PARA}\n", submission_id="1"))
    b = normalise(make_raw(f"Headline\n\n{PARA}\n", submission_id="2"))
    c = normalise(make_raw(f"Headline\n\n{PARA} Changed.\n", submission_id="3"))
    assert a.uri == b.uri != c.uri


def test_profiles_from_mapping_and_validation() -> None:
    profiles = profiles_from_mapping({"NTB": {"timezone": "Europe/Oslo", "format": "nitf", "charset": "utf-8"}})
    assert profiles["NTB"] == AgencyProfile(format="nitf", timezone="Europe/Oslo", charset="utf-8")
    assert NormaliseOptions(agencies=profiles).timezone_for("NTB") == "Europe/Oslo"
    assert NormaliseOptions(agencies=profiles).timezone_for("other") == "UTC"
    with pytest.raises(ValueError):
        profiles_from_mapping({"NTB": {"tz": "Europe/Oslo"}})
    with pytest.raises(ValueError):
        NormaliseOptions(default_timezone="Mars/Olympus")
    with pytest.raises(ValueError):
        NormaliseOptions(agencies={"X": AgencyProfile(charset="klingon")})
    with pytest.raises(ValueError):
        NormaliseOptions(agencies={"X": AgencyProfile(format="rss")})  # type: ignore[arg-type]


def test_options_from_settings() -> None:
    from pipeline.config import Settings

    s = Settings(max_payload_bytes=1234, max_nesting_depth=7, default_timezone="Europe/Paris")
    o = NormaliseOptions.from_settings(s)
    assert (o.max_bytes, o.max_depth, o.default_timezone) == (1234, 7, "Europe/Paris")


def test_nitf_publication_date_when_no_issue_date() -> None:
    doc = f"""<nitf><head><pubdata date.publication="20240305T100000Z"/></head><body><body.head><hedline>
      <hl1>H</hl1></hedline></body.head><body.content><p>{PARA}</p></body.content></body></nitf>"""
    assert normalise(make_raw(doc)).versioncreated == datetime(2024, 3, 5, 10, tzinfo=UTC)


def test_g2_inline_nitf_headline_fallback() -> None:
    doc = f"""<newsItem guid="urn:g:n" version="2"><itemMeta><itemClass qcode="ninat:text"/></itemMeta>
      <contentSet><inlineXML contenttype="application/nitf+xml"><nitf><body><body.head><hedline><hl1>From NITF</hl1>
      </hedline><byline>By X</byline></body.head><body.content><p>{PARA}</p></body.content></body></nitf></inlineXML>
      </contentSet></newsItem>"""
    story = normalise(make_raw(doc))
    assert (story.headline, story.body, story.version) == ("From NITF", [PARA], 2)


def test_newsml12_nested_component() -> None:
    doc = f"""<NewsML><NewsItem><Identification><NewsIdentifier><ProviderId>ex.com</ProviderId>
      <DateId>20240305</DateId><NewsItemId>42</NewsItemId><RevisionId PreviousRevision="1" Update="U">2</RevisionId>
      </NewsIdentifier></Identification><NewsManagement><ThisRevisionCreated>20240305T100000+0100</ThisRevisionCreated>
      <Status FormalName="Usable"/></NewsManagement>
      <NewsComponent><NewsComponent><NewsLines><HeadLine>Nested</HeadLine><ByLine>Ann Lee</ByLine></NewsLines>
      <DescriptiveMetadata><Language FormalName="en"/></DescriptiveMetadata>
      <ContentItem><MediaType FormalName="Text"/><DataContent>{PARA}</DataContent></ContentItem>
      </NewsComponent></NewsComponent></NewsItem></NewsML>"""
    story = normalise(make_raw(doc))
    assert story.uri == "urn:newsml:ex.com:20240305:42" and story.version == 2
    assert (story.headline, story.byline, story.language, story.body) == ("Nested", "Ann Lee", "en", [PARA])
    assert story.signals == ["update"]
    assert story.versioncreated == datetime(2024, 3, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("title", "headline"),
    [
        ("Rates rise | Example News | 19.01.2020", "Rates rise"),
        ("Example News | Rates rise", "Rates rise"),
        ("Rates rise - Anna Berg", "Rates rise"),
        ("Rates rise - and markets shrug", "Rates rise - and markets shrug"),
    ],
)
def test_html_title_loses_site_author_and_date_parts(title: str, headline: str) -> None:
    doc = f"""<html><head><meta property="og:title" content="{title}">
      <meta property="og:site_name" content="Example News"><meta name="author" content="Anna Berg"></head>
      <body><p>FRANKFURT (Reuters) - {PARA}</p><p>Two.</p></body></html>"""
    assert normalise(make_raw(doc)).headline == headline


def test_html_page_head_above_the_story_is_not_body() -> None:
    doc = f"""<!DOCTYPE html><html lang="de"><head><title>Zinsen steigen</title>
      <meta property="og:title" content="Zinsen steigen"></head>
      <body><article><p>Main Content</p><h1>Zinsen steigen</h1><p>Zinsen steigen</p>
      <p>Die Notenbank in Frankfurt am Main. Bild: dpa</p>
      <p>{PARA}</p><p>Second paragraph of the story, long enough to be story text for the extractor.</p>
      <p>Third paragraph, also long enough to be kept as text of the story by the extractor.</p>
      </article></body></html>"""
    story = normalise(make_raw(doc))
    assert story.headline == "Zinsen steigen"
    assert story.body[0] == PARA


def _page(author_meta: str, byline_markup: str, first: str = PARA) -> bytes:
    return f"""<!DOCTYPE html><html lang="en"><head><title>Rates rise</title>
      <meta property="og:site_name" content="Example News">{author_meta}</head>
      <body><article><h1>Rates rise</h1>{byline_markup}
      <p>{first}</p><p>Second paragraph of the story, long enough to be story text for the extractor.</p>
      <p>Third paragraph, also long enough to be kept as text of the story by the extractor.</p>
      </article></body></html>""".encode()


def test_html_publisher_is_not_the_byline_and_the_page_markup_names_the_writer() -> None:
    publisher = '<meta name="author" content="Example News Ltd">'
    assert normalise(make_raw(_page(publisher, ""))).byline is None
    assert normalise(make_raw(_page("", '<a rel="author" href="/staff/jroe">Jane Roe</a>'))).byline == "Jane Roe"


def test_html_byline_printed_in_the_story_wins_over_the_markup_guess() -> None:
    page = _page("", '<a rel="author" href="/desk">National Desk</a>', f"By Anna Berg</p><p>{PARA}")
    assert normalise(make_raw(page)).byline == "Anna Berg"


def test_html_microdata_time_in_the_article_is_the_publication_time() -> None:
    page = _page("", '<meta itemprop="datePublished" content="2017-11-16T14:15+0000" />')
    assert normalise(make_raw(page)).firstcreated == datetime(2017, 11, 16, 14, 15, tzinfo=UTC)


def test_html_original_title_note_above_the_story_is_not_body() -> None:
    page = _page("", "", f"原标题：视界丨这个地方 为何老外却说了不得</p><p>{PARA}")
    assert normalise(make_raw(page)).body[0] == PARA

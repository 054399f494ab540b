"""Every IPTC sample in shared/reference/samples normalises, checked field by field against the document."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
from normalise_support import SAMPLES, make_raw

from pipeline.stages.normalise import AgencyProfile, NormaliseOptions, content_hash, normalise, normalise_all
from schemas import Story


def _one(name: str, agency: str = "X", options: NormaliseOptions | None = None) -> Story:
    return normalise(make_raw((SAMPLES / name).read_bytes(), agency=agency), options)


def _common(story: Story, agency: str = "X") -> None:
    assert story.agency == agency
    assert story.content_hash == content_hash(story.headline, story.body)
    for text in [story.headline, *story.body]:
        assert text == text.strip() and "  " not in text
        assert unicodedata.is_normalized("NFC", text)
    for ts in (story.versioncreated, story.firstcreated, story.embargoed):
        assert ts is None or (ts.utcoffset() is not None and ts.utcoffset().total_seconds() == 0)


def test_ntb_nitf() -> None:
    story = _one("NTB_nitf_sample.xml", agency="NTB")
    _common(story, "NTB")
    assert story.source_format == "nitf"
    assert story.headline == "Pandemien herjer på den legeløse indiske landsbygda"
    assert story.uri == "urn:wirefeed:NTB:id:NTB5df9281a-a270-4dc5-a618-869bbc3bbca7_00"
    assert story.version == 1  # du-key@version
    assert story.byline == "NTB-AFP-DPA"
    assert story.dateline is not None and story.dateline.text == "Unnao" and story.dateline.place == "Unnao"
    assert story.dateline.country is None  # evloc has no iso-cc
    assert story.language == "nb-NO"
    # date.issue@norm has no offset: the default zone (UTC) applies unless the agency profile says otherwise.
    assert story.versioncreated == datetime(2021, 5, 16, 9, 0, 4, tzinfo=UTC)
    assert story.urgency == 5
    assert [s.code for s in story.subjects] == ["subj:07001000", "subj:07000000"]
    assert story.keywords == ["india-korona-bygd"]
    assert story.body[0].startswith("Koronapandemien herjer også i landsbyer")
    assert story.body[1].startswith("– Det er så mye fattigdom")  # &#8211; decoded
    assert "- Det skjulte India" in story.body  # crosshead kept as text
    assert story.body[-1].startswith("Derfor regner man med at Indias offisielle")
    assert not any("©NTB" in p or "Kremasjonsbål" in p or "@ntb.no" in p for p in story.body)
    assert len(story.body) == 21


def test_ntb_nitf_agency_timezone() -> None:
    options = NormaliseOptions(agencies={"NTB": AgencyProfile(timezone="Europe/Oslo")})
    story = _one("NTB_nitf_sample.xml", agency="NTB", options=options)
    assert story.versioncreated == datetime(2021, 5, 16, 7, 0, 4, tzinfo=UTC)  # CEST is UTC+2


def test_tt_newsml_g2_message() -> None:
    stories = normalise_all(make_raw((SAMPLES / "TT_newsmlg2_sample.xml").read_bytes(), agency="TT"))
    assert len(stories) == 1  # the packageItem and the picture newsItem are not text stories
    story = stories[0]
    _common(story, "TT")
    assert story.source_format == "newsml-g2"
    assert story.uri == "http://tt.se/media/text/210919-janguillou-879f202b"
    assert story.version == 1
    assert story.headline == 'Jan Guillou skriver på ny "Hamilton"-bok'
    assert story.language == "sv"
    assert story.versioncreated == datetime(2021, 9, 19, 18, 57, 43, tzinfo=UTC)
    assert story.pubstatus == "usable"
    assert story.urgency == 3
    assert story.subjects[0].code == "medtop:20000013" and story.subjects[0].name == "Litteratur"
    assert {s.name for s in story.subjects} >= {"Jan Guillou", "Aftonbladet"}
    assert story.byline is None  # the only byline in the item is the photographer's, inside the figure
    assert story.dateline is None
    assert len(story.body) == 5
    assert story.body[0].startswith("Jan Guillou arbetar just nu med det sista kapitlet")
    assert story.body[0].endswith("skriver Aftonbladet.")  # link text kept, markup gone
    assert story.body[-1].startswith("Boken, ”Den som dödade helvetets änglar”")
    assert not any("Arkivbild" in p or "Litteratur" == p for p in story.body)


def test_afp_newsml_12() -> None:
    story = _one("afp.com_newsml1.2_sample.xml", agency="AFP")
    _common(story, "AFP")
    assert story.source_format == "newsml-1.2"
    assert story.uri == "urn:newsml:afp.com:20210516T080625Z:TX-PAR-WGF71"
    assert story.version == 1
    assert story.headline == "Israel strikes key Hamas targets as UN Security Council to meet"
    assert story.dateline is not None
    assert story.dateline.text == "Gaza City, Palestinian Territories, May 16, 2021 (AFP) -"
    assert story.dateline.place == "Gaza City"
    assert story.dateline.country == "PS"  # Location Country PSE (alpha-3)
    assert story.dateline.date == "May 16, 2021"
    assert story.language == "en"
    assert story.firstcreated == story.versioncreated == datetime(2021, 5, 16, 8, 6, 25, tzinfo=UTC)
    assert story.urgency == 4
    assert story.signals == ["update"]  # advisory line "RECASTS ..., UPDATES throughout"
    assert story.byline == "Adel Zaanoun with Guillaume Lavallee in Jerusalem"
    assert "subj:16000000" in {s.code for s in story.subjects}
    assert story.keywords == ["Israel", "Palestinians", "conflict"]
    assert story.body[0].startswith("Israel's army said Sunday it had bombed the home")
    assert story.body[-1].startswith("Pro-Palestinian demonstrators have repeatedly staged protests")
    assert "bur-dar-gl/fz" not in story.body
    assert len(story.body) == 41


def test_ntb_ninjs_30() -> None:
    story = _one("ntb_text.json", agency="NTB")
    _common(story, "NTB")
    assert story.source_format == "ninjs"
    assert story.uri == "urn:8d19cf88-b3ab-4972-8fec-1207599f2872"
    assert story.version == 6
    assert story.headline == "Google har kjøpt giganttomt i Skien"
    assert story.byline == "NTB"
    assert story.language == "nb-NO"
    assert story.firstcreated == datetime(2019, 8, 9, 9, 30, 4, tzinfo=UTC)
    assert story.versioncreated == datetime(2019, 8, 9, 9, 46, 53, tzinfo=UTC)
    assert story.urgency == 5
    assert story.body == [
        "IT-giganten Google har kjøpt en tomt på nærmere 2.000 mål i Skien i tilfelle det blir behov "
        "for flere datasentre i Europa."
    ]
    assert [s.name for s in story.subjects] == ["Innenriks", "Teknologi", "Industri", "Olje og energi"]


def test_dpa_ninjs_30() -> None:
    story = _one("dpa_text.json", agency="dpa")
    _common(story, "dpa")
    assert story.uri == "urn:newsml:dpa.com:20090101:190510-99-167362"
    assert story.version == 2
    assert story.headline == "Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?"
    assert (story.byline, story.byline_title) == ("Christian Hollmann", "dpa")  # the title in its own field
    assert story.language == "de"
    assert story.versioncreated == datetime(2019, 5, 10, 14, 2, 28, tzinfo=UTC)  # +02:00 in the document
    assert story.urgency == 4
    assert len(story.body) == 9
    assert story.body[0].startswith("Für Lucien Favre war es «der größte Skandal im Fußball seit Jahren».")
    assert story.body[-1].startswith("Die Debatte zeigt einmal mehr")


@pytest.mark.parametrize("name", ["004_simple_text_article.json", "005_complex_text_article.json"])
def test_ninjs_31_user_guide(name: str) -> None:
    story = _one(name, agency="AP")
    _common(story, "AP")
    assert story.uri.startswith("http://ninjs.example.com/newsitems/20130709")
    assert story.version == 1
    assert story.headline == "Captain of wrecked cruise ship on trial in Italy"
    assert story.byline == "Paulo Santalucia and Frances d'Emilio"
    assert story.versioncreated == datetime(2013, 7, 9, 10, 37, tzinfo=UTC)
    # The xhtml body has the paragraph structure; its printed dateline is moved to Story.dateline.
    assert len(story.body) == 4
    assert story.body[0].startswith("The trial of the captain of the shipwrecked Costa Concordia")
    assert story.body[-1].endswith("Schettino has denied wrongdoing.")
    assert story.dateline is not None and story.dateline.text == "GROSSETO, Italy (AP) --"
    assert story.language == "en"  # 005 says so; 004 has no language and is detected


def test_005_located_gives_the_place() -> None:
    story = _one("005_complex_text_article.json")
    assert story.dateline is not None and story.dateline.place == "Grossetto"  # as the document spells it


def test_004_place_from_printed_dateline() -> None:
    story = _one("004_simple_text_article.json")
    assert story.dateline is not None and story.dateline.place == "Grosseto"

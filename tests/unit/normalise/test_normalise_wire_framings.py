"""IPTC 7901 and ANPA 1312 wire text: framing, head lines, notebooks, trailers (inputs written for these tests,
in the shape agencies send)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.stages.errors import StageError
from pipeline.stages.normalise import normalise
from pipeline.stages.normalise.sniff import sniff
from pipeline.stages.normalise.wire_profiles import wire_profile
from tests.unit.normalise.normalise_support import make_raw

DPA = (
    "\x01abc123 3 i 120 ccccb   dpa 042\r\n\r\n"
    "Testland-politics/elections/\r\n"
    "\x021ST LEAD\r\n"
    "Testland votes for a new parliament in early poll\r\n"
    "By Jane Roe, dpa =\r\n\r\n"
    "   Teststadt (dpa) - Voters in Testland went to the polls on Sunday\r\n"
    "in an early election called after the coalition collapsed.\r\n\r\n"
    "   Turnout was high, officials said.\r\n\r\n"
    "# dpa NOTEBOOK\r\n\r\n"
    "* * * *\r\n"
    "The following information is not for publication\r\n\r\n"
    "## dpa Contacts\r\n"
    "- Reporting by: Jane Roe\r\n"
    "Tel: +00 00 0000; <desk@example.com>\r\n\r\n"
    "dpa jr xy\r\n\r\n"
    "\x03071341 GMT Okt 15\r\n\x7f\r\n\x7f\x04"
)

ATS = (
    "\x7f" * 40 + "\r\n\x01fra0123 4 p 80  ats 0042\r\n\r\n"
    "Suisse-politique/\r\n"
    "\x02Le Conseil fédéral adopte un nouveau plan =\r\n\r\n"
    "   Berne, 10 juil 2024 (ATS) - Le Conseil fédéral a adopté mercredi\r\n"
    "un nouveau plan pour les transports publics.\r\n\r\n"
    "   Le plan entrera en vigueur l'an prochain.\r\n\r\n"
    "ats/ab/cd\r\n"
    "\x03101530 MESZ Jul 24\r\n\x7f\x04"
)

ANPA = (
    "\x16\x16\x01W1234\x1fasian\r\n"
    "u i\x13\x11 BC-AS--Testland-Flood 2ndLd-Writethru   05-09 0420\r\n"
    "\x02^BC-AS--Testland-Flood, 2nd Ld-Writethru,412<\r\n"
    "^Floods force thousands from homes in Testland<\r\n"
    "^AP Photo XYZ101, XYZ102<\r\n"
    "^Eds: Updates with death toll. With AP Photos.<\r\n"
    "^Rivers burst their banks after a week of rain, forcing thousands to flee.<\r\n"
    "^By JOHN DOE=\r\n"
    "^Associated Press=\r\n"
    "\t   TESTCITY, Testland (AP) _ Rivers burst their banks on Tuesday after a week of rain.\r\n"
    "\t   At least 12 people died, officials said.\r\n"
    "\t   ___\r\n"
    "\t   Jane Roe contributed to this report.\r\n"
    "\r\n\t   \x03AP-WF-05-09-17 0056GMT<\r\n\r\n\x0c\r\n\x04"
)


def test_sniffs_the_framings() -> None:
    assert sniff(DPA) == "iptc7901"
    assert sniff(ATS) == "iptc7901"
    assert sniff(ANPA) == "anpa1312"


def test_dpa_7901_head_block_notebook_and_trailer() -> None:
    story = normalise(make_raw(DPA.encode("latin-1"), agency="dpa"))
    assert story.source_format == "iptc7901"
    assert story.headline == "Testland votes for a new parliament in early poll"
    assert (story.byline, story.byline_title) == ("Jane Roe", "dpa")
    assert story.signals == ["update"]
    assert story.urgency == 3
    assert story.dateline is not None and story.dateline.place == "Teststadt"
    assert story.body == [
        "Voters in Testland went to the polls on Sunday in an early election called after the coalition collapsed.",
        "Turnout was high, officials said.",
    ]
    assert story.ednote is not None
    assert "not for publication" in story.ednote and "Tel:" in story.ednote
    assert "dpa jr xy" not in story.ednote
    assert story.keywords == ["Testland-politics", "elections"]
    # 07 Oct 2015 13:41 GMT (German month abbreviation in the trailer).
    assert story.versioncreated == datetime(2015, 10, 7, 13, 41, tzinfo=UTC)


def test_ats_7901_with_del_padding_is_read() -> None:
    story = normalise(make_raw(ATS.encode("latin-1"), agency="ATS"))
    assert story.headline == "Le Conseil fédéral adopte un nouveau plan"
    assert story.dateline is not None and (story.dateline.place, story.dateline.date) == ("Berne", "10 juil 2024")
    assert story.body[-1] == "Le plan entrera en vigueur l'an prochain."
    assert story.versioncreated == datetime(2024, 7, 10, 13, 30, tzinfo=UTC)


def test_anpa_head_lines_and_trailer() -> None:
    story = normalise(make_raw(ANPA.encode("latin-1"), agency="AP"))
    assert story.source_format == "anpa1312"
    assert story.headline == "Floods force thousands from homes in Testland"
    assert (story.byline, story.byline_title) == ("JOHN DOE", "Associated Press")
    assert story.signals == ["update"]
    assert story.urgency == 3
    assert story.dateline is not None and story.dateline.text == "TESTCITY, Testland (AP) _"
    assert story.body == [
        "Rivers burst their banks on Tuesday after a week of rain.",
        "At least 12 people died, officials said.",
    ]  # the notes after the closing rule (contributors) are not story text
    assert story.ednote == "AP Photo XYZ101, XYZ102\nEds: Updates with death toll. With AP Photos."
    assert story.versioncreated == datetime(2017, 5, 9, 0, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "signals", "pubstatus", "urgency"),
    [
        ("KILL", ["kill"], "canceled", 3),
        ("CORRECTS", ["correction"], "usable", 3),
        ("FLASH", [], "usable", 1),
        ("REFILE", [], "usable", 3),
    ],
)
def test_take_lines_are_signals_not_headline(line: str, signals: list[str], pubstatus: str, urgency: int) -> None:
    story = normalise(make_raw(DPA.replace("1ST LEAD", line), agency="dpa"))
    assert story.headline == "Testland votes for a new parliament in early poll"
    assert story.signals == signals
    assert story.pubstatus == pubstatus
    assert story.urgency == urgency


def test_header_line_is_never_the_headline() -> None:
    payload = "\x01abc123 3 i 120 ccccb   dpa 042\r\n\x02\r\n\r\nbody only\r\n\x03"
    with pytest.raises(StageError) as err:
        normalise(make_raw(payload, agency="dpa"))
    assert err.value.reason in ("missing_headline", "empty_body")


def test_profile_registry() -> None:
    assert wire_profile("dpa").name == "dpa"
    assert wire_profile("someone", "eca062 4 i 211 ccccb dpa 061").name == "dpa"
    assert wire_profile("someone", "AP-WF-05-09-17 0056GMT").name == "AP"
    assert wire_profile("someone", "xyz").name == "generic"


def test_7901_with_its_control_characters_stripped_is_still_7901() -> None:
    stripped = (
        "abc0075 3 i 510    dpa 1003\n\n/politics/Testland/\n2ND LEAD\n3RD NET\n"
        "Court rules on the treaty\nBy Jane Roe, dpa  =\n \n"
        "Teststadt (dpa) - The court ruled on Monday.\n\nThe ruling is final.\n"
    )
    assert sniff(stripped) == "iptc7901"
    story = normalise(make_raw(stripped, agency="dpa"))
    assert story.headline == "Court rules on the treaty"
    assert story.keywords == ["politics", "Testland"]
    assert (story.byline, story.signals, story.urgency) == ("Jane Roe", ["update"], 3)
    assert story.body == ["The court ruled on Monday.", "The ruling is final."]


def test_7901_rubric_lines_before_the_headline() -> None:
    payload = DPA.replace("1ST LEAD\r\nTestland votes", "Situation\r\nTestland:\r\nTestland votes")
    assert normalise(make_raw(payload, agency="dpa")).headline == "Testland votes for a new parliament in early poll"


def test_telex_framed_release_routing_date_source_and_trailer_are_not_story() -> None:
    doc = (
        "   ZCZC XYZ\r\n%NETALL ABC DEF\r\n$J\r\n:\r\n:Example Authority\r\n*X\r\n"
        "Media release: Insolvencies rise\r\n\r\nTue 13 October 2015\r\n\r\n"
        "The authority today released the quarterly insolvency statistics.\r\n\r\n"
        "Debt agreements were the most common kind.\r\n\r\n\r\n"
        "http://example.com/releases/1\r\nSOURCE: Example Authority\r\n\r\nNNNN\r\nZCZC next message\r\n"
    )
    story = normalise(make_raw(doc.encode()))
    assert story.headline == "Media release: Insolvencies rise"
    assert story.body == [
        "The authority today released the quarterly insolvency statistics.",
        "Debt agreements were the most common kind.",
    ]


def test_telex_without_headline_line_takes_the_routing_keyword_and_drops_the_signoff() -> None:
    doc = (
        "ZCZC FMG000\nYY TDR\n:POTTED :Eagle Farm MARKET DAY\n"
        "    BRISBANE, Oct 12 AAP - Latest betting for tomorrow's Eagle\nFarm gallops.-\n\n"
        "Race one Eagle Farm - Fernwood Fitness Hcp\n  3.00 Dream Kisses\n  4.80 Wonder Boom\n"
        "    AAP BETTING\n\n\nNNNN\n"
    )
    story = normalise(make_raw(doc.encode(), agency="AAP"))
    assert story.headline == "Eagle Farm MARKET DAY"
    assert story.dateline is not None and story.dateline.place == "Brisbane"
    assert story.body[0].startswith("Latest betting for tomorrow's Eagle Farm gallops.")
    assert story.body[-1].endswith("4.80 Wonder Boom")
    assert story.language == "en"


def test_undetectable_text_takes_the_agency_service_language() -> None:
    results = b"Premier League table\n\n1 Arsenal 38 26 6 6 88 43 84\n\n2 Chelsea 38 25 7 6 80 39 82\n"
    assert normalise(make_raw(results, agency="PA")).language == "en"
    assert normalise(make_raw(results, agency="TCA")).language is None


def test_press_release_header_dateline_repeated_headline_and_company_profile() -> None:
    doc = (
        "Source: Example Grid\r\nMEDIA RELEASE PR74541\r\nExample Grid Delivers Another Strong Quarter\r\n\r\n"
        "MUMBAI, India, July 25, 2018/PRNewswire-AsiaNet/\r\n\r\nExample Grid Delivers Another Strong Quarter\r\n\r\n"
        "Example Grid announced its results for the quarter ended 30 June 2018.\r\n\r\n"
        '"We delivered another strong quarter," the chief executive said.\r\n\r\n'
        "About Example Grid:\r\n\r\nExample Grid is the first power sector trust in India.\r\n\r\n"
        "Media contact:\r\nJane Roe\r\nPhone: +91-9971757474\r\nEmail: jane.roe@example.com\r\n\r\n"
        "Source: Example Grid\r\n"
    )
    story = normalise(make_raw(doc.encode()))
    assert story.headline == "Example Grid Delivers Another Strong Quarter"
    assert story.dateline is not None and story.dateline.place == "Mumbai"
    assert story.body == [
        "Example Grid announced its results for the quarter ended 30 June 2018.",
        '"We delivered another strong quarter," the chief executive said.',
    ]
    assert story.byline is None


ANPA_PLAIN = (
    "\x16\x16\x01k0042\x1fsports\r\n"
    "r s\x13\x11 Testland-Cup    12-24 0210\r\n"
    "\x02Testland United wins the cup final\r\n"
    "\t   TESTCITY, Dec. 24 Kyodo - Testland United beat City 2-1 in the cup final on Sunday.\r\n"
    "\t   The winning goal came in extra time.\r\n"
    "\x03\r\n\x04"
)


def test_anpa_without_head_lines_takes_its_first_flush_left_line_as_headline() -> None:
    story = normalise(make_raw(ANPA_PLAIN.encode("latin-1"), agency="Kyodo"))
    assert story.headline == "Testland United wins the cup final"
    assert story.body[-1] == "The winning goal came in extra time."


def test_anpa_with_paragraphs_only_is_named_by_the_header_keyword() -> None:
    payload = ANPA_PLAIN.replace("Testland United wins the cup final\r\n", "")
    story = normalise(make_raw(payload.encode("latin-1"), agency="Kyodo"))
    assert story.headline == "Testland-Cup"
    assert story.body[0].startswith("Testland United beat City")

"""Printed datelines in the shapes and languages agencies use (inputs written for these tests)."""

from __future__ import annotations

import pytest

from pipeline.stages.normalise.months import month_number
from pipeline.stages.normalise.wiretext import match_dateline, printed_dateline


@pytest.mark.parametrize(
    ("paragraph", "text", "place", "date"),
    [
        ("Strasbourg, 10 juil 2024 (AFP) - Les députés ont voté.", "Strasbourg, 10 juil 2024 (AFP) -", "Strasbourg",
         "10 juil 2024"),
        ("BICHKEK, 29 novembre (AFP) - Le président est arrivé.", "BICHKEK, 29 novembre (AFP) -", "Bichkek",
         "29 novembre"),
        ("Tegucigalpa, Jan 2 (EFE).- El gobierno anunció.", "Tegucigalpa, Jan 2 (EFE).-", "Tegucigalpa", "Jan 2"),
        ("CIUDAD DE MÉXICO, 3 dic (EFE).- México y Canadá firman.", "CIUDAD DE MÉXICO, 3 dic (EFE).-",
         "Ciudad De México", "3 dic"),
        ("Nueva Delhi, 21 ene (EFE).- La India celebró.", "Nueva Delhi, 21 ene (EFE).-", "Nueva Delhi", "21 ene"),
        ("MOSCOW, January 21. /TASS/. The president said.", "MOSCOW, January 21. /TASS/.", "Moscow", "January 21"),
        ("BEIJING (AP) _ Stuck in a jail, she waited.", "BEIJING (AP) _", "Beijing", None),
        ("(ANSA) - Rome, October 11 - The premier said.", "(ANSA) - Rome, October 11 -", "Rome", "October 11"),
        ("Berlin (dpa) - Die Regierung hat beschlossen.", "Berlin (dpa) -", "Berlin", None),
        ("OSLO (NTB): Regjeringen la fram budsjettet.", "OSLO (NTB):", "Oslo", None),
        ("Москва, 21 января /ТАСС/. Президент заявил.", "Москва, 21 января /ТАСС/.", "Москва", "21 января"),
        ("Warszawa, 3 maja (PAP) - Prezydent powiedział.", "Warszawa, 3 maja (PAP) -", "Warszawa", "3 maja"),
    ],
)  # fmt: skip
def test_dateline_shapes(paragraph: str, text: str, place: str, date: str | None) -> None:
    found = match_dateline(paragraph)
    assert found is not None, paragraph
    dateline, rest = found
    assert (dateline.text, dateline.place, dateline.date) == (text, place, date)
    assert rest and not rest.startswith(("-", "_", "/", "."))


def test_date_only_dateline_has_no_place() -> None:
    found = match_dateline("Jan. 12 (BusinessDesk) - The receivers said.")
    assert found is not None
    assert (found[0].text, found[0].place, found[0].date, found[1]) == (
        "Jan. 12 (BusinessDesk) -",
        None,
        "Jan. 12",
        "The receivers said.",
    )


@pytest.mark.parametrize(
    "paragraph",
    [
        "JAN. 5 - The first paragraph.",
        "MONDAY - Something happened.",
        "Updated figures (in euros) - show growth.",
    ],
)
def test_not_datelines(paragraph: str) -> None:
    assert match_dateline(paragraph) is None


@pytest.mark.parametrize(
    ("printed", "place", "date"),
    [
        ("4/4/2018", None, "4/4/2018"),
        ("Jan 2", None, "Jan 2"),
        ("WASHINGTON, Nov 29 (Reuters)", "Washington", "Nov 29"),
        ("Tegucigalpa, Honduras", "Tegucigalpa", None),
    ],
)
def test_printed_dateline_fields(printed: str, place: str | None, date: str | None) -> None:
    assert printed_dateline(printed) == (place, date)


@pytest.mark.parametrize(
    ("name", "number"),
    [("juil.", 7), ("Okt", 10), ("dic", 12), ("января", 1), ("syyskuuta", 9), ("Οκτωβρίου", 10), ("3月", 3)],
)
def test_month_names_from_cldr(name: str, number: int) -> None:
    assert month_number(name) == number


@pytest.mark.parametrize(
    ("paragraph", "text", "place"),
    [
        ("(Sports Network) - A pair of teams meet.", "(Sports Network) -", None),
        ("Paris (ats afp) Les violences ont repris.", "Paris (ats afp)", "Paris"),
        ("København /ritzau/: En mand er anholdt.", "København /ritzau/:", "København"),
        ("دمشق، سوريا (CNN) -- أكدت جهات سورية", "دمشق، سوريا (CNN) --", "دمشق"),
    ],
)
def test_more_agency_shapes(paragraph: str, text: str, place: str | None) -> None:
    found = match_dateline(paragraph)
    assert found is not None
    assert (found[0].text, found[0].place) == (text, place)


def test_parenthesised_place_without_a_known_agency_is_not_a_dateline() -> None:
    assert match_dateline("Paris (France) Le président a parlé.") is None

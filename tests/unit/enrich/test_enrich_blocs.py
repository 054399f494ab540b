"""Acceptance 4 and bloc tagging: explicit vs membership-derived tags, membership at the story's date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from enrich_support import DEDUPE, make_story

from pipeline.stages.enrich import enrich, load_gazetteer, tag
from schemas import BlocTag


def _blocs(text: str, on: date) -> dict[str, BlocTag]:
    return {b.code: b for b in tag(make_story("Update", text, on=on)).blocs}


@pytest.mark.parametrize(
    ("on", "member"),
    [(date(2019, 6, 1), True), (date(2020, 1, 31), True), (date(2020, 2, 1), False), (date(2021, 3, 1), False)],
)
def test_uk_and_eu_around_brexit(on: date, member: bool) -> None:
    blocs = _blocs("Britain and France signed a fisheries deal.", on)
    assert ("GB" in blocs["EU"].members) is member
    assert "FR" in blocs["EU"].members
    assert blocs["EU"].explicit is False


def test_uk_named_with_the_eu_after_brexit_is_explicit_but_not_member() -> None:
    blocs = _blocs("The UK and the European Union resumed talks.", date(2021, 3, 1))
    assert blocs["EU"].explicit is True
    assert blocs["EU"].members == ()


@pytest.mark.parametrize(("on", "member"), [(date(2024, 7, 7), False), (date(2024, 7, 8), True)])
def test_bolivia_and_mercosur(on: date, member: bool) -> None:
    blocs = _blocs("Bolivia and Brazil discussed Mercosur tariffs.", on)
    assert blocs["MERCOSUR"].explicit
    assert ("BO" in blocs["MERCOSUR"].members) is member
    assert "BR" in blocs["MERCOSUR"].members


def test_venezuela_suspended_from_mercosur() -> None:
    assert "VE" in _blocs("Venezuela and Mercosur.", date(2014, 1, 1))["MERCOSUR"].members
    assert _blocs("Venezuela and Mercosur.", date(2018, 1, 1))["MERCOSUR"].members == ()


@pytest.mark.parametrize(("on", "member"), [(date(2025, 10, 25), False), (date(2025, 10, 26), True)])
def test_timor_leste_and_asean(on: date, member: bool) -> None:
    blocs = _blocs("Timor-Leste and Indonesia at the ASEAN summit.", on)
    assert ("TL" in blocs["ASEAN"].members) is member


def test_observers_and_partners_are_not_members() -> None:
    blocs = _blocs("Uzbekistan and Moldova watched the Eurasian Economic Union summit.", date(2024, 1, 1))
    assert blocs["EAEU"].explicit and blocs["EAEU"].members == ()


def test_usmca_replaces_nafta() -> None:
    before = _blocs("Mexico and Canada.", date(2019, 1, 1))
    after = _blocs("Mexico and Canada.", date(2021, 1, 1))
    assert "NAFTA" in before and "USMCA" not in before
    assert "USMCA" in after and "NAFTA" not in after


def test_explicit_aliases() -> None:
    blocs = _blocs("The EEU, Nato, OPEC+ and the G20 met; the SCO and BRICS too.", date(2024, 6, 1))
    assert {"EAEU", "NATO", "OPEC", "G20", "SCO", "BRICS"} <= {c for c, b in blocs.items() if b.explicit}


def test_mentioning_a_member_does_not_name_the_bloc() -> None:
    blocs = _blocs("Kazakhstan raised rates.", date(2024, 6, 1))
    assert blocs["EAEU"].explicit is False and blocs["EAEU"].members == ("KZ",)


def test_membership_is_read_at_versioncreated() -> None:
    story = make_story("Update", "Britain and Germany.", on=date(2019, 1, 1))
    out = enrich(story, DEDUPE, now=datetime(2030, 1, 1, tzinfo=UTC))
    eu = next(b for b in out.blocs if b.code == "EU")
    assert eu.members == ("DE", "GB")


def test_bloc_data_is_consistent() -> None:
    gaz = load_gazetteer()
    assert len(gaz.blocs) >= 27
    required = "EAEU EU ASEAN MERCOSUR USMCA AfCFTA AU GCC SCO CIS CSTO BRICS G7 G20 OPEC EFTA CPTPP RCEP ECOWAS"
    assert set(required.split()) | {"AES", "SADC", "EAC", "CAN", "CARICOM", "PA", "APEC", "NATO"} <= set(gaz.blocs)
    for bloc in gaz.blocs.values():
        for code, periods in bloc.members.items():
            assert code in gaz.country_names, (bloc.code, code)
            for p in periods:
                assert p.end is None or p.start <= p.end, (bloc.code, code)
        assert not set(bloc.observers) & bloc.members_at(date(2026, 1, 1)), bloc.code
    assert len(gaz.blocs["EU"].members_at(date(2025, 1, 1))) == 27
    assert len(gaz.blocs["NATO"].members_at(date(2025, 1, 1))) == 32
    assert len(gaz.blocs["OPEC"].members_at(date(2025, 1, 1))) == 12

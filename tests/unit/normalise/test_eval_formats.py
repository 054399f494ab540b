"""The real-copy harness compares the way its README says: text folding, body ends, dateline, uri, times, signals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks import eval_formats as ev
from schemas import Dateline, Story

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _story(**fields: object) -> Story:
    base: dict[str, object] = {
        "uri": "urn:wirefeed:dpa:id:ab%2Fc",
        "agency": "dpa",
        "headline": "Germany \u201cjoins\u201d pact \u2013 officials",
        "body": ["First  paragraph of the story.", "Middle.", "Last words here."],
        "versioncreated": datetime(2019, 6, 3, 13, 0, 1, tzinfo=UTC),
        "source_format": "text",
        "content_hash": "0" * 64,
        "submission_id": "s",
        "received_at": NOW,
    }
    base.update(fields)
    return Story.model_validate(base)


def test_norm_folds_quotes_dashes_space_and_case() -> None:
    assert ev.norm("\u201cA\u201d \u2018b\u2019 \u2014 ``C''\n\tD") == '"a" \'b\' - "c" d'
    assert ev.norm("\uff16\u6708") == "6\u6708"  # NFKC: full-width digits
    assert ev.norm(None) == ""


def test_a_story_meeting_every_expectation_has_no_errors() -> None:
    story = _story(dateline=Dateline(text="Berlin (dpa) -", place="Berlin", country="DE"), byline="Jane Doe",
                   language="de-DE", signals=["update", "advisory"], urgency=3, version=2)
    exp = {
        "headline": 'Germany "joins" pact - officials',
        "body_first": "First paragraph",
        "body_last": "middle. LAST words here.",
        "dateline": {"place": "berlin", "country": "DE"},
        "byline": "JANE DOE",
        "signals": ["update"],
        "versioncreated": "2019-06-03T15:00:01+02:00",
        "language": "de",
        "uri": "ab/c",
        "version": 2,
        "urgency": 3,
    }
    assert ev.compare(exp, story, "dpa") == {}


def test_each_wrong_field_is_reported_with_expected_and_observed() -> None:
    story = _story(byline="BERNARD CONDONAP Business Writer", pubstatus="withheld")
    errors = ev.compare({
        "headline": "Other", "body_first": "Middle.", "body_last": "First", "dateline": {"place": "Rome"},
        "byline": "Bernard Condon", "byline_title": "AP Business Writer", "pubstatus": "usable",
        "signals": ["correction"], "firstcreated": "2019-01-01T00:00:00Z", "language": "en", "uri": "x",
        "version": 3, "urgency": 1,
    }, story, "dpa")
    assert set(errors) == {
        "headline", "body_first", "body_last", "dateline_place", "byline", "byline_title", "pubstatus", "signals",
        "firstcreated", "language", "uri", "version", "urgency",
    }
    assert errors["version"] == (3, 1)


def test_null_expectations_require_the_field_to_be_absent() -> None:
    story = _story(byline="Staff", dateline=Dateline(text="Jan. 12 -", place="Jan. 12"))
    errors = ev.compare({"byline": None, "dateline": None, "embargoed": None}, story, "dpa")
    assert set(errors) == {"byline", "dateline_place"}


def test_left_out_keys_are_not_checked() -> None:
    assert ev.compare({}, _story(), "dpa") == {}


def test_corpus_dir_is_the_environment_s_then_the_repository_s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "repo").mkdir()
    monkeypatch.setattr(ev, "REPO", tmp_path / "repo")
    env = tmp_path / "env"
    in_repo = tmp_path / "repo" / "tests" / "data" / "third_party" / "agency-copy"
    assert ev.corpus_dir({"WIREFEED_CORPORA": str(env)}) is None
    in_repo.mkdir(parents=True)
    assert ev.corpus_dir({"WIREFEED_CORPORA": str(env)}) == in_repo.resolve()
    (env / "agency-copy").mkdir(parents=True)
    assert ev.corpus_dir({"WIREFEED_CORPORA": str(env)}) == (env / "agency-copy").resolve()


def test_altered_or_missing_files_are_corpus_problems(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"changed")
    manifest = {"documents": [
        {"id": "a", "file": "a.txt", "sha256": "0" * 64},
        {"id": "b", "file": "b.txt", "sha256": "0" * 64},
    ]}
    found, problems = ev.read_documents(tmp_path, manifest)
    assert found == {}
    assert len(problems) == 2 and "sha256" in problems[0] and "missing" in problems[1]


@pytest.mark.parametrize("reason", ["unsafe_xml", "missing_headline"])
def test_a_rejected_valid_document_counts_as_wrongly_rejected(reason: str) -> None:
    outcome = ev.Outcome(id="x", format="nitf", agency="EFE", heldout=False, rejected=f"{reason}: no")
    outcome.errors["valid"] = (True, f"rejected ({reason})")
    assert outcome.wrongly_rejected and not outcome.fully_right
    assert ev.failures([outcome]) == {("x", "valid"): f"rejected ({reason})"}

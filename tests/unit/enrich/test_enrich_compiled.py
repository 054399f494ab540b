"""The compiled tagger (mypyc, built by ``pip install -e .``) and its Python source: which one loads, and that
they tag alike."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from enrich_support import SAMPLES, SEED, make_story

import pipeline.stages.enrich as enrich_pkg
from pipeline.stages.enrich import compiled, load_gazetteer, tagger
from schemas import RawSubmission, Story

PURE = os.environ.get(compiled.ENV, "") not in ("", "0")


def test_the_compiled_tagger_is_the_one_loaded() -> None:
    if PURE:
        assert enrich_pkg.TAGGER_BUILD == f"Python source ({compiled.ENV} is set)"
        assert tagger.__file__ == str(compiled.SOURCE)
        return
    assert enrich_pkg.TAGGER_BUILD == "compiled (mypyc)", (
        f"the tagger runs as {enrich_pkg.TAGGER_BUILD}: rebuild it with `pip install -e .` (scripts/setup.sh)"
    )
    assert tagger.__file__ == str(compiled.extension())


def test_choose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "tagger.py"
    source.write_text("x = 1\n")
    monkeypatch.setattr(compiled, "SOURCE", source)
    monkeypatch.delenv(compiled.ENV, raising=False)
    assert compiled.choose() == (None, "Python source (the compiled tagger is not built)")
    built = tmp_path / ("tagger" + compiled.importlib.machinery.EXTENSION_SUFFIXES[0])
    built.write_bytes(b"")
    other = "Python source (the compiled tagger was built from another tagger.py)"
    assert compiled.choose() == (None, other)  # no record of what it was built from
    record = tmp_path / compiled.RECORD
    record.write_text(json.dumps({"source_sha256": hashlib.sha256(b"x = 1\n").hexdigest()}))
    os.utime(source, (3_000, 3_000))  # file times do not matter (a wheel install may write the source last)
    os.utime(built, (2_000, 2_000))
    assert compiled.choose() == (built, "compiled (mypyc)")
    monkeypatch.setenv(compiled.ENV, "0")
    assert compiled.choose() == (built, "compiled (mypyc)")
    monkeypatch.setenv(compiled.ENV, "1")
    assert compiled.choose() == (None, f"Python source ({compiled.ENV} is set)")
    monkeypatch.delenv(compiled.ENV)
    source.write_text("x = 2\n")  # the source edited after the build
    assert compiled.choose() == (None, other)
    record.write_text("{not json")
    assert compiled.choose() == (None, other)


def test_the_environment_switch_loads_the_source() -> None:
    code = "import pipeline.stages.enrich as e, pipeline.stages.enrich.tagger as t; print(e.TAGGER_BUILD, t.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, compiled.ENV: "1"}, capture_output=True, text=True, check=True
    ).stdout
    assert out == f"Python source ({compiled.ENV} is set) {compiled.SOURCE}\n"


def _stories() -> list[Story]:
    """The seed, the agency samples, the labelled evaluation stories, 400 corpus stories and the ambiguity table."""
    from test_enrich_sentences import CASES

    from benchmarks.corpus import Corpus
    from benchmarks.eval_tagging import load_cases
    from pipeline.stages.normalise import normalise_all

    def read(name: str, payload: bytes) -> list[Story]:
        raw = RawSubmission(
            submission_id=name, agency="TEST", received_at=datetime(2021, 5, 16, tzinfo=UTC), payload=payload
        )
        return normalise_all(raw)

    stories = read("seed", SEED.read_bytes())
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix in (".xml", ".json"):
            stories += read(path.name, path.read_bytes())
    stories += [case.story for case in load_cases()]
    stories += [s for c in Corpus(11).stories(400) for s in read(f"corpus-{c.index}", c.payload)]
    stories += [make_story(sentence) for _, sentence, _ in CASES]
    return stories


def _tags(module: ModuleType, story: Story) -> object:
    countries, focus, blocs, dateline = module.tag_story(story, load_gazetteer())
    return [c.model_dump() for c in countries], focus, [b.model_dump() for b in blocs], dateline


@pytest.mark.skipif(PURE, reason="the tagger runs from its source: there is no compiled one to compare")
def test_compiled_and_source_tag_alike() -> None:
    assert tagger.__file__ != str(compiled.SOURCE)
    source = compiled.load_source("_tagger_from_source")
    stories = _stories()
    assert len(stories) > 450
    differ = [s.uri for s in stories if _tags(tagger, s) != _tags(source, s)]
    assert differ == []

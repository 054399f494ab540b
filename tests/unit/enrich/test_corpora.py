"""The one corpus finder of the benchmarks: where a corpus is looked for, and the sha256 check of its files."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import corpora
from benchmarks import tagging_corpus as tc


def test_the_environment_s_folder_comes_before_the_repository_s(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {"WIREFEED_CORPORA": str(tmp_path / "env")}
    in_repo = repo / "tests" / "data" / "third_party" / "x"
    assert corpora.find("x", env, repo) is None
    in_repo.mkdir(parents=True)
    assert corpora.find("x", env, repo) == in_repo.resolve()
    (tmp_path / "env" / "x").mkdir(parents=True)
    assert corpora.find("x", env, repo) == (tmp_path / "env" / "x").resolve()
    assert corpora.find("x", {}, repo) == in_repo.resolve()


def test_both_corpora_are_committed() -> None:
    for name in ("agency-copy", "tagging-multilingual"):
        assert corpora.find(name, {}) == (corpora.REPO / corpora.IN_REPO / name).resolve(), name


def test_a_missing_corpus_says_where_it_looked_and_what_to_do(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    with pytest.raises(corpora.CorpusMissing) as info:
        corpora.require("x", repo / "manifest.yaml", {"WIREFEED_CORPORA": str(tmp_path / "env")}, repo)
    message = str(info.value)
    assert str((tmp_path / "env" / "x").resolve()) in message and "tests/data/third_party/x" in message
    assert "WIREFEED_CORPORA" in message and "manifest.yaml" in message


def test_files_are_read_only_when_their_sha256_matches(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"published")
    digest = corpora.sha256_of(b"published")
    assert corpora.read_checked(tmp_path, "a.txt", digest) == b"published"
    with pytest.raises(corpora.CorpusCorrupt, match="sha256"):
        corpora.read_checked(tmp_path, "a.txt", "0" * 64)
    with pytest.raises(corpora.CorpusCorrupt, match="missing"):
        corpora.read_checked(tmp_path, "b.txt", digest)


def test_the_tagging_corpus_uses_the_shared_finder() -> None:
    assert tc.CorpusMissing is corpora.CorpusMissing and tc.CorpusCorrupt is corpora.CorpusCorrupt
    assert tc.corpus_dirs() == corpora.candidates(tc.CORPUS_NAME, repo=tc.REPO)

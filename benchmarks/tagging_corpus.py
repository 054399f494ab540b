"""The multilingual tagging corpus: published stories committed beside the code, listed in a manifest.

``tests/data/tagging_eval/multilingual/manifest.yaml`` lists each document (repository, path, commit, sha256,
licence note, outlet, language) and how its story text is read; ``labels.yaml`` beside it holds the labels, set
by reading each story. The documents themselves are in ``tests/data/third_party/tagging-multilingual/`` (or
``$WIREFEED_CORPORA/tagging-multilingual/`` when set; found by ``benchmarks.corpora``); every file is checked
against its sha256 before use.

How the text is read (``extract`` in the manifest):

- ``html``: the page through trafilatura (``bare_extraction``, default settings): its title is the headline, its
  main-text lines are the body paragraphs. Gzip-compressed pages are unpacked first.
- ``text``: a plain-text article: the first non-empty line is the headline, the other non-empty lines the body.
- ``tsv-tokenised``: one row (``row``: the value of the ``id`` column) of a gzip TSV with ``article`` and
  ``headline`` columns whose words are separated by spaces (MeCab output); the spaces are removed between
  characters that are not both ASCII letters or digits, so Japanese text reads as published.
- ``conllu``: one document (``row``) of a CoNLL-U treebank file, rebuilt from its sentences' ``# text`` lines.
  A file with ``# newdoc id`` lines names documents by that id, with ``# doc_title`` as the headline and
  ``# newpar`` starting each paragraph; a file without them groups sentences by the ``# sent_id`` prefix before
  its last dot (``wn003.1``, ``wn003.2`` … form document ``wn003``), the first sentence being the headline and
  each further sentence a paragraph.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import yaml

from benchmarks import corpora
from schemas import Story

REPO = Path(__file__).resolve().parents[1]
CORPUS_NAME = "tagging-multilingual"
DATA_DIR = REPO / "tests" / "data" / "tagging_eval" / "multilingual"
MANIFEST = DATA_DIR / "manifest.yaml"
LABELS = DATA_DIR / "labels.yaml"
#: The day used for a story whose manifest gives none (only membership-derived bloc tags depend on it).
DEFAULT_DAY = date(2020, 1, 1)


CorpusMissing = corpora.CorpusMissing
CorpusCorrupt = corpora.CorpusCorrupt


@dataclass(frozen=True)
class Document:
    id: str
    file: str
    language: str
    outlet: str
    repository: str
    path: str
    commit: str
    sha256: str
    licence: str
    extract: str
    row: str | None = None
    day: date | None = None
    note: str | None = None


@dataclass(frozen=True)
class Labelled:
    document: Document
    countries: frozenset[str]
    focus: str | None
    blocs: frozenset[str]
    heldout: bool
    note: str | None = None


def corpus_dirs() -> list[Path]:
    """Where the corpus may be, in order: under $WIREFEED_CORPORA, then the repository's copy."""
    return corpora.candidates(CORPUS_NAME, repo=REPO)


def find_corpus() -> Path:
    return corpora.require(CORPUS_NAME, MANIFEST, repo=REPO)


def load_manifest(path: Path = MANIFEST) -> list[Document]:
    docs = []
    for item in yaml.safe_load(path.read_text("utf-8"))["documents"]:
        day = item.get("date")
        docs.append(
            Document(
                id=str(item["id"]),
                file=str(item["file"]),
                language=str(item["language"]),
                outlet=str(item["outlet"]),
                repository=str(item["repository"]),
                path=str(item["path"]),
                commit=str(item["commit"]),
                sha256=str(item["sha256"]),
                licence=str(item["licence"]),
                extract=str(item["extract"]),
                row=str(item["row"]) if item.get("row") is not None else None,
                day=day if isinstance(day, date) else (date.fromisoformat(str(day)) if day else None),
                note=item.get("note"),
            )
        )
    return docs


def load_labels(manifest: list[Document] | None = None, path: Path = LABELS) -> list[Labelled]:
    by_id = {d.id: d for d in (manifest if manifest is not None else load_manifest())}
    out = []
    for item in yaml.safe_load(path.read_text("utf-8"))["stories"]:
        doc = by_id[str(item["id"])]
        focus = item["focus"]
        out.append(
            Labelled(
                document=doc,
                countries=frozenset(str(c) for c in item["countries"]),
                focus=str(focus) if focus is not None else None,
                blocs=frozenset(str(b) for b in item["blocs"]),
                heldout=bool(item.get("heldout", False)),
                note=item.get("note"),
            )
        )
    return out


sha256_of = corpora.sha256_of


@lru_cache(maxsize=64)
def read_checked(folder: Path, file: str, sha256: str) -> bytes:
    """The file's bytes, after checking them against the manifest's sha256."""
    return corpora.read_checked(folder, file, sha256)


def _gunzip(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _from_html(data: bytes) -> tuple[str, list[str], date | None]:
    import trafilatura

    with warnings.catch_warnings():
        # htmldate warns about time-zone names it cannot resolve (EST, CST); the day is all that is used.
        warnings.simplefilter("ignore")
        doc = trafilatura.bare_extraction(_gunzip(data), with_metadata=True)
    if doc is None:
        raise CorpusCorrupt("trafilatura found no main text in the page")

    # trafilatura 2 returns a Document (a dict only with as_dict=True, not used here).
    def field(name: str) -> str:
        value = doc.get(name) if isinstance(doc, dict) else getattr(doc, name, None)
        return str(value or "")

    title = field("title").strip()
    body = _lines(field("text"))
    raw_day = field("date")
    day: date | None = None
    if raw_day:
        try:
            day = date.fromisoformat(raw_day[:10])
        except ValueError:
            day = None
    return title, body, day


def _from_text(data: bytes) -> tuple[str, list[str]]:
    lines = _lines(_gunzip(data).decode("utf-8-sig"))
    return lines[0], lines[1:]


_JOIN = re.compile(r"(?<=\S) (?=\S)")


def detokenise(text: str) -> str:
    """Removes the spaces a word segmenter put in, keeping those between two ASCII words ("USGS / NEIC")."""

    def keep(m: re.Match[str]) -> str:
        before, after = text[m.start() - 1], text[m.end()]
        return " " if before.isascii() and after.isascii() and before.isalnum() and after.isalnum() else ""

    return _JOIN.sub(keep, text)


@lru_cache(maxsize=8)
def _tsv_rows(folder: Path, file: str, sha256: str) -> dict[str, dict[str, str]]:
    raw = _gunzip(read_checked(folder, file, sha256)).decode("utf-8")
    csv.field_size_limit(1 << 24)
    reader = csv.DictReader(io.StringIO(raw), delimiter="\t", quoting=csv.QUOTE_NONE)
    return {row["id"]: row for row in reader}


@dataclass
class _ConlluDoc:
    title: str | None
    paragraphs: list[list[str]]


@lru_cache(maxsize=8)
def _conllu_docs(folder: Path, file: str, sha256: str) -> dict[str, _ConlluDoc]:
    """The documents of a CoNLL-U file by id (see the module's docstring for how a document is found)."""
    raw = _gunzip(read_checked(folder, file, sha256)).decode("utf-8-sig")
    docs: dict[str, _ConlluDoc] = {}
    current: _ConlluDoc | None = None
    by_newdoc = "\n# newdoc id" in raw or raw.startswith("# newdoc id")
    for block in raw.split("\n\n"):
        meta: dict[str, str] = {}
        flags: set[str] = set()
        for line in block.splitlines():
            if not line.startswith("#"):
                continue
            key, sep, value = line[1:].partition("=")
            if sep:
                meta[key.strip()] = value.strip()
            else:
                flags.add(key.strip())  # "# newpar" without an id
        text = meta.get("text")
        if text is None:
            continue
        if "newdoc id" in meta:
            current = docs.setdefault(meta["newdoc id"], _ConlluDoc(meta.get("doc_title"), []))
        elif not by_newdoc and (doc_id := _doc_of_sentence(meta.get("sent_id", ""))):
            current = docs.setdefault(doc_id, _ConlluDoc(None, []))
        if current is None:
            continue
        if not current.paragraphs or "newpar id" in meta or "newpar" in flags or current.title is None:
            current.paragraphs.append([])
        current.paragraphs[-1].append(text)
    return docs


def _doc_of_sentence(sent_id: str) -> str | None:
    """The document a sentence id names: the part before a backslash (Lassy: ``WR-P-P-H-0000000005\\…p.1.s.1``),
    else the part before the last dot (TDT: ``wn003.1``)."""
    if "\\" in sent_id:
        return sent_id.split("\\", 1)[0]
    return sent_id.rsplit(".", 1)[0] if "." in sent_id else None


def _from_conllu(doc: _ConlluDoc) -> tuple[str, list[str]]:
    paragraphs = [" ".join(p) for p in doc.paragraphs if p]
    if doc.title is not None:
        return doc.title, paragraphs
    return paragraphs[0], paragraphs[1:]


def _sentences_ja(text: str) -> list[str]:
    return [s for s in (p.strip() for p in re.split(r"(?<=。)", text)) if s]


def cache_dir() -> Path:
    """Where extracted story text is kept between runs ($XDG_CACHE_HOME/wirefeed/tagging-multilingual)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wirefeed" / CORPUS_NAME


def _extractor_version() -> str:
    import trafilatura

    return str(trafilatura.__version__)


def story_text(doc: Document, folder: Path) -> tuple[str, list[str], date | None]:
    """Headline, body paragraphs and (when the document gives one) the publication day.

    HTML extraction takes tens of milliseconds a page, so the result is cached on disk under the file's sha256,
    its row and the trafilatura version; the file's bytes are still checked against the manifest on every run.
    """
    read_checked(folder, doc.file, doc.sha256)
    key = f"{doc.sha256}-{doc.row or ''}-{doc.extract}-{_extractor_version()}.json"
    cached = cache_dir() / key
    if cached.is_file():
        item = orjson.loads(cached.read_bytes())
        return item["headline"], item["body"], date.fromisoformat(item["day"]) if item["day"] else None
    headline, body, day = _story_text(doc, folder)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(orjson.dumps({"headline": headline, "body": body, "day": day.isoformat() if day else None}))
    except OSError:
        pass  # a read-only home only costs the next run the extraction again
    return headline, body, day


def _story_text(doc: Document, folder: Path) -> tuple[str, list[str], date | None]:
    if doc.extract == "tsv-tokenised":
        row = _tsv_rows(folder, doc.file, doc.sha256)[str(doc.row)]
        return detokenise(row["headline"]), _sentences_ja(detokenise(row["article"])), None
    if doc.extract == "conllu":
        return (*_from_conllu(_conllu_docs(folder, doc.file, doc.sha256)[str(doc.row)]), None)
    data = read_checked(folder, doc.file, doc.sha256)
    if doc.extract == "html":
        return _from_html(data)
    if doc.extract == "text":
        title, body = _from_text(data)
        return title, body, None
    raise ValueError(f"{doc.id}: unknown extract kind {doc.extract!r} (html, text, tsv-tokenised, conllu)")


def build_story(doc: Document, folder: Path) -> Story:
    headline, body, found_day = story_text(doc, folder)
    day = doc.day or found_day or DEFAULT_DAY
    when = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return Story(
        uri=f"urn:eval:ml:{doc.id}",
        agency="EVAL",
        headline=headline or "(no headline)",
        body=body,
        dateline=None,
        language=doc.language,
        versioncreated=when,
        source_format="text",
        content_hash="0" * 64,
        submission_id=doc.id,
        received_at=when,
    )


def describe(doc: Document) -> dict[str, Any]:
    return {"id": doc.id, "language": doc.language, "outlet": doc.outlet, "file": doc.file}

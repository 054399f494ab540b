"""What the normalise stage gives for every benchmarked document, as one sha256 each: the guard of speed work.

A speed change to normalise must not change any output. ``tests/data/normalise_outputs.json`` records, for the
seed story, each IPTC sample and each real-copy corpus document, the sha256 of what ``normalise_all`` returns
(every story as its JSON, or the rejection's reason and message); the test
``tests/unit/normalise/test_normalise_outputs.py`` recomputes them and names the documents whose output changed.
Only digests are stored, never the text of a document.

After a change that is meant to change outputs (a fix), rewrite the record and say which documents changed and why:
``python -m benchmarks.bench_normalise_outputs --write`` (with the corpus present: set ``WIREFEED_CORPORA``).
Without ``--write`` it prints the documents whose output differs from the record.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson

from benchmarks import options
from pipeline.stages.errors import StageError
from pipeline.stages.normalise import NormaliseOptions, normalise_all
from schemas import RawSubmission

REPO = Path(__file__).resolve().parents[1]
RECORD = REPO / "tests" / "data" / "normalise_outputs.json"


def output_digest(raw: RawSubmission, options: NormaliseOptions | None = None) -> str:
    """sha256 of the stories ``normalise_all`` makes of ``raw`` (their JSON, one a line), or of its rejection."""
    try:
        text = "\n".join(s.model_dump_json() for s in normalise_all(raw, options))
    except StageError as exc:
        text = f"rejected {exc.reason}: {exc.message}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sample_submissions() -> Iterator[tuple[str, RawSubmission]]:
    """The seed story and the IPTC samples, submitted as the benchmark submits them."""
    from benchmarks.bench_normalise import CASES, submission_of

    for _name, path in CASES:
        yield f"sample:{path.name}", submission_of(path.read_bytes())


def corpus_submissions() -> tuple[list[tuple[str, RawSubmission]], NormaliseOptions | None, str | None]:
    """Every real-copy document as ``benchmarks.eval_formats`` submits it, its options, or why there are none."""
    from benchmarks import eval_formats as ev

    root = ev.corpus_dir()
    if root is None:
        return [], None, "real-copy corpus absent: `git checkout -- tests/data/third_party`"
    manifest = ev.load_manifest()
    payloads, problems = ev.read_documents(root, manifest)
    if problems:
        return [], None, "real-copy corpus unusable: " + "; ".join(problems[:3])
    docs = [
        (f"corpus:{d['id']}", ev.submission(d["id"], d["agency"], payloads[d["id"]])) for d in manifest["documents"]
    ]
    return docs, ev.options_for(manifest), None


def current() -> tuple[dict[str, str], str | None]:
    """The digest of every document now, and why the corpus part is missing (None when it is there)."""
    out = {key: output_digest(raw) for key, raw in sample_submissions()}
    docs, options, absent = corpus_submissions()
    out.update((key, output_digest(raw, options)) for key, raw in docs)
    return out, absent


def recorded() -> dict[str, str]:
    data: dict[str, str] = orjson.loads(RECORD.read_bytes())
    return data


def main(argv: list[str]) -> int:
    args = options.parse(
        "benchmarks.bench_normalise_outputs", __doc__, argv,
        ("--write", "record the outputs of now as the reference (after a deliberate change)"),
    )
    now, absent = current()
    if absent:
        print(absent, file=sys.stderr)
        if args.write:
            print("not written: the record must cover the corpus", file=sys.stderr)
            return 2
    if args.write:
        RECORD.write_bytes(orjson.dumps(now, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
        print(f"wrote {len(now)} digests to {RECORD.relative_to(REPO)}")
        return 0
    old = recorded()
    changed = sorted(k for k in now if old.get(k) != now[k])
    for key in changed:
        print(f"changed: {key}")
    print(f"{len(now) - len(changed)} of {len(now)} outputs as recorded")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

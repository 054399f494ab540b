"""Real-copy evaluation: every corpus document through the normalise stage, compared with hand-written expectations.

Run ``python -m benchmarks.eval_formats`` to print the tables quoted in ``docs/formats.md`` (per format, per agency,
overall, and the held-out documents apart); ``--errors`` lists every disagreement with the expected and observed
values; ``--write-known-gaps`` rewrites ``known_gaps.yaml`` from the current failures (document, field and observed
value only; the reasons of entries that still fail are kept).

The corpus is described in ``tests/data/formats_corpus/`` (``manifest.yaml``: sources and sha256 of each file;
``expectations.yaml``: what a reader expects; ``README.md``: the meaning of every field and how it is compared). The
documents themselves are not in the repository: they are read from ``$WIREFEED_CORPORA/agency-copy/`` or
``<repo>/../shared/corpora/agency-copy/`` and each is checked against its sha256 before use.

Each document is submitted as ``wirefeed process`` submits a file (format ``auto``, no content type, the agency of
the manifest, whose time zone profile comes from the manifest's ``agencies`` table), normalised, enriched (the
gazetteer fills a dateline's missing country, as the pipeline publishes it), rendered as ninjs 2.2 and 3.1 (each
rendering validated against the official schema) and the 3.1 rendering normalised again (same uri, version and
content hash expected).
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import yaml

from benchmarks import corpora
from pipeline.render.ninjs import to_ninjs, validate_ninjs
from pipeline.stages.enrich import enrich
from pipeline.stages.errors import StageError
from pipeline.stages.normalise import NormaliseOptions, normalise_all, profiles_from_mapping
from schemas import DedupeInfo, EnrichedStory, RawSubmission, Story

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "formats_corpus"
MANIFEST = DATA / "manifest.yaml"
EXPECTATIONS = DATA / "expectations.yaml"
KNOWN_GAPS = DATA / "known_gaps.yaml"
CORPUS_NAME = "agency-copy"
#: Every submission gets this receive time, so fallbacks to it are reproducible.
RECEIVED = datetime(2026, 1, 1, tzinfo=UTC)
#: Fields compared against the expectations, in table order.
FIELDS = (
    "valid", "headline", "body_first", "body_last", "dateline_place", "dateline_country", "byline", "byline_title",
    "pubstatus", "signals", "embargoed", "firstcreated", "versioncreated", "language", "uri", "version", "urgency",
)
#: Checks on the renderings of accepted documents (reported apart from the expectations).
RENDER_CHECKS = ("ninjs-2.2", "ninjs-3.1", "roundtrip")
CHECKED_SIGNALS = frozenset({"update", "correction", "kill"})
TARGET_FULLY_RIGHT = 0.97

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
})
_SPACE = re.compile(r"\s+")


def norm(text: str | None) -> str:
    """Text as compared: NFKC, quotes and dashes folded to ASCII, `` and '' read as ", whitespace folded, casefolded."""
    if text is None:
        return ""
    t = unicodedata.normalize("NFKC", text).translate(_QUOTES).replace("''", '"')
    return _SPACE.sub(" ", t).strip().casefold()


# --------------------------------------------------------------------------------------------- corpus


def corpus_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """Where the corpus files are: ``$WIREFEED_CORPORA/agency-copy`` when set, else the repository's copy."""
    return corpora.find(CORPUS_NAME, env, REPO)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_manifest() -> dict[str, Any]:
    return load_yaml(MANIFEST)  # type: ignore[no-any-return]


def load_expectations() -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in load_yaml(EXPECTATIONS)["documents"]}


def load_known_gaps() -> dict[tuple[str, str], dict[str, Any]]:
    if not KNOWN_GAPS.exists():
        return {}
    data = load_yaml(KNOWN_GAPS) or {}
    return {(g["id"], g["field"]): g for g in data.get("gaps") or []}


def read_documents(root: Path, manifest: dict[str, Any]) -> tuple[dict[str, bytes], list[str]]:
    """The bytes of every manifest document, and a problem line for each file missing or whose sha256 differs."""
    found: dict[str, bytes] = {}
    problems = []
    for doc in manifest["documents"]:
        try:
            found[doc["id"]] = corpora.read_checked(root, doc["file"], doc["sha256"])
        except corpora.CorpusCorrupt as exc:
            problems.append(f"{doc['id']}: {exc}")
    return found, problems


def options_for(manifest: dict[str, Any]) -> NormaliseOptions:
    return NormaliseOptions(agencies=profiles_from_mapping(manifest.get("agencies") or {}))


def submission(doc_id: str, agency: str, payload: bytes) -> RawSubmission:
    """The submission ``wirefeed process FILE --agency AGENCY`` makes of a file (format sniffed, no content type)."""
    return RawSubmission(
        submission_id=f"corpus-{doc_id}", agency=agency, format_hint="auto", received_at=RECEIVED,
        payload=payload,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------------------------- comparison


@dataclass
class Outcome:
    """What happened to one document: field errors (field → (expected, observed)) and rendering problems."""

    id: str
    format: str
    agency: str
    heldout: bool
    rejected: str | None = None
    errors: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    render: dict[str, str] = field(default_factory=dict)

    @property
    def wrongly_rejected(self) -> bool:
        return "valid" in self.errors and self.rejected is not None

    @property
    def fully_right(self) -> bool:
        return not self.errors


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _uri_matches(expected: str, observed: str, agency: str) -> bool:
    """The uri as the document carries it, or wrapped as documented for ids that are not URIs (NITF doc-id)."""
    return observed == expected or observed == f"urn:wirefeed:{quote(agency, safe='')}:id:{quote(expected, safe='')}"


def compare(exp: dict[str, Any], story: Story, agency: str) -> dict[str, tuple[Any, Any]]:
    """Field → (expected, observed) for every expectation ``story`` does not meet (keys left out are not checked)."""
    errors: dict[str, tuple[Any, Any]] = {}
    text = norm(" ".join(story.body))
    if "headline" in exp and norm(exp["headline"]) != norm(story.headline):
        errors["headline"] = (exp["headline"], story.headline)
    if "body_first" in exp and not text.startswith(norm(exp["body_first"])):
        errors["body_first"] = (exp["body_first"], " ".join(story.body)[:160])
    if "body_last" in exp and not text.endswith(norm(exp["body_last"])):
        errors["body_last"] = (exp["body_last"], " ".join(story.body)[-160:])
    if "dateline" in exp:
        want = exp["dateline"] or {}
        place = story.dateline.place if story.dateline else None
        country = story.dateline.country if story.dateline else None
        if norm(want.get("place")) != norm(place):
            errors["dateline_place"] = (want.get("place"), place)
        if ("country" in want or not want) and (want.get("country") or None) != country:
            errors["dateline_country"] = (want.get("country"), country)
    if "byline" in exp and norm(exp["byline"]) != norm(story.byline):
        errors["byline"] = (exp["byline"], story.byline)
    if "byline_title" in exp:
        # The Story contract has no job-title field yet: the title must at least not be glued into the byline.
        observed_title = getattr(story, "byline_title", None)
        if hasattr(story, "byline_title"):
            if norm(exp["byline_title"]) != norm(observed_title):
                errors["byline_title"] = (exp["byline_title"], observed_title)
        elif story.byline and norm(exp["byline_title"]) in norm(story.byline):
            errors["byline_title"] = (exp["byline_title"], f"in the byline: {story.byline}")
    if "pubstatus" in exp and exp["pubstatus"] != story.pubstatus:
        errors["pubstatus"] = (exp["pubstatus"], story.pubstatus)
    if "signals" in exp:
        observed = sorted(CHECKED_SIGNALS.intersection(story.signals))
        if sorted(exp["signals"]) != observed:
            errors["signals"] = (sorted(exp["signals"]), observed)
    for name in ("embargoed", "firstcreated", "versioncreated"):
        if name in exp and _instant(exp[name]) != _instant(getattr(story, name)):
            errors[name] = (exp[name], _iso(getattr(story, name)))
    if "language" in exp:
        observed_lang = (story.language or "").split("-")[0].casefold() or None
        if (exp["language"] or None) != observed_lang:
            errors["language"] = (exp["language"], story.language)
    if "uri" in exp and not _uri_matches(str(exp["uri"]), story.uri, agency):
        errors["uri"] = (exp["uri"], story.uri)
    if "version" in exp and int(exp["version"]) != story.version:
        errors["version"] = (exp["version"], story.version)
    if "urgency" in exp and exp["urgency"] != story.urgency:
        errors["urgency"] = (exp["urgency"], story.urgency)
    return errors


def render_checks(story: Story, agency: str, options: NormaliseOptions) -> tuple[EnrichedStory, dict[str, str]]:
    """Schema problems of the ninjs 2.2 and 3.1 renderings, and a round-trip mismatch (3.1 rendering normalised:
    uri, version, content hash and blocks must come back)."""
    enriched = enrich(story, DedupeInfo(verdict="new", cluster_id=f"c-{story.content_hash[:12]}"), now=RECEIVED)
    problems: dict[str, str] = {}
    rendering: dict[str, Any] = {}
    for version in ("2.2", "3.1"):
        doc = to_ninjs(enriched, version)  # type: ignore[arg-type]
        rendering[version] = doc
        violations = validate_ninjs(doc, version)  # type: ignore[arg-type]
        if violations:
            problems[f"ninjs-{version}"] = "; ".join(violations[:3])
    try:
        again = normalise_all(submission("roundtrip", agency, orjson.dumps(rendering["3.1"])), options)
    except StageError as exc:
        problems["roundtrip"] = f"rendering rejected: {exc.reason}: {exc}"
        return enriched, problems
    if len(again) != 1:
        problems["roundtrip"] = f"rendering gave {len(again)} stories"
    else:
        back = again[0]
        diffs = [
            f"{name} {getattr(story, name)!r} → {getattr(back, name)!r}"
            for name in ("uri", "version", "content_hash", "blocks")
            if getattr(story, name) != getattr(back, name)
        ]
        if diffs:
            problems["roundtrip"] = "; ".join(diffs)
    return enriched, problems


def evaluate(doc: dict[str, Any], exp: dict[str, Any], payload: bytes, options: NormaliseOptions) -> Outcome:
    out = Outcome(id=doc["id"], format=doc["format"], agency=doc["agency"], heldout=bool(exp.get("heldout")))
    valid = exp.get("valid", True)
    try:
        stories = normalise_all(submission(doc["id"], doc["agency"], payload), options)
    except StageError as exc:
        out.rejected = f"{exc.reason}: {exc}"
        if valid:
            out.errors["valid"] = (True, f"rejected ({exc.reason}): {str(exc)[:200]}")
        return out
    if not valid:
        out.errors["valid"] = (False, f"accepted ({len(stories)} stories); expected rejection: {exp.get('reason')}")
        return out
    # A NewsML-G2 newsMessage with several text items: ``items`` holds one expectation per story, in order.
    items = exp.get("items") or [{}]
    if len(stories) != len(items):
        out.errors["valid"] = (True, f"{len(stories)} stories where the document holds {len(items)}")
        return out
    common = {k: v for k, v in exp.items() if k != "items"}
    for index, (story, item) in enumerate(zip(stories, items, strict=True)):
        enriched, render = render_checks(story, doc["agency"], options)
        errors = compare({**common, **item}, enriched, doc["agency"])
        where = f"[item {index + 1}] " if len(items) > 1 else ""
        for name, (expected, observed) in errors.items():
            out.errors.setdefault(name, (expected, f"{where}{observed}"))
        for name, problem in render.items():
            out.render.setdefault(name, f"{where}{problem}")
    return out


def run(root: Path) -> tuple[list[Outcome], list[str]]:
    """Every manifest document with expectations, evaluated; plus the corpus problems (missing or altered files)."""
    manifest = load_manifest()
    expectations = load_expectations()
    payloads, problems = read_documents(root, manifest)
    options = options_for(manifest)
    outcomes = []
    for doc in manifest["documents"]:
        exp = expectations.get(doc["id"])
        if exp is None:
            problems.append(f"{doc['id']}: no expectations")
            continue
        if doc["id"] in payloads:
            outcomes.append(evaluate(doc, exp, payloads[doc["id"]], options))
    missing = set(expectations) - {d["id"] for d in manifest["documents"]}
    problems += [f"{i}: expectations but no manifest entry" for i in sorted(missing)]
    return outcomes, problems


def failures(outcomes: Iterable[Outcome]) -> dict[tuple[str, str], str]:
    """(document, field or rendering check) → the observed value, for everything that did not come out right."""
    out: dict[tuple[str, str], str] = {}
    for o in outcomes:
        for name, (_expected, observed) in o.errors.items():
            out[(o.id, name)] = str(observed)
        for name, problem in o.render.items():
            out[(o.id, name)] = problem
    return out


# --------------------------------------------------------------------------------------------- report


def _row(label: str, group: Sequence[Outcome]) -> str:
    n = len(group)
    right = sum(o.fully_right for o in group)
    rejected = sum(o.wrongly_rejected for o in group)
    counts = Counter(name for o in group for name in o.errors if name != "valid")
    fields = ", ".join(f"{name} {counts[name]}" for name in FIELDS if counts[name]) or "-"
    pct = f"{100 * right / n:.0f} %" if n else "-"
    return f"| {label} | {n} | {right} ({pct}) | {rejected} | {fields} |"


def table(title: str, outcomes: Sequence[Outcome], key: str) -> list[str]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[getattr(o, key)].append(o)
    lines = [f"**{title}**", "", f"| {key} | documents | fully right | wrongly rejected | field errors |",
             "|---|---:|---:|---:|---|"]
    lines += [_row(name, groups[name]) for name in sorted(groups, key=str.casefold)]
    lines.append(_row("**all**", outcomes))
    return lines


def render_summary(outcomes: Sequence[Outcome]) -> list[str]:
    accepted = [o for o in outcomes if o.rejected is None]
    lines = []
    for check in RENDER_CHECKS:
        bad = [o.id for o in accepted if check in o.render]
        lines.append(f"- {check}: {len(accepted) - len(bad)} of {len(accepted)} accepted documents pass"
                     + (f" (failing: {', '.join(bad)})" if bad else ""))
    return lines


def report(outcomes: Sequence[Outcome], problems: Sequence[str], gaps: dict[tuple[str, str], dict[str, Any]]) -> str:
    lines = [f"Real-copy corpus: {len(outcomes)} documents, "
             f"{len({o.agency for o in outcomes})} agencies, {len({o.format for o in outcomes})} formats", ""]
    held = [o for o in outcomes if o.heldout]
    lines += [*table("By format", outcomes, "format"), "", *table("By agency", outcomes, "agency"), ""]
    lines += [*table("Held-out documents, by format", held, "format"), ""]
    lines += ["**Renderings of accepted documents**", "", *render_summary(outcomes), ""]
    right = sum(o.fully_right for o in outcomes)
    n = len(outcomes) or 1
    lines.append(f"Overall: {right} of {len(outcomes)} documents fully right ({100 * right / n:.1f} %; target "
                 f"{100 * TARGET_FULLY_RIGHT:.0f} %), {sum(o.wrongly_rejected for o in outcomes)} wrongly rejected; "
                 f"held out: {sum(o.fully_right for o in held)} of {len(held)}; "
                 f"known gaps listed: {len(gaps)}")
    if problems:
        lines += ["", "Corpus problems:"] + [f"- {p}" for p in problems]
    return "\n".join(lines)


def error_lines(outcomes: Sequence[Outcome]) -> list[str]:
    lines = []
    for o in outcomes:
        for name, (expected, observed) in o.errors.items():
            lines.append(f"{o.id} [{o.format}/{o.agency}] {name}: expected {expected!r}, got {observed!r}")
        for name, problem in o.render.items():
            lines.append(f"{o.id} [{o.format}/{o.agency}] {name}: {problem}")
    return lines


#: The class of failure a new gap falls in, by format and then by field (a first reason; edit it in the file).
_FORMAT_REASONS = {
    "iptc7901": "IPTC 7901 framing read as plain text (header line, keyword lines, notebook and trailer kept)",
    "anpa1312": "ANPA 1312 framing read as plain text (header, keyword and take lines, ^…< codes, trailer kept)",
}
_FIELD_REASONS = {
    "valid": "valid document rejected",
    "headline": "headline taken from the wrong element or with furniture in it",
    "body_first": "furniture, markup or the dateline left at the start of the body",
    "body_last": "furniture (notes, contacts, trailers, desk codes) left at the end of the body",
    "dateline_place": "printed dateline not recognised in this format or shape",
    "dateline_country": "dateline place not resolved to its country",
    "byline": "byline with job title, agency or markup, or not found",
    "byline_title": "job title glued into the byline",
    "signals": "update/correction/kill advisory not mapped to a signal",
    "language": "language neither declared nor detected",
    "ninjs-2.2": "rendering invalid against the ninjs 2.2 schema",
    "ninjs-3.1": "rendering invalid against the ninjs 3.1 schema",
    "roundtrip": "rendering normalises to a different story",
}


def _reason(outcome: Outcome, name: str) -> str:
    if outcome.format in _FORMAT_REASONS and name != "valid":
        return _FORMAT_REASONS[outcome.format]
    if name == "valid" and outcome.rejected:
        return f"valid document rejected as {outcome.rejected.split(':', 1)[0]}"
    return _FIELD_REASONS.get(name, f"{name} differs from the document")


def write_known_gaps(outcomes: Sequence[Outcome]) -> int:
    """Rewrite ``known_gaps.yaml`` with today's failures (document, field, observed); reasons kept while failing."""
    old = load_known_gaps()
    by_id = {o.id: o for o in outcomes}
    gaps = []
    for (doc_id, name), observed in sorted(failures(outcomes).items()):
        reason = (old.get((doc_id, name)) or {}).get("reason") or _reason(by_id[doc_id], name)
        gaps.append({"id": doc_id, "field": name, "observed": observed[:80], "reason": reason})
    header = (
        "# Known gaps: (document, field) pairs of the real-copy corpus that the current code gets wrong, with what it\n"
        "# produced. Written by `python -m benchmarks.eval_formats --write-known-gaps` (observed values only, never\n"
        "# the expectations); each entry counts against the score. Remove entries as the parsers are fixed.\n"
    )
    KNOWN_GAPS.write_text(header + yaml.safe_dump({"gaps": gaps}, sort_keys=False, allow_unicode=True, width=120),
                          encoding="utf-8")
    return len(gaps)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.eval_formats", description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list every disagreement")
    parser.add_argument("--write-known-gaps", action="store_true", help="rewrite known_gaps.yaml from the failures")
    args = parser.parse_args(argv)
    root = corpus_dir()
    if root is None:
        print("The real-copy corpus is not here: tests/data/third_party/agency-copy/ is missing "
              "(`git checkout -- tests/data/third_party`).", file=sys.stderr)
        return 2
    outcomes, problems = run(root)
    print(report(outcomes, problems, load_known_gaps()))
    if args.errors:
        print("\n" + "\n".join(error_lines(outcomes)))
    if args.write_known_gaps:
        print(f"\nwrote {write_known_gaps(outcomes)} known gaps to {KNOWN_GAPS.relative_to(REPO)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

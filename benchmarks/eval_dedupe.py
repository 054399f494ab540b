"""Dedupe evaluation: a labelled set generated deterministically from real wire text, and its precision/recall.

Run ``python -m benchmarks.eval_dedupe`` to print the table quoted in ``docs/dedupe.md``.

Base stories: the seed story and the IPTC sample texts in ``<repo>/../shared`` plus the same-topic stories in
``tests/data/dedupe_eval/same_topic.txt``. Positives are generated edits of a base story (what a desk sees as a
resend); negatives are every pair of distinct base stories, same-topic pairs reported separately.
"""

from __future__ import annotations

import html
import json
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks import options
from pipeline.stages.dedupe import DedupeConfig, DedupeIndex, DedupeState, fingerprint, hamming
from pipeline.stages.normalise import content_hash
from schemas import Story

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"
SAME_TOPIC = REPO / "tests" / "data" / "dedupe_eval" / "same_topic.txt"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Base:
    key: str
    topic: str
    agency: str
    headline: str
    body: tuple[str, ...]
    language: str = "en"


@dataclass(frozen=True)
class Pair:
    kind: str  # edit name, or "distinct" / "same_topic"
    a: Story
    b: Story
    should_match: bool


# --------------------------------------------------------------------------------------------- base texts


def _paragraphs_from_html(markup: str) -> list[str]:
    paras = re.findall(r"<(?:p|blockquote)\b[^>]*>(.*?)</(?:p|blockquote)>", markup, flags=re.S)
    out = [html.unescape(re.sub(r"<[^>]+>", "", p)).strip() for p in paras]
    return [" ".join(p.split()) for p in out if p.strip()]


def _seed() -> Base:
    lines = (SHARED / "fixtures" / "seed-story-tca.txt").read_text(encoding="utf-8").splitlines()
    paras = [ln.strip() for ln in lines if ln.strip()]
    start = next(i for i, p in enumerate(paras) if p.startswith("BISHKEK (TCA)"))
    end = paras.index("Sergey Kwan")
    return Base("tca-seed", "kg-ru", "TCA", paras[0], tuple(paras[start:end]))


def _samples() -> list[Base]:
    sdir = SHARED / "reference" / "samples"
    out: list[Base] = []
    ap = json.loads((sdir / "004_simple_text_article.json").read_text(encoding="utf-8"))
    ap_html = next(b["value"] for b in ap["bodies"] if "<p>" in b["value"])
    out.append(
        Base("ap-concordia", "it-concordia", "AP", ap["headlines"][0]["value"], tuple(_paragraphs_from_html(ap_html)))
    )
    dpa = json.loads((sdir / "dpa_text.json").read_text(encoding="utf-8"))
    out.append(
        Base(
            "dpa-derby",
            "de-football",
            "dpa",
            dpa["headlines"][0]["value"],
            tuple(_paragraphs_from_html(dpa["bodies"][0]["value"])),
            "de",
        )
    )
    nitf = (sdir / "NTB_nitf_sample.xml").read_text(encoding="utf-8")
    hl = re.search(r"<hl1>(.*?)</hl1>", nitf, re.S)
    out.append(
        Base("ntb-india", "in-covid", "NTB", hl.group(1) if hl else "NTB", tuple(_paragraphs_from_html(nitf)), "nb")
    )
    tt = (sdir / "TT_newsmlg2_sample.xml").read_text(encoding="utf-8")
    hl = re.search(r"<headline>(.*?)</headline>", tt, re.S)
    out.append(
        Base("tt-guillou", "se-books", "TT", hl.group(1) if hl else "TT", tuple(_paragraphs_from_html(tt)), "sv")
    )
    afp = (sdir / "afp.com_newsml1.2_sample.xml").read_text(encoding="utf-8")
    hl = re.search(r"<HeadLine[^>]*>(.*?)</HeadLine>", afp, re.S)
    out.append(Base("afp-gaza", "ps-il", "AFP", hl.group(1) if hl else "AFP", tuple(_paragraphs_from_html(afp)), "en"))
    return out


def _written() -> list[Base]:
    out: list[Base] = []
    for n, block in enumerate(SAME_TOPIC.read_text(encoding="utf-8").split("\n== ")[1:]):
        head, _, rest = block.partition("\n")
        topic, _, headline = head.removeprefix("== ").partition(" | ")
        paras = [" ".join(p.split()) for p in rest.strip().split("\n\n") if p.strip()]
        agency = re.search(r"\(([^)]+)\)", paras[0])
        out.append(
            Base(
                f"w{n:02d}-{topic}",
                topic.strip(),
                agency.group(1) if agency else "X",
                headline.strip(),
                tuple(paras),
                "de" if topic.startswith("de-") else "en",
            )
        )
    return out


def bases() -> list[Base]:
    return [_seed(), *_samples(), *_written()]


# --------------------------------------------------------------------------------------------- stories


def make_story(
    uri: str,
    agency: str,
    headline: str,
    body: list[str],
    *,
    version: int = 1,
    at: datetime = T0,
    language: str = "en",
    **extra: object,
) -> Story:
    return Story(
        uri=uri,
        version=version,
        agency=agency,
        headline=headline,
        body=body,
        versioncreated=at,
        received_at=at,
        source_format="text",
        content_hash=content_hash(headline, body),
        submission_id=f"sub-{uri}-{version}",
        language=language,
        **extra,  # type: ignore[arg-type]
    )


def base_story(b: Base, uri: str | None = None, at: datetime = T0) -> Story:
    return make_story(uri or f"urn:eval:{b.key}", b.agency, b.headline, list(b.body), at=at, language=b.language)


# --------------------------------------------------------------------------------------------- edits

_EXTRA_PARAGRAPHS = (
    "Officials did not immediately respond to a request for comment on the latest developments.",
    "The statement was published on the government's website late in the evening, local time.",
    "Further details are expected to be released at a news conference scheduled for Friday morning.",
    "Opposition politicians said the announcement raised more questions than it answered.",
)
_DASHES = re.compile(r"\s+(?:—|--|–|-)\s+")


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def edit_typos(b: Base, rng: random.Random) -> tuple[str, list[str]]:
    body = list(b.body)
    for _ in range(3):
        p = rng.randrange(len(body))
        ws = body[p].split(" ")
        j = rng.randrange(len(ws))
        ws[j] = _typo(ws[j], rng)
        body[p] = " ".join(ws)
    return b.headline, body


def edit_added_paragraph(b: Base, rng: random.Random) -> tuple[str, list[str]]:
    body = list(b.body)
    body.insert(rng.randrange(1, len(body) + 1), rng.choice(_EXTRA_PARAGRAPHS))
    return b.headline, body


def edit_headline(b: Base, rng: random.Random) -> tuple[str, list[str]]:
    return "UPDATE 1-" + b.headline.rstrip(".") + " (adds detail)", list(b.body)


def edit_trimmed(b: Base, rng: random.Random) -> tuple[str, list[str]]:
    """Drop the last paragraph(s): up to ~20 % of the words, at least the final sentence."""
    body = list(b.body)
    total = sum(len(p.split()) for p in body)
    cut = 0
    while len(body) > 1 and cut + len(body[-1].split()) <= 0.2 * total:
        cut += len(body.pop().split())
    if cut == 0:
        sentences = re.split(r"(?<=[.!?»”\"])\s+", body[-1])
        if len(sentences) > 1:
            body[-1] = " ".join(sentences[:-1])
        elif len(body) > 1:
            body.pop()
    return b.headline, body


def edit_dateline(b: Base, rng: random.Random) -> tuple[str, list[str]]:
    body = list(b.body)
    first = body[0]
    m = re.match(r"^([A-ZÀ-Þ][\w .'-]*?)(,[^()]*)?\s*\(([^)]+)\)\s*(?:—|--|–|-)\s+", first)
    if m:
        place = m.group(1).title()
        body[0] = f"{place}, {rng.choice(['March 1', 'Mar 1', '1 March'])} ({m.group(3)}) - " + first[m.end() :]
    else:
        body[0] = f"{b.agency.upper()} (Agency) — " + first
    return b.headline, body


def edit_other_agency(b: Base, rng: random.Random) -> tuple[str, list[str]]:
    """The same agency copy carried by a second source: its own credit line and copyright notice."""
    body = [_DASHES.sub(" - ", b.body[0], count=1), *b.body[1:]]
    body.append("(Reporting by Anna Petrova; Editing by Mark Heinrich)")
    body.append(f"© 2024 {b.agency}. All rights reserved.")
    return b.headline.upper(), body


def edit_figure(b: Base, rng: random.Random) -> tuple[str, list[str]]:
    body = list(b.body)
    idx = [i for i, p in enumerate(body) if re.search(r"\d", p)] or [len(body) - 1]
    i = rng.choice(idx)
    if re.search(r"\d", body[i]):
        body[i] = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), body[i], count=1)
    else:
        body[i] = body[i] + " No figures were given."
    return b.headline, body


def edit_light_resend(b: Base, rng: random.Random) -> tuple[str, list[str]]:
    """Typo fixes, a new headline and a trimmed ending together."""
    h, body = edit_trimmed(Base(b.key, b.topic, b.agency, b.headline, tuple(edit_typos(b, rng)[1])), rng)
    return "CORRECTED-" + h, body


def edit_none(b: Base, rng: random.Random) -> tuple[str, list[str]]:
    """The same story under another uri (a second source carrying it unchanged)."""
    return b.headline, list(b.body)


EDITS: dict[str, Callable[[Base, random.Random], tuple[str, list[str]]]] = {
    "exact_copy": edit_none,
    "typo_fixes": edit_typos,
    "added_paragraph": edit_added_paragraph,
    "changed_headline": edit_headline,
    "trimmed_ending": edit_trimmed,
    "dateline_form": edit_dateline,
    "other_agency_copy": edit_other_agency,
    "changed_figure": edit_figure,
    "light_resend": edit_light_resend,
}


def pairs(seed: int = 20240301, variants: int = 5) -> list[Pair]:
    """Every labelled pair: ``variants`` positives per (base, edit), one negative per pair of distinct bases."""
    bs = bases()
    out: list[Pair] = []
    for b in bs:
        orig = base_story(b)
        for name, edit in EDITS.items():
            for v in range(variants):
                rng = random.Random(f"{seed}:{b.key}:{name}:{v}")
                headline, body = edit(b, rng)
                copy = make_story(
                    f"urn:eval:{b.key}:{name}:{v}",
                    b.agency,
                    headline,
                    body,
                    at=T0 + timedelta(minutes=5),
                    language=b.language,
                )
                out.append(Pair(name, orig, copy, True))
    for i, x in enumerate(bs):
        for y in bs[i + 1 :]:
            kind = "same_topic" if x.topic == y.topic else "distinct"
            out.append(Pair(kind, base_story(x), base_story(y, at=T0 + timedelta(minutes=5)), False))
    return out


def stream(seed: int = 20240301, variants: int = 1) -> list[tuple[Story, str]]:
    """A story stream with expected verdicts: every base (``new``), then every edited copy (``near_duplicate``)."""
    positives = [p for p in pairs(seed, variants) if p.should_match]
    out: list[tuple[Story, str]] = []
    seen: set[str] = set()
    for p in positives:
        if p.a.uri not in seen:
            seen.add(p.a.uri)
            out.append((p.a, "new"))
    for p in positives:
        out.append((replace_time(p.b, T0 + timedelta(hours=1)), "near_duplicate"))
    return out


def replace_time(s: Story, at: datetime) -> Story:
    return s.model_copy(update={"versioncreated": at, "received_at": at})


__all__ = ["EDITS", "Base", "Pair", "base_story", "bases", "make_story", "pairs", "stream"]


# --------------------------------------------------------------------------------------------- evaluation


def evaluate_pairs(config: DedupeConfig, variants: int = 5) -> list[dict[str, Any]]:
    """Each pair through a fresh index (first story, then its pair). One row per kind of pair."""
    rows: dict[str, dict[str, Any]] = {}
    for p in pairs(variants=variants):
        idx = DedupeIndex(DedupeState(), config)
        idx.check(p.a)
        d = idx.check(p.b)
        merged = d.info.verdict in ("near_duplicate", "duplicate")
        dist = hamming(fingerprint(p.a), fingerprint(p.b))
        row = rows.setdefault(
            p.kind, {"kind": p.kind, "positive": p.should_match, "pairs": 0, "merged": 0, "max_d": 0, "min_d": 64}
        )
        row["pairs"] += 1
        row["merged"] += merged
        row["max_d"] = max(row["max_d"], dist)
        row["min_d"] = min(row["min_d"], dist)
    return list(rows.values())


def evaluate_stream(config: DedupeConfig, variants: int = 5) -> dict[str, Any]:
    """All bases, then all edited copies, through one shared index: verdicts and clusters as a desk sees them."""
    idx = DedupeIndex(DedupeState(), config)
    cluster_of: dict[str, str] = {}
    base_uris = set()
    ok = wrong_cluster = 0
    missed: list[str] = []
    for story, expected in stream(variants=variants):
        d = idx.check(story)
        if expected == "new":
            base_uris.add(story.uri)
            cluster_of[story.uri] = d.info.cluster_id
            ok += d.info.verdict == "new"
            if d.info.verdict != "new":
                missed.append(f"{story.uri}: {d.info.verdict}")
            continue
        base = story.uri.rsplit(":", 2)[0]
        if d.info.verdict in ("near_duplicate", "duplicate"):
            ok += 1
            wrong_cluster += d.info.cluster_id != cluster_of[base]
        else:
            missed.append(f"{story.uri}: {d.info.verdict}")
    total = len(base_uris) + sum(1 for _, e in stream(variants=variants) if e != "new")
    return {"stories": total, "correct": ok, "wrong_cluster": wrong_cluster, "missed": missed}


def summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    tp = sum(r["merged"] for r in rows if r["positive"])
    pos = sum(r["pairs"] for r in rows if r["positive"])
    fp = sum(r["merged"] for r in rows if not r["positive"])
    same_topic = sum(r["merged"] for r in rows if r["kind"] == "same_topic")
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / pos if pos else 0.0,
        "same_topic_merges": same_topic,
        "false_merges": fp,
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Rows for an aggregator: the pair table at the default config plus a threshold sweep."""
    variants = 1 if quick else 5
    config = DedupeConfig()
    rows = evaluate_pairs(config, variants)
    out: list[dict[str, Any]] = [{"table": "pairs", **r} for r in rows]
    out.append({"table": "summary", "threshold": config.near_threshold, **summary(rows)})
    for t in (10, 12, 13, 14, 16, 18):
        out.append(
            {"table": "sweep", "threshold": t, **summary(evaluate_pairs(replace(config, near_threshold=t), variants))}
        )
    stream_result = evaluate_stream(config, variants)
    out.append(
        {
            "table": "stream",
            **{k: v for k, v in stream_result.items() if k != "missed"},
            "missed": len(stream_result["missed"]),
        }
    )
    return out


def main() -> None:
    options.parse("benchmarks.eval_dedupe", __doc__, sys.argv[1:])
    from rich.console import Console
    from rich.table import Table

    rows = run()
    console = Console()
    config = DedupeConfig()
    t = Table(title=f"dedupe eval: pairs (near_threshold={config.near_threshold}, SimHash-64 Hamming)")
    for col in ("pair kind", "label", "pairs", "merged", "rate", "Hamming min..max"):
        t.add_column(col)
    for r in (r for r in rows if r["table"] == "pairs"):
        t.add_row(
            r["kind"],
            "copy" if r["positive"] else "distinct",
            str(r["pairs"]),
            str(r["merged"]),
            f"{r['merged'] / r['pairs']:.3f}",
            f"{r['min_d']}..{r['max_d']}",
        )
    console.print(t)
    s = Table(title="threshold sweep (pairs)")
    for col in ("threshold", "precision", "recall (edited copies)", "same-topic merges", "false merges"):
        s.add_column(col)
    for r in (r for r in rows if r["table"] in ("sweep",)):
        s.add_row(
            str(r["threshold"]),
            f"{r['precision']:.4f}",
            f"{r['recall']:.4f}",
            str(r["same_topic_merges"]),
            str(r["false_merges"]),
        )
    console.print(s)
    st = next(r for r in rows if r["table"] == "stream")
    console.print(
        f"stream (one shared index): {st['correct']}/{st['stories']} verdicts right, "
        f"{st['missed']} missed, {st['wrong_cluster']} copies in a wrong cluster"
    )


if __name__ == "__main__":
    main()

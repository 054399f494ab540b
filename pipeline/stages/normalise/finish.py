"""Shared finishing steps: a parser's Draft → a validated ``Story``."""

from __future__ import annotations

from urllib.parse import quote

from pydantic import ValidationError

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.cleaning import clean_inline, clean_inline_fixed, clean_paragraphs_fixed
from pipeline.stages.normalise.draft import Draft, names_publisher
from pipeline.stages.normalise.hashing import content_hash_cleaned
from pipeline.stages.normalise.identity import check_identity
from pipeline.stages.normalise.language import detect_language
from pipeline.stages.normalise.options import NormaliseOptions
from pipeline.stages.normalise.structure import blocks_of
from pipeline.stages.normalise.trusted import trusted_story
from pipeline.stages.normalise.wire_profiles import wire_profile
from pipeline.stages.normalise.wiretext import (
    WireText,
    analyse,
    headline_advisories,
    split_byline,
    strip_head,
    strip_trailing_boilerplate,
)
from schemas.raw import RawSubmission
from schemas.story import Dateline, Story


def story_uri(agency: str, agency_id: str | None, digest: str) -> str:
    """The uri for a story whose format carries none.

    ``urn:wirefeed:<agency>:id:<agency's id>`` when the agency gave its own id for the story, else
    ``urn:wirefeed:<agency>:<first 16 hex of the content hash>`` (agency and id percent-encoded).
    """
    a = quote(agency, safe="")
    if agency_id:
        return f"urn:wirefeed:{a}:id:{quote(agency_id, safe='')}"
    return f"urn:wirefeed:{a}:{digest[:16]}"


def finish(draft: Draft, raw: RawSubmission, options: NormaliseOptions) -> Story:
    where = draft.where
    headline, headline_fixed = clean_inline_fixed(draft.headline or "")
    signals = list(draft.signals)
    urgency = draft.urgency
    pubstatus = draft.pubstatus
    advised = headline_advisories(headline) if headline[:1].isupper() or headline[:1] in "0123456789>" else None
    if advised is not None and advised.headline != headline:
        headline, headline_fixed = advised.headline, True
        signals.extend(s for s in advised.signals if s not in signals)
        if advised.urgency is not None:
            urgency = min(urgency or advised.urgency, advised.urgency)
        if "kill" in advised.signals:
            pubstatus = "canceled"
    if not headline:
        raise StageError("missing_headline", f"{where}: no headline")
    # ``fixed``: cleaned texts known to clean to themselves, which the content hash need not clean again.
    body, fixed = clean_paragraphs_fixed(draft.body)
    if headline_fixed:
        fixed.add(headline)
    # A first paragraph that repeats the headline (HTML bodies often start with an <h1>) is not body text.
    if len(body) > 1 and body[0].casefold() == headline.casefold():
        body = body[1:]
    known = _clean_dateline(draft.dateline)
    byline, byline_title = split_byline(clean_inline(draft.byline) if draft.byline else None, draft.byline_title)
    if draft.wire_copy:
        wt: WireText = analyse(body, agency=raw.agency, known_dateline=known)
        body, dateline = wt.body, wt.dateline
        # A byline printed in the text that names the site or its publisher is no writer's (``By Daily Planet``).
        if not byline and wt.byline and not names_publisher(wt.byline, draft.publishers):
            byline, byline_title = wt.byline, byline_title or wt.byline_title
        signals.extend(s for s in wt.signals if s not in signals)
    else:
        head = strip_head(body, known)
        body, dateline = head.body, head.dateline
        signals.extend(s for s in head.signals if s not in signals)
        byline = byline or head.byline
        body, reporter = strip_trailing_boilerplate(body, raw.agency, dateline)
        byline = byline or reporter
    # The headline may also be printed again under the dateline (press releases): not body text either.
    if len(body) > 1 and body[0].casefold() == headline.casefold():
        body = body[1:]
    if not body:
        raise StageError("empty_body", f"{where}: no body text")
    blocks = blocks_of(draft.structure, body) if draft.structure is not None else None
    byline = byline or (clean_inline(draft.byline_guess) if draft.byline_guess else None)
    if pubstatus == "canceled" and "kill" not in signals:
        signals.append("kill")
    digest = content_hash_cleaned(headline, body, fixed)
    profile = options.profile(raw.agency)
    # Text too short or tabular to detect (results, tables) takes the agency's one service language, if it has one.
    language = (
        draft.language or profile.language or detect_language(headline, body) or wire_profile(raw.agency).language
    )
    versioncreated = draft.versioncreated or draft.firstcreated or raw.received_at
    uri = draft.uri or story_uri(raw.agency, draft.agency_id, digest)
    version = draft.version or 1
    check_identity(uri, version, raw.agency, where)
    values = {
        "uri": uri,
        "version": version,
        "agency": raw.agency,
        "headline": headline,
        "body": body,
        "blocks": blocks,
        "byline": byline or None,
        "byline_title": clean_inline(byline_title) or None if byline_title else None,
        "ednote": _ednote(draft.ednote),
        "dateline": dateline,
        "language": language,
        "firstcreated": draft.firstcreated,
        "versioncreated": versioncreated,
        "embargoed": draft.embargoed,
        "pubstatus": pubstatus,
        "signals": signals,
        "urgency": urgency,
        "subjects": draft.subjects,
        "keywords": [k for k in (clean_inline(k) for k in draft.keywords) if k],
        "source_format": draft.source_format,
        "content_hash": digest,
        "submission_id": raw.submission_id,
        "received_at": raw.received_at,
    }
    story = trusted_story(values)
    if story is not None:
        return story
    try:
        return Story.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise StageError("schema_violation", f"{where}: {loc}: {first['msg']}") from exc


def _ednote(parts: list[str]) -> str | None:
    """Editor's notes, one cleaned line each, joined by LF."""
    if not parts:
        return None
    return "\n".join(c for p in parts if (c := clean_inline(p))) or None


def _clean_dateline(dl: Dateline | None) -> Dateline | None:
    if dl is None:
        return None
    text = clean_inline(dl.text)
    place = clean_inline(dl.place) if dl.place else None
    if not text and not place:
        return None
    return Dateline(text=text or place or "", place=place or None, country=dl.country, date=dl.date)

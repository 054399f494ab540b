"""Render an ``EnrichedStory`` as IPTC ninjs 2.2 (lowercase) or 3.1 (camelCase).

Mapping:

- ``uri``, ``version`` (as a string), ``type`` ``text``, ``pubstatus``, ``urgency``, ``language``,
  ``versioncreated`` / ``firstcreated`` / ``embargoed`` (3.1: ``embargoedUntil``) as RFC 3339 UTC;
- ``headlines``: the headline (role ``main``); ``bodies``: the paragraphs as ``text/plain`` (blank-line
  separated) and as ``text/html`` (``<p>`` per paragraph, escaped; a story with blocks keeps its crossheads,
  quotes, tables, captions and fact boxes, see :func:`body_html`); ``by``: the byline;
  ``located``: the dateline place (else the dateline as printed);
- ``places``: every tagged country, ``uri`` ``http://cvx.iptc.org/iso3166-1a2/<code>`` (the IPTC
  ISO 3166 scheme), ``literal`` the code, ``rel`` ``about`` for the focus country and ``mentions``
  otherwise; the dateline's country (when known and not tagged) with ``rel`` ``located``;
- ``organisations``: every trade bloc, ``literal`` the bloc code, ``rel`` ``mentions`` when the text
  names it, ``relatedTo`` when it was derived from member countries;
- ``subjects``: the agency's subjects; ``medtop:`` and ``subj:`` qcodes become IPTC NewsCodes URIs,
  other codes are kept as ``literal``;
- ``altids``: the content hash (role ``wirefeed:content-hash``) and the dedupe cluster id (role
  ``wirefeed:cluster``).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import orjson

from schemas.enriched import EnrichedStory
from schemas.story import Block, Story

NinjsVersion = Literal["2.2", "3.1"]
SCHEMA_DIR = Path(__file__).parent / "schemas"
ISO3166_URI = "http://cvx.iptc.org/iso3166-1a2/"
_QCODE_URIS = {
    "medtop": "http://cv.iptc.org/newscodes/mediatopic/",
    "subj": "http://cv.iptc.org/newscodes/subjectcode/",
    "genre": "http://cv.iptc.org/newscodes/genre/",
}


_IPTC_CODE = re.compile(r"^\d{8}$")


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _subject(code: str | None, name: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if name:
        out["name"] = name
    if code:
        scheme, _, value = code.partition(":")
        # Only real IPTC codes become IPTC URIs (eight digits); anything else stays a literal of its scheme.
        if value and scheme in _QCODE_URIS and (scheme == "genre" or _IPTC_CODE.match(value)):
            out["uri"] = _QCODE_URIS[scheme] + value
        elif code.startswith(("http://", "https://")):
            out["uri"] = code
        else:
            out["literal"] = code
    return out


def _block_html(block: str | Block) -> str:
    e = html.escape
    if isinstance(block, str):
        return f"<p>{e(block)}</p>"
    if block.kind == "crosshead":
        return f"<h2>{e(block.text or '')}</h2>"
    if block.kind == "quote":
        return f"<blockquote><p>{e(block.text or '')}</p></blockquote>"
    if block.kind == "table":
        rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in block.rows or [])
        return f"<table><tbody>{rows}</tbody></table>"
    if block.kind == "caption":
        credit = f' <span class="credit">{e(block.credit)}</span>' if block.credit else ""
        return f"<figure><figcaption>{e(block.text or '')}{credit}</figcaption></figure>"
    if block.kind == "factbox":
        title = f"<h2>{e(block.text)}</h2>" if block.text else ""
        paragraphs = "".join(f"<p>{e(p)}</p>" for p in block.paragraphs or [])
        return f'<aside class="factbox">{title}{paragraphs}</aside>'
    return f"<p>{e(block.text or '')}</p>"


def body_html(story: Story) -> str:
    """The body as HTML: ``<p>`` per paragraph; with blocks, crossheads as ``<h2>``, quotes as ``<blockquote>``,
    tables as ``<table>`` (one ``<td>`` per cell), captions as ``<figure><figcaption>`` with the credit in a
    ``credit`` span, fact boxes as ``<aside class="factbox">`` (title as ``<h2>``)."""
    if story.blocks is None:
        return "".join(f"<p>{html.escape(p)}</p>" for p in story.body)
    return "".join(_block_html(b) for b in story.blocks)


def to_ninjs(story: EnrichedStory, version: NinjsVersion) -> dict[str, Any]:
    """The ninjs document for ``story`` in the requested version (validates against the official schema)."""
    if version not in ("2.2", "3.1"):
        raise ValueError(f"ninjs version must be '2.2' or '3.1', not {version!r}")
    camel = version == "3.1"
    content_type = "contentType" if camel else "contenttype"
    doc: dict[str, Any] = {
        "uri": story.uri,
        "version": str(story.version),
        "type": "text",
        "pubStatus" if camel else "pubstatus": story.pubstatus,
        "versionCreated" if camel else "versioncreated": _ts(story.versioncreated),
    }
    if story.firstcreated is not None:
        doc["firstCreated" if camel else "firstcreated"] = _ts(story.firstcreated)
    if story.embargoed is not None:
        doc["embargoedUntil" if camel else "embargoed"] = _ts(story.embargoed)
    if story.urgency is not None:
        doc["urgency"] = story.urgency
    if story.language:
        doc["language"] = story.language
    doc["headlines"] = [{"role": "main", content_type: "text/plain", "value": story.headline}]
    doc["bodies"] = [
        {"role": "main", content_type: "text/plain", "value": "\n\n".join(story.body)},
        {"role": "main", content_type: "text/html", "value": body_html(story)},
    ]
    if story.byline:
        doc["by"] = story.byline
    if story.dateline is not None:
        doc["located"] = story.dateline.place or story.dateline.text

    places = []
    for c in story.countries:
        rel = "about" if c.code == story.focus_country else "mentions"
        places.append({"name": c.name, "rel": rel, "uri": ISO3166_URI + c.code.lower(), "literal": c.code})
    dl_country = story.dateline.country if story.dateline else None
    if dl_country and all(c.code != dl_country for c in story.countries):
        places.append({"rel": "located", "uri": ISO3166_URI + dl_country.lower(), "literal": dl_country})
    if places:
        doc["places"] = places
    if story.blocs:
        doc["organisations"] = [
            {"name": b.name, "rel": "mentions" if b.explicit else "relatedTo", "literal": b.code} for b in story.blocs
        ]
    subjects = [s for s in (_subject(s.code, s.name) for s in story.subjects) if s]
    if subjects:
        doc["subjects"] = subjects
    doc["altIds" if camel else "altids"] = [
        {"role": "wirefeed:content-hash", "value": story.content_hash},
        {"role": "wirefeed:cluster", "value": story.dedupe.cluster_id},
    ]
    return doc


@lru_cache(maxsize=2)
def schema(version: NinjsVersion) -> dict[str, Any]:
    """The official IPTC ninjs JSON Schema for ``version`` (packaged copy, see schemas/README.md)."""
    return orjson.loads((SCHEMA_DIR / f"ninjs-schema_{version}.json").read_bytes())


def validate_ninjs(doc: dict[str, Any], version: NinjsVersion) -> list[str]:
    """Schema violations of ``doc`` against the official ninjs schema (empty when valid)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema(version), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(doc)]

"""An HTML document holding one story: headline from ``<h1>`` (else ``<title>`` / ``og:title``),
byline and times from common ``<meta>`` tags, language from ``<html lang>``, body from the block
elements (figures, scripts, navigation and page furniture skipped). The body is then treated as
printed wire copy (dateline, byline and trailing boilerplate handled as for plain text)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from pipeline.stages.normalise.draft import Draft, ParseContext
from pipeline.stages.normalise.formats import register
from pipeline.stages.normalise.html import html_paragraphs
from pipeline.stages.normalise.timestamps import parse_timestamp

_META_BYLINE = ("author", "byl", "dc.creator", "article:author")
_META_PUBLISHED = ("article:published_time", "dc.date", "date", "pubdate")
_META_MODIFIED = ("article:modified_time", "last-modified")


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self.h1: list[str] = []
        self.lang: str | None = None
        self._in: str | None = None
        self._h1_done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html" and a.get("lang"):
            self.lang = a["lang"]
        elif tag == "meta":
            key = (a.get("name") or a.get("property") or "").lower()
            if key and "content" in a:
                self.meta.setdefault(key, a["content"])
        elif tag == "title" or (tag == "h1" and not self._h1_done):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            if tag == "h1":
                self._h1_done = True
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title.append(data)
        elif self._in == "h1":
            self.h1.append(data)


_HEAD_END = re.compile(r"</h1\s*>", re.I)
_HEAD_LIMIT = 200_000


def _head_part(text: str) -> str:
    """The document up to its first ``</h1>`` (meta tags and title come before it), at most 200 kB."""
    m = _HEAD_END.search(text, 0, _HEAD_LIMIT)
    return text[: m.end()] if m else text[:_HEAD_LIMIT]


@register("html")
def parse_html(text: str, ctx: ParseContext) -> list[Draft]:
    head = _Head()
    head.feed(_head_part(text))
    head.close()
    headline = "".join(head.h1).strip() or head.meta.get("og:title") or "".join(head.title).strip() or None
    draft = Draft(source_format="html", headline=headline, body=html_paragraphs(text), wire_copy=True, where="html")
    draft.language = head.lang or head.meta.get("content-language") or head.meta.get("dc.language")
    draft.byline = next((head.meta[k] for k in _META_BYLINE if head.meta.get(k)), None)
    published = next((head.meta[k] for k in _META_PUBLISHED if head.meta.get(k)), None)
    modified = next((head.meta[k] for k in _META_MODIFIED if head.meta.get(k)), None)
    draft.firstcreated = parse_timestamp(published, ctx.timezone, "HTML published-time meta")
    draft.versioncreated = parse_timestamp(modified, ctx.timezone, "HTML modified-time meta") or draft.firstcreated
    draft.uri = head.meta.get("og:url") or None
    return [draft]

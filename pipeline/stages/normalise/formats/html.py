"""An HTML document holding one story (an article page).

Headline from the article's metadata before any ``<h1>`` (a site logo is often the first ``<h1>``):
JSON-LD ``headline`` of a ``*Article`` object, then ``og:title`` / ``twitter:title`` (a trailing
``| Site`` or ``| Author`` removed), then the first ``<h1>``, then ``<title>``. Byline and times from
JSON-LD (``author``, ``datePublished``, ``dateModified``), else common ``<meta>`` tags. The body is the
page's main content as found by trafilatura (navigation, menus, share bars, comments, scripts and
footers left out; tables kept row by row), and is then treated as printed wire copy (dateline,
byline and trailing boilerplate handled as for plain text). A page where trafilatura finds less than
two paragraphs falls back to every block element of the page.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any

import orjson
import trafilatura
from lxml.html import HtmlElement
from trafilatura.metadata import examine_meta, extract_author, extract_meta_json
from trafilatura.utils import line_processing

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.cleaning import clean_inline
from pipeline.stages.normalise.draft import Draft, ParseContext, names_publisher
from pipeline.stages.normalise.formats import register
from pipeline.stages.normalise.formats.html_page import (
    PageStructure,
    drop_empty_inline,
    fold,
    page_structure,
    parse_page,
)
from pipeline.stages.normalise.html import html_paragraphs
from pipeline.stages.normalise.timestamps import parse_timestamp
from pipeline.stages.normalise.wireframe import ZONE_ABBREVIATIONS
from pipeline.stages.normalise.wiretext import ORIGINAL_TITLE, is_boilerplate, split_byline
from schemas.story import Dateline

_META_BYLINE = (
    "author", "byl", "dc.creator", "article:author", "sailthru.author", "parsely-author", "search.byline"
)
_META_PUBLISHED = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "dc.date",
    "date",
    "pubdate",
    "publish_date",
    "publish-date",
    "publishdate",
)
_META_MODIFIED = ("article:modified_time", "og:article:modified_time", "datemodified", "last-modified")
_META_TITLE = ("og:title", "twitter:title")
_META_SITE = ("og:site_name", "application-name", "twitter:site")


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
            for attr in ("name", "property", "itemprop"):
                key = a.get(attr, "").lower()
                if key and "content" in a:
                    self.meta.setdefault(key, a["content"])
        elif tag == "title" or (tag == "h1" and not self._h1_done):
            self._in = tag
        elif tag in ("script", "style"):
            self._in = None  # script text is never a title

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
_JSON_LD = re.compile(r"<script[^>]*application/ld\+json[^>]*>(.*?)</script\s*>", re.I | re.S)
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")


def _head_part(text: str) -> str:
    """The document up to its first ``</h1>`` (meta tags and title come before it), at most 200 kB."""
    m = _HEAD_END.search(text, 0, _HEAD_LIMIT)
    return text[: m.end()] if m else text[:_HEAD_LIMIT]


def _article_ld(text: str) -> dict[str, Any]:
    """The first JSON-LD object whose ``@type`` is an article (``NewsArticle``, ``ReportageNewsArticle``, ...)."""
    for m in _JSON_LD.finditer(text):
        try:
            data = orjson.loads(_CDATA.sub("", m.group(1)).strip())
        except orjson.JSONDecodeError:
            continue
        stack: list[Any] = [data]
        while stack:
            node = stack.pop(0)
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                kind = node.get("@type")
                kinds = kind if isinstance(kind, list) else [kind]
                if any(isinstance(k, str) and k.endswith("Article") for k in kinds):
                    return node
                stack.extend(v for k, v in node.items() if k == "@graph" or k == "mainEntity")
    return {}


def _ld_str(value: Any) -> str | None:
    if isinstance(value, str):
        return clean_inline(value) or None
    if isinstance(value, list):
        names = [n for v in value if (n := _ld_str(v))]
        return ", ".join(names) or None
    if isinstance(value, dict):
        return _ld_str(value.get("name"))
    return None


_TITLE_PARTS = re.compile(r"\s+[|–—-]\s+|\s*\|\s*")
_DATE_PART = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")


def _without_suffix(title: str, names: set[str]) -> str:
    """``Headline | The Site``, ``Site | Headline``, ``Headline | DW | 19.01.2020`` → ``Headline``: leading and
    trailing parts that are the site's or author's name (or a date) are dropped."""
    # (start, end) of each part in the title, so the kept middle is returned exactly as written.
    spans, at = [], 0
    for sep in _TITLE_PARTS.finditer(title):
        spans.append((at, sep.start()))
        at = sep.end()
    spans.append((at, len(title)))
    if len(spans) < 2:
        return title

    def furniture(span: tuple[int, int]) -> bool:
        part = title[span[0] : span[1]].strip()
        return part.casefold().replace(" ", "") in names or bool(_DATE_PART.match(part))

    while len(spans) > 1 and furniture(spans[-1]):
        spans.pop()
    while len(spans) > 1 and furniture(spans[0]):
        spans.pop(0)
    return title[spans[0][0] : spans[-1][1]].strip()


#: A title's last part after a hyphen, underscore or bar, spaced or not (``Headline-新华网``, ``Headline - Site``).
_LAST_TITLE_PART = re.compile(r"^(.+?)\s*[|–—_-]\s*[^|–—_-]{1,30}$")


_HEADLINE_ENDS = frozenset(" .,:;!?。，：；！？")


def _without_unnamed_suffix(title: str, description: str) -> str:
    """``Headline-新华网`` → ``Headline`` when the page's description begins with ``Headline`` and not with the
    whole title: the description carries the headline, so the part after it is the site's name even when the
    page names no site."""
    m = _LAST_TITLE_PART.match(title)
    if m is None:
        return title
    described, kept = fold(description), fold(m.group(1))
    if not kept or not described.startswith(kept) or described.startswith(fold(title)):
        return title
    following = described[len(kept) : len(kept) + 1]
    # The headline ends there in the description too (``COVID-19 …`` is not ``COVID`` with a suffix).
    return m.group(1) if not following or following in _HEADLINE_ENDS else title


def _site_names(meta: dict[str, str], byline: str | None) -> set[str]:
    """Names a page title may carry besides the headline: site name, author, the site's host label."""
    names = [meta.get(k, "") for k in _META_SITE] + [byline or ""]
    url = meta.get("og:url", "")
    if m := re.match(r"^https?://(?:www\.|m\.)?([^./]+)", url):
        names.append(m.group(1))
    return {n.casefold().lstrip("@").replace(" ", "") for n in names if n}


#: Characters of a headline that another title must share with it to be about the same story.
_SHARED_RUN = 4


def _is_story_headline(h1: str, meta_titles: list[str | None], names: set[str]) -> bool:
    """True when ``h1``, the ``<h1>`` right above the story, is its headline: not the site's name, and sharing a
    run of characters (a word) with the page's metadata titles when it has any (a section name set as an
    ``<h1>`` shares none). The printed ``<h1>`` wins over ``og:title`` and JSON-LD, which sites often write for
    sharing and search apart from the printed headline; but an ``<h1>`` that is the metadata headline with text
    after it holds furniture set inside the heading (the site's name, the writer, a photo credit)."""
    if len(h1) > 300 or h1.casefold().replace(" ", "") in names:
        return False
    others = [fold(t) for t in meta_titles if t]
    if not others:
        return True
    folded = fold(h1)
    if others[0] != folded and folded.startswith(others[0]):
        return False
    runs = {folded[i : i + _SHARED_RUN] for i in range(len(folded) - _SHARED_RUN + 1)}
    return any(r in t for r in runs if r.strip() == r and " " not in r for t in others)


#: Author names a content system fills in when the writer's name is missing.
_PLACEHOLDER_AUTHORS = frozenset({"username", "admin", "administrator"})


#: A script element's tags (attributes end at the next ``<``, so a run of ``<script`` without ``>`` is scanned once).
_SCRIPT_TAG = re.compile(r"<(/?)script\b[^<>]{0,1000}>", re.I)
#: Where markup resumes after a script that is never closed: the next tag of ordinary page content.
_MARKUP_RESUMES = re.compile(
    r"</?(?:p|div|h[1-6]|section|article|main|header|footer|aside|nav|ul|ol|li|table|tr|td|br|span|a|b|i|em|"
    r"strong|body|html|figure|blockquote)\b",
    re.I,
)


def _close_unclosed_scripts(text: str) -> str:
    """Close every ``<script>`` that is followed by another ``<script>`` or the end of the page before its
    ``</script>``, where ordinary markup resumes.

    An HTML parser reads everything after an unclosed ``<script>`` as script, so one broken tag would drop the
    rest of the story; the text after it is kept instead (the script's own code still is not).
    """
    tags = list(_SCRIPT_TAG.finditer(text))
    parts: list[str] = []
    at = 0
    for i, tag in enumerate(tags):
        following = tags[i + 1] if i + 1 < len(tags) else None
        if tag.group(1) or (following is not None and following.group(1)):
            continue  # a closing tag, or an opening tag that is closed
        limit = following.start() if following is not None else len(text)
        resumes = _MARKUP_RESUMES.search(text, tag.end(), limit)
        cut = resumes.start() if resumes else limit
        parts += [text[at:cut], "</script>"]
        at = cut
    if not parts:
        return text
    parts.append(text[at:])
    return "".join(parts)


@register("html")
def parse_html(text: str, ctx: ParseContext) -> list[Draft]:
    head = _Head()
    head.feed(_head_part(text))
    head.close()
    meta = head.meta
    ld = _article_ld(text)
    byline = _ld_str(ld.get("author")) or next((v for k in _META_BYLINE if (v := meta.get(k)) and "://" not in v), None)
    publishers = _site_names(meta, _ld_str(ld.get("publisher")))
    guess = None
    if byline is not None and names_publisher(byline, publishers):
        byline = None
    page = _close_unclosed_scripts(text)
    tree = parse_page(page)
    if byline is None:
        # trafilatura reads bylines from the page's markup (author links, byline classes): a guess that a byline
        # printed at the head of the story text overrides. It reads the parsed page as it is: where it prunes
        # (author search, htmldate) it works on its own copy.
        guess = _page_author(tree) if tree is not None else trafilatura.extract_metadata(text).author or None
        if guess is not None and (names_publisher(guess, publishers) or guess.casefold() in _PLACEHOLDER_AUTHORS):
            guess = None
    names = _site_names(meta, byline)
    description = clean_inline(meta.get("description") or meta.get("og:description") or "")
    meta_title = next((t for k in _META_TITLE if (t := clean_inline(meta.get(k, "")))), None)
    headline = (
        _ld_str(ld.get("headline"))
        or (_without_unnamed_suffix(_without_suffix(meta_title, names), description) if meta_title else None)
        or clean_inline("".join(head.h1))
        or _without_unnamed_suffix(_without_suffix(clean_inline("".join(head.title)), names), description)
        or None
    )
    if tree is not None:
        drop_empty_inline(tree)
    structure = page_structure(tree) if tree is not None else PageStructure()
    if byline is None and guess is None and structure.byline:
        # The writers' names printed in the page's byline element: also a guess that a byline printed at the
        # head of the story text overrides.
        guess = split_byline(structure.byline, None)[0]
        if guess is not None and names_publisher(guess, publishers):
            guess = None
    paragraphs = _main_content(page, tree, structure.standfirsts)
    page_title = clean_inline("".join(head.title))
    story_h1 = structure.story_h1(paragraphs[:_PAGE_HEAD_BLOCKS])
    if story_h1 and headline and _is_story_headline(story_h1, [headline, meta_title, page_title], names):
        headline = story_h1
    titles = [t for t in (headline, meta_title, clean_inline("".join(head.h1)), page_title) if t]
    body = _without_page_head(paragraphs, titles, structure.standfirsts | structure.hidden)
    # A date-only dateline (``【6月18日 AFP】``) names no place: the story starts after it.
    if body:
        body[0] = _DATE_ONLY_DATELINE.sub("", body[0], count=1) or body[0]
    _drop_link_list(body, structure.links)
    # A fact box's paragraphs (a company's profile beside the story) are not the story's.
    if structure.fact_box:
        body = [p for p in body if fold(p) not in structure.fact_box] or body
    # A closing paragraph printed wholly in bold or italics is a note under the story (the writer's bio, a
    # contact line), not its last paragraph; nor is the comment policy printed above the comments.
    while len(body) > 1 and ((last := fold(body[-1])) in structure.emphasised or last in structure.comment_policy):
        body.pop()
    draft = Draft(source_format="html", headline=headline, body=body, wire_copy=True, where="html")
    if structure.place:  # a dateline printed in the story text wins when it names another place
        draft.dateline = Dateline(text=structure.place, place=structure.place)
    draft.language = (
        head.lang or meta.get("content-language") or meta.get("dc.language") or _ld_str(ld.get("inLanguage"))
    )
    if draft.language and not re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*", draft.language):
        draft.language = None
    draft.byline = byline
    draft.byline_guess = guess
    draft.publishers = frozenset(publishers)
    published = _ld_str(ld.get("datePublished")) or next((meta[k] for k in _META_PUBLISHED if meta.get(k)), None)
    modified = _ld_str(ld.get("dateModified")) or next((meta[k] for k in _META_MODIFIED if meta.get(k)), None)
    published = published or _microdata_time(text, "datePublished")
    modified = modified or _microdata_time(text, "dateModified")
    draft.firstcreated = _timestamp(published, ctx)
    draft.versioncreated = _timestamp(modified, ctx) or draft.firstcreated
    draft.uri = meta.get("og:url") or None
    return [draft]


def _page_author(tree: HtmlElement) -> str | None:
    """The writer trafilatura's metadata pass reads from the page (``extract_metadata(tree).author``), by the
    steps of that pass which decide the author only: meta elements (a one-word name dropped), JSON-LD, then the
    markup (author links, byline classes), trimmed as the pass trims it. The rest of the pass (title, URL, the
    date search, site name, categories, tags, licence) is not read here and cost two thirds of its time."""
    found = examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None
    try:
        found = extract_meta_json(tree, found)
    except Exception:  # as the pass does: its JSON-LD reader's errors leave the meta elements' reading
        pass
    author = found.author or extract_author(tree)
    if not isinstance(author, str):
        return None
    if len(author) > _AUTHOR_MAX:
        author = author[: _AUTHOR_MAX - 1] + "…"
    return line_processing(unescape(author)) or None


#: trafilatura's length limit on a metadata field.
_AUTHOR_MAX = 10000


#: A bracketed dateline of a date and an agency only (``【6月18日 AFP】``, AFP's Japanese service).
_DATE_ONLY_DATELINE = re.compile(r"^【\s*(?:\d{4}年\s*)?\d{1,2}月\s*\d{1,2}日\s*[A-Za-z][A-Za-z .-]{0,19}】\s*")
#: Skip links that screen-reader navigation puts before the article.
_SKIP_LINKS = frozenset({"main content", "skip to main content", "skip to content", "jump to main content"})
#: A photo caption ending in its credit (``… Bild: dpa``, ``… Photo: Reuters``): not story text.
_CAPTION_CREDIT = re.compile(r"\b(?:Bild|Foto|Photo|Image|Imagen|Credit|Fotó)\s*:\s*[^.:!?]{1,60}$", re.I)
#: Paragraphs examined at the head of the body (a page head is at most a few blocks).
_PAGE_HEAD_BLOCKS = 5


def _without_page_head(paragraphs: list[str], titles: list[str], standfirsts: set[str]) -> list[str]:
    """The body without the page head that main-content extraction keeps above the story: skip links, the
    headline or page title printed again, a standfirst (a paragraph printed in an element the page names as its
    intro, dek, summary or subtitle) or a label printed for screen readers only (a share bar's hidden heading), a
    Chinese portal's note of the original headline (``原标题：…``) and a
    photo caption with its credit.

    Only leading paragraphs are examined, and at least one paragraph is always kept. (A paragraph equal to the
    page's description is kept: many sites describe the page with the story's own first paragraph.)
    """
    folded_titles = {fold(t) for t in titles}

    def page_head(paragraph: str) -> bool:
        p = fold(paragraph)
        if p in folded_titles or p in _SKIP_LINKS or p in standfirsts or paragraph.startswith(ORIGINAL_TITLE):
            return True
        return len(paragraph) < 300 and bool(_CAPTION_CREDIT.search(paragraph))

    drop = 0
    while drop < min(_PAGE_HEAD_BLOCKS, len(paragraphs) - 1) and page_head(paragraphs[drop]):
        drop += 1
    return paragraphs[drop:]


#: A microdata time anywhere in the page (``<meta itemprop="datePublished" content=…>``, ``<time itemprop=…
#: datetime=…>``): pages put them in the article, after the part read for the head.
_MICRODATA_TIME = re.compile(
    r"<(?:meta|time)\b[^<>]{0,300}?\bitemprop=[\"'](date(?:Published|Modified))[\"'][^<>]{0,300}>", re.I
)
_TIME_VALUE = re.compile(r"\b(?:content|datetime)=[\"']([^\"'<>]{4,40})[\"']", re.I)


def _microdata_time(text: str, prop: str) -> str | None:
    for m in _MICRODATA_TIME.finditer(text):
        if m.group(1).casefold() == prop.casefold() and (v := _TIME_VALUE.search(m.group(0))):
            return v.group(1)
    return None


#: A time of day in a timestamp: ``14:15``, or ISO basic ``20210516T080625Z``.
_TIME_OF_DAY = re.compile(r"\d:\d|\dT\d")
_ZONE_SUFFIX = re.compile(r"(?<=\d)\s*([A-Z]{3,4})$")


def _timestamp(value: str | None, ctx: ParseContext) -> datetime | None:
    """A page's time, or None when the page gives one that is not a timestamp (pages are not wire feeds).

    A date without a time of day (``2012-10-27``) is None too: the Story contract has no date-only time, and
    midnight in the agency's zone would be an instant the page never gave.
    A zone abbreviation after an ISO time (``2021-01-03T17:40:00EET``) is read as its offset; other text
    (RFC 2822 ``Sat, 09 Oct 2010 07:15:45 EST``, ISO with an offset) as the feeds' timestamps are.
    """
    if value and not _TIME_OF_DAY.search(value):
        return None
    if value and (m := _ZONE_SUFFIX.search(value.strip())) and m.group(1) in ZONE_ABBREVIATIONS:
        try:
            parsed = datetime.fromisoformat(value.strip()[: m.start()])
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=ZONE_ABBREVIATIONS[m.group(1)])
            return parsed.astimezone(UTC)
    try:
        return parse_timestamp(value, ctx.timezone, "HTML time")
    except StageError:
        return None


#: trafilatura's output elements that are paragraphs of their own.
_BLOCKS = frozenset({"p", "head", "item", "quote", "row", "code"})


def _line_breaks(el: ET.Element) -> list[str]:
    """The element's text, split where trafilatura marks a line break (``<lb/>``)."""
    parts = [el.text or ""]
    for child in el:
        if child.tag == "lb":
            parts.append("")
        else:
            inner = _line_breaks(child)
            parts[-1] += inner[0]
            parts.extend(inner[1:])
        parts[-1] += child.tail or ""
    return parts


#: A note in parentheses under the story (``(Sourcing: much of this list was obtained from …).``), the
#: pictures' credit (``Photos: Reuters``, ``图片均来自网络``: "pictures all from the web"), or a closing contact
#: line (``Questions? Comments? Email us at …``).
_NOTE = re.compile(r"^(?:\([^()]{1,300}\)\.?|(?:photos?|pictures?|images?|fotos?|bilder?)\s*:\s*[^.!?]{1,60}"
                   r"|图片均?来(?:自|源)[:：]?[^。]{0,30}"
                   r"|\W{0,3}(?:questions|comments|feedback|tips?)\?[^.!]{0,60}\b(?:e-?mail|write|contact)\b[^.!?]{0,80})$",
                   re.I)


def _drop_trailers(paragraphs: list[str], kinds: list[str], teasers: set[str]) -> None:
    """Remove the page trailers after the story's last paragraph: lists and headings (topics, related links, a
    sign-up heading, the writers' names again: a story does not end on a heading, and a story's own list is
    followed by its closing paragraph), notes in parentheses and other stories' teasers (a paragraph printed as
    a standfirst, under its story's heading). Boilerplate lines among them (credits, copyright) are left for the
    boilerplate pass, which reads a reporter's name in them."""
    at = len(paragraphs) - 1
    while at > 0 and "p" in kinds[:at]:
        text = paragraphs[at]
        if (
            kinds[at] in ("item", "head")
            or (_NOTE.match(text) and not is_boilerplate(text))
            or (kinds[at] == "p" and fold(text) in teasers)
        ):
            del paragraphs[at], kinds[at]
        elif not is_boilerplate(text):
            return
        at -= 1


#: Paragraphs under a closing link list are short (appeals, account numbers, social handles), not story text.
_AFTER_LINKS_MAX = 200
#: A label above a link list (``Related stories``) is a few words without a full stop.
_LINK_LABEL_MAX = 40


def _drop_link_list(paragraphs: list[str], links: set[str]) -> None:
    """Remove a closing list of links (related stories) printed in the story's paragraphs, its label and the
    short lines after it (a donation appeal, the site's social accounts): two paragraphs in a row that are each
    wholly a link's text, with nothing but short paragraphs after them."""
    for at in range(1, len(paragraphs) - 1):
        if fold(paragraphs[at]) in links and fold(paragraphs[at + 1]) in links:
            if all(len(p) <= _AFTER_LINKS_MAX for p in paragraphs[at + 2 :]):
                label = paragraphs[at - 1]
                if at > 1 and len(label) <= _LINK_LABEL_MAX and not label.rstrip().endswith((".", "。")):
                    at -= 1
                del paragraphs[at:]
            return


def _main_content(text: str, tree: HtmlElement | None, teasers: set[str]) -> list[str]:
    """Paragraphs of the page's main content (trafilatura, on the page's tree when it has one), else of every
    block element; ``teasers``: folded standfirst texts, which end no story."""
    extracted = trafilatura.extract(
        tree if tree is not None else text,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        with_metadata=False,
        favor_precision=True,  # page trailers (related links, sign-up boxes, cookie notes) left out
    )
    if not extracted:
        return html_paragraphs(text)
    root = ET.fromstring(extracted)
    main = root.find("main")
    paragraphs: list[str] = []
    kinds: list[str] = []  # the output element each paragraph came from
    seen_text = False
    for el in (main if main is not None else root).iter():
        if el.tag not in _BLOCKS:
            continue
        if el.tag == "row":
            cells = [c for cell in el if (c := clean_inline("".join(cell.itertext())))]
            line = " | ".join(cells)
        elif el.tag == "item" and len(el) and el[0].tag in _BLOCKS:
            continue  # its paragraphs come on their own
        else:
            lines = [c for part in _line_breaks(el) if (c := clean_inline(part))]
            if len(lines) > 1 and is_boilerplate(joined := " ".join(lines)):
                lines = [joined]  # a credit block (``The-CNN-Wire<br>™ & © 2013 …``) is dropped as one
            if len(lines) > 1:  # a <br> inside a paragraph starts a paragraph of its own
                seen_text = seen_text or el.tag == "p"
                paragraphs.extend(lines)
                kinds.extend(el.tag for _ in lines)
                continue
            line = lines[0] if lines else ""
        if not line:
            continue
        # Lists and headings before the first paragraph are page furniture (date, section, comment count).
        if el.tag == "p":
            seen_text = True
        elif not seen_text and el.tag in ("item", "row"):
            continue
        paragraphs.append(line)
        kinds.append(el.tag)
    _drop_trailers(paragraphs, kinds, teasers)
    # On a short page trafilatura may return the whole text as one block: the page's own blocks are better.
    return paragraphs if len(paragraphs) > 1 else html_paragraphs(text)

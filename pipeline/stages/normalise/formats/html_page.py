"""What an article page's own structure says about its story: the standfirst above it and the ``<h1>`` that heads it.

The page is parsed once (lxml, as trafilatura parses it) and the tree is then handed to trafilatura too.
Only generic markup is read: class and id names of the standfirst family and ``itemprop="description"``, and the
position of each ``<h1>`` relative to the story's first paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml.html import HtmlElement
from trafilatura.utils import load_html

from pipeline.stages.normalise.cleaning import clean_inline


def fold(text: str) -> str:
    """Text compared case-blind and whitespace-blind."""
    return " ".join(text.casefold().split())


def parse_page(text: str) -> HtmlElement | None:
    """The page's element tree, or None when it is not HTML that lxml can read."""
    try:
        return load_html(text)
    except (ValueError, TypeError):
        return None


#: Class or id words that name a standfirst (dek, intro, summary, subtitle, kicker ...): a lead-in written above
#: the story and printed apart from it. Names are split into words at ``-``, ``_``, spaces and lower→upper case.
_STANDFIRST_WORDS = frozenset(
    {
        "intro",
        "introtext",
        "dek",
        "deck",
        "standfirst",
        "strapline",
        "subtitle",
        "subtitulo",
        "subheadline",
        "summary",
        "teaser",
        "kicker",
        "sapo",
        "chapo",
    }
)
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
#: Elements whose text can be one paragraph of the extracted body.
_TEXT_BLOCKS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "div", "span", "li", "blockquote", "strong"})


#: Words that make a standfirst-like name something else: a share bar repeating the page's description.
_NOT_STANDFIRST_WORDS = frozenset({"share", "sharing", "social"})
#: A standfirst is a sentence or two; a longer element so named is a container (``intro-default`` on the article).
_STANDFIRST_MAX = 600


def _names_standfirst(el: HtmlElement) -> bool:
    if (el.get("itemprop") or "").strip().casefold() == "description":
        return True
    words = {w.casefold() for w in _NAME_WORDS.findall(f"{el.get('class') or ''} {el.get('id') or ''}")}
    return bool(words & _STANDFIRST_WORDS) and not words & _NOT_STANDFIRST_WORDS


def _set_apart(el: HtmlElement) -> bool:
    """True when the story does not go on in the element right after ``el`` (a share bar, a picture, the end
    of its container come between) or ``el`` is a heading: a lead-in printed apart, not the story's opening
    paragraph."""
    if el.tag in ("h2", "h3", "h4", "h5", "h6"):
        return True
    after = el.getnext()
    while after is not None and not isinstance(after.tag, str):  # comments, processing instructions
        after = after.getnext()
    return after is None or after.tag != "p" or not (after.text_content() or "").strip()


def _standfirst(el: HtmlElement) -> bool:
    return _names_standfirst(el) and len(el.text_content()) <= _STANDFIRST_MAX and _set_apart(el)


#: Class or id words of the element that prints the writers' names (``firma``, ``autor``: Spanish pages).
_BYLINE_WORDS = frozenset({"byline", "author", "autor", "firma"})
#: A printed byline is names, not a paragraph; one with digits also holds the date (the names come apart).
_BYLINE_MAX = 80


def _names_byline(el: HtmlElement) -> bool:
    if el.get("itemprop") == "author" or el.get("rel") == "author":
        return True
    words = {w.casefold() for w in _NAME_WORDS.findall(f"{el.get('class') or ''} {el.get('id') or ''}")}
    return bool(words & _BYLINE_WORDS)


_EMPHASIS = frozenset({"b", "i", "em", "strong"})


def _wholly_emphasised(p: HtmlElement) -> bool:
    """True when all of the paragraph's text sits in bold or italic elements."""
    if (p.text or "").strip() or not len(p):
        return False
    return all(child.tag in _EMPHASIS and not (child.tail or "").strip() for child in p)


@dataclass
class PageStructure:
    #: Folded texts of the standfirst elements and of each block inside them.
    standfirsts: set[str] = field(default_factory=set)
    #: Every ``<h1>`` of the page, in document order, with the number of elements before it.
    h1s: list[tuple[int, str]] = field(default_factory=list)
    #: The first byline printed in the page's markup (an element named byline or author holding only names).
    byline: str | None = None
    #: Folded texts of paragraphs printed wholly in bold or italics (notes, author bios, contact lines).
    emphasised: set[str] = field(default_factory=set)
    #: For each element in document order, its own text folded (to find where the story starts).
    _texts: list[str] = field(default_factory=list)

    def story_h1(self, paragraphs: list[str]) -> str | None:
        """The last ``<h1>`` before the element where the story's first paragraph starts (the extracted
        paragraphs that are ``<h1>`` texts themselves passed over): the story's own headline, where a site logo
        or section name set as an earlier ``<h1>`` is passed over. None when the paragraph is not found or no
        ``<h1>`` comes before it."""
        if not self.h1s:
            return None
        headings = {fold(h) for _, h in self.h1s}
        first = next((p for p in paragraphs if fold(p) not in headings), None)
        probe = fold(first)[:24] if first else ""
        if not probe:
            return None
        for at, own in enumerate(self._texts):
            if own.startswith(probe):
                before = [h for pos, h in self.h1s if pos <= at and h]
                return before[-1] if before else None
        return None


def page_structure(tree: HtmlElement) -> PageStructure:
    out = PageStructure()
    marked: set[HtmlElement] = set()  # standfirst elements and their descendants
    for el in tree.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("title", "script", "style", "noscript", "template") or not tag:
            out._texts.append("")
            continue
        if out.byline is None and tag not in ("meta", "link") and _names_byline(el):
            names = clean_inline(el.text_content())
            if names and len(names) <= _BYLINE_MAX and not any(c.isdigit() for c in names):
                out.byline = names
        if tag == "p" and _wholly_emphasised(el) and (text := fold(clean_inline(el.text_content()))):
            out.emphasised.add(text)
        if tag == "h1":  # its text may sit in a link or span inside it
            h1 = clean_inline(el.text_content())
            out.h1s.append((len(out._texts), h1))
            out._texts.append(fold(h1))
        else:
            out._texts.append(fold(clean_inline(el.text or "")))
        parent = el.getparent()
        inside = parent is not None and parent in marked
        # A standfirst's own text, and the text of each block inside it (extraction may split it there).
        if (inside and tag in _TEXT_BLOCKS) or (not inside and _standfirst(el)):
            marked.add(el)
            if text := fold(clean_inline(el.text_content())):
                out.standfirsts.add(text)
        elif inside:
            marked.add(el)
    return out


#: Inline elements that hold nothing when they are empty (``<br>``, ``<img>`` and the like mean something empty).
_INLINE = frozenset({"span", "a", "b", "i", "em", "strong", "font", "small", "u", "label"})


def drop_empty_inline(tree: HtmlElement) -> None:
    """Remove an empty inline element that opens a paragraph (``<p><span id="byLine"></span>Some traders …``),
    keeping the text after it: main-content extraction drops an element it takes for furniture together with
    the text that follows it, which here is the paragraph's own opening words."""
    empty = []
    for p in tree.iter("p"):
        first = p[0] if len(p) and not (p.text or "").strip() else None
        if first is not None and first.tag in _INLINE and len(first) == 0 and not first.text and first.tail:
            empty.append(first)
    for el in empty:
        el.drop_tree()

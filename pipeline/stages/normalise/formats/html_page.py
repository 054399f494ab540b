"""What an article page's own structure says about its story: the standfirst above it and the ``<h1>`` that heads it.

The page is parsed once (lxml, as trafilatura parses it) and the tree is then handed to trafilatura too.
Only generic markup is read: class and id names of the standfirst family and ``itemprop="description"``, and the
position of each ``<h1>`` relative to the story's first paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree
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
_NO_WORDS: frozenset[str] = frozenset()
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
#: Elements whose text can be one paragraph of the extracted body.
_TEXT_BLOCKS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "div", "span", "li", "blockquote", "strong"})


#: Words that make a standfirst-like name something else: a share bar repeating the page's description.
_NOT_STANDFIRST_WORDS = frozenset({"share", "sharing", "social"})
#: Class words of text printed for screen readers only (``hide-text``, ``visually-hidden``, ``sr-only``): a share
#: bar's heading, a section label, never the story.
_HIDDEN_WORDS = frozenset({"hide", "hidden"})
_SCREEN_READER = frozenset({"sr", "only"})
#: Hidden text is a label: a few words, never a paragraph of the story.
_HIDDEN_MAX = 80
#: A standfirst is a sentence or two; a longer element so named is a container (``intro-default`` on the article).
_STANDFIRST_MAX = 600


@lru_cache(maxsize=4096)
def _words(names: str) -> frozenset[str]:
    """The words of an element's class and id (pages repeat the same few class strings)."""
    return frozenset(w.casefold() for w in _NAME_WORDS.findall(names))


def _names_standfirst(el: HtmlElement, words: frozenset[str]) -> bool:
    if (el.get("itemprop") or "").strip().casefold() == "description":
        return True
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


def _standfirst(el: HtmlElement, words: frozenset[str]) -> bool:
    return _names_standfirst(el, words) and len(el.text_content()) <= _STANDFIRST_MAX and _set_apart(el)


#: Class or id words of the element that prints the writers' names (``firma``, ``autor``: Spanish pages).
_BYLINE_WORDS = frozenset({"byline", "author", "autor", "firma"})
#: A printed byline is names, not a paragraph; one with digits also holds the date (the names come apart).
_BYLINE_MAX = 80


def _names_byline(el: HtmlElement, words: frozenset[str]) -> bool:
    return bool(words & _BYLINE_WORDS) or el.get("itemprop") == "author" or el.get("rel") == "author"


#: A place name: one to three capitalised words (``Madrid``, ``Nueva York``, ``Buenos Aires``), no digits.
_PLACE = re.compile(r"[A-ZÁÉÍÓÚÑÇÀÈÒÜ][\w'’.-]+(?: (?:de |del |la |el )?[A-ZÁÉÍÓÚÑÇÀÈÒÜ][\w'’.-]+){0,2}")


def _byline_place(block: HtmlElement) -> str | None:
    """The place in a byline block that also prints the names and the date: a child element after the names (an
    author element or a link), printed, neither names nor the date, holding only a place name (a label before the
    names, such as ``By``, is no place)."""
    names_seen = False
    for child in block:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "a" or _names_byline(child, _words(child.get("class") or "")) or child.find(".//a") is not None:
            names_seen = True
            continue
        style = (child.get("style") or "").replace(" ", "").lower()
        if not names_seen or child.get("hidden") is not None or "display:none" in style:
            continue  # a label before the names; text not printed (``style="display:none"``)
        text = clean_inline(child.text_content())
        if text and _PLACE.fullmatch(text) and not any(c.isdigit() for c in text):
            return text
    return None


_EMPHASIS = frozenset({"b", "i", "em", "strong"})


def _wholly_emphasised(p: HtmlElement) -> bool:
    """True when all of the paragraph's text sits in bold or italic elements."""
    if (p.text or "").strip() or not len(p):
        return False
    return all(child.tag in _EMPHASIS and not (child.tail or "").strip() for child in p)


#: Elements whose text is never where the story starts.
_NO_STORY_TEXT = frozenset({"title", "script", "style", "noscript", "template"})


@dataclass
class PageStructure:
    #: Folded texts of the standfirst elements and of each block inside them.
    standfirsts: set[str] = field(default_factory=set)
    #: The first byline printed in the page's markup (an element named byline or author holding only names).
    byline: str | None = None
    #: The place printed in the page's byline block, beside the names and the date (``<span class="data">Madrid
    #: </span>`` in El País's ``firma``): where the story was filed.
    place: str | None = None
    #: Folded texts of paragraphs printed wholly in bold or italics (notes, author bios, contact lines).
    emphasised: set[str] = field(default_factory=set)
    #: Folded texts of short elements printed for screen readers only (a share bar's hidden heading).
    hidden: set[str] = field(default_factory=set)
    #: Folded texts of the blocks in a fact box (a box of labelled fields: ``<strong>Company:</strong><br>…``)
    #: or a sidebar (an element named ``aside`` or ``sidebar`` under a heading of its own).
    fact_box: set[str] = field(default_factory=set)
    #: Folded texts of the paragraphs printed right above the comments (the site's comment policy).
    comment_policy: set[str] = field(default_factory=set)
    #: Folded texts of links printed in paragraphs (``<p>Related<br><a>Story one</a><br><a>Story two</a></p>``).
    links: set[str] = field(default_factory=set)
    #: The page, read again to find where the story starts.
    tree: HtmlElement | None = None

    def story_h1(self, paragraphs: list[str]) -> str | None:
        """The last ``<h1>`` up to the element where the story's first paragraph starts (the extracted
        paragraphs that are ``<h1>`` texts themselves passed over): the story's own headline, where a site logo
        or section name set as an earlier ``<h1>`` is passed over. None when the paragraph is not found or no
        ``<h1>`` comes before it."""
        if self.tree is None:
            return None
        headings = {fold(clean_inline(h.text_content())) for h in self.tree.iter("h1")}
        if not headings:
            return None
        first = next((p for p in paragraphs if fold(p) not in headings), None)
        probe = fold(first)[:24] if first else ""
        if not probe:
            return None
        last: str | None = None
        for el in self.tree.iter():
            tag = el.tag
            if not isinstance(tag, str) or tag in _NO_STORY_TEXT:
                continue
            if tag == "h1":  # its text may sit in a link or span inside it
                h1 = clean_inline(el.text_content())
                last = h1 or last
                if h1 and fold(h1).startswith(probe):
                    return h1
            elif (text := el.text) and fold(text).startswith(probe):
                return last
        return None


#: Class or id words of a sidebar: a box printed beside the story under a heading of its own (``despiece``: El
#: País's name for it).
_SIDEBAR_WORDS = frozenset({"aside", "sidebar", "despiece"})
#: A sidebar is a box of a few paragraphs; a longer element so named is a page column.
_SIDEBAR_MAX = 4000
_SIDEBAR_HEADINGS = etree.XPath("descendant::h2 | descendant::h3 | descendant::h4")


def _sidebar(el: HtmlElement) -> bool:
    return len(el.text_content()) <= _SIDEBAR_MAX and bool(_SIDEBAR_HEADINGS(el))


#: Class or id words of the comments section.
_COMMENTS_WORDS = frozenset({"comments", "comment"})
#: A comment policy is a few short paragraphs.
_POLICY_PARAGRAPHS = 3
_POLICY_MAX = 500


def _comment_policy(comments: HtmlElement) -> list[str]:
    """The paragraphs printed right before the comments section (a policy on comments, a disclaimer that readers'
    views are their own): folded texts, none when that element is more than a few short paragraphs."""
    before = comments.getprevious()
    while before is not None and not isinstance(before.tag, str):
        before = before.getprevious()
    if before is None:
        return []
    paragraphs = [before] if before.tag == "p" else list(before.iter("p"))
    if not paragraphs or len(paragraphs) > _POLICY_PARAGRAPHS:
        return []
    texts = [fold(clean_inline(p.text_content())) for p in paragraphs]
    return texts if all(len(t) <= _POLICY_MAX for t in texts) else []


#: Elements whose names say nothing of the story.
_NOT_NAMED = _NO_STORY_TEXT | {"meta", "link"}
#: Elements that may name a standfirst or a byline.
_CANDIDATES = etree.XPath("//*[@class or @id or @itemprop or @rel]")
#: A cheap first test of an element's class and id: one of the words somewhere in them (checked whole later).
_MAY_NAME = re.compile(
    "|".join(sorted(_STANDFIRST_WORDS | _BYLINE_WORDS | _SIDEBAR_WORDS | {"hid", "sr", "comment"}))
)  # on lower-cased names


def page_structure(tree: HtmlElement) -> PageStructure:
    out = PageStructure(tree=tree)
    for el in _CANDIDATES(tree):
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        words = _words(names) if _MAY_NAME.search(names.lower()) else _NO_WORDS
        if (not words and el.get("itemprop") is None and el.get("rel") is None) or el.tag in _NOT_NAMED:
            continue
        if out.byline is None and _names_byline(el, words):
            names = clean_inline(el.text_content())
            if names and len(names) <= _BYLINE_MAX and not any(c.isdigit() for c in names):
                out.byline = names
            elif out.place is None and names and any(c.isdigit() for c in names):
                out.place = _byline_place(el)
        if words & _HIDDEN_WORDS or _SCREEN_READER <= words:
            text = fold(clean_inline(el.text_content()))
            if text and len(text) <= _HIDDEN_MAX:
                out.hidden.add(text)
        # A standfirst's own text, and the text of each block inside it (extraction may split it there).
        if _standfirst(el, words):
            for block in (el, *el.iterdescendants(*_TEXT_BLOCKS)):
                if text := fold(clean_inline(block.text_content())):
                    out.standfirsts.add(text)
        if words & _SIDEBAR_WORDS and _sidebar(el):
            for block in el.iterdescendants(*_TEXT_BLOCKS):
                if text := fold(clean_inline(block.text_content())):
                    out.fact_box.add(text)
        if words & _COMMENTS_WORDS:
            out.comment_policy.update(_comment_policy(el))
    for p in tree.iter("p"):
        if _wholly_emphasised(p) and (text := fold(clean_inline(p.text_content()))):
            out.emphasised.add(text)
    for h1 in tree.iter("h1"):
        # A deck: a heading grouped with the <h1> in an element that holds only headings (``hgroup`` or a
        # headline ``div``), printed apart from the story under it.
        group = h1.getparent()
        if group is not None and all(child.tag in _HEADINGS for child in group if isinstance(child.tag, str)):
            for deck in group:
                if deck is not h1 and isinstance(deck.tag, str) and (text := fold(clean_inline(deck.text_content()))):
                    out.standfirsts.add(text)
    for box in _fact_boxes(tree):
        for block in box.iterdescendants(*_TEXT_BLOCKS):  # the fields' values and the profile's paragraphs
            if text := fold(clean_inline(block.text_content())):
                out.fact_box.add(text)
    for a in _PARAGRAPH_LINKS(tree):
        if text := fold(clean_inline(a.text_content())):
            out.links.add(text)
    return out


_PARAGRAPH_LINKS = etree.XPath("//p//a")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: A field label on a line of its own: bold text ending in a colon, followed by a line break.
_FIELD_LABELS = etree.XPath("//strong[following-sibling::*[1][self::br]] | //b[following-sibling::*[1][self::br]]")
#: Levels above a field label where the box holding the fields and its text may start.
_FACT_BOX_LEVELS = 3


def _fact_boxes(tree: HtmlElement) -> list[HtmlElement]:
    """Elements holding two or more labelled fields (``Company:``, ``Website:``, ``Funding:``, each on a line of
    its own): a fact box beside the story, whose paragraphs are not the story's."""
    counts: dict[HtmlElement, int] = {}
    for label in _FIELD_LABELS(tree):
        if not (label.text or "").strip().endswith(":") or (label.tail or "").strip():
            continue
        box = label.getparent()
        for _ in range(_FACT_BOX_LEVELS - 1):
            if box is None:
                break
            box = box.getparent()
        if box is not None:
            counts[box] = counts.get(box, 0) + 1
    return [box for box, n in counts.items() if n >= 2]


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

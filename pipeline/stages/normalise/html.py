"""HTML (or XHTML/NITF markup) → clean paragraphs, with the stdlib ``html.parser`` (entities decoded)."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from pipeline.stages.normalise.cleaning import clean_inline
from pipeline.stages.normalise.structure import Structure
from pipeline.stages.normalise.wireframe import wrapped_paragraphs
from schemas.story import Block, BlockKind

#: Elements that end one paragraph and start another.
_BLOCK = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hl1",
        "hl2",
        "blockquote",
        "bq",
        # Agencies' own XML (TT): quotes and crossheads.
        "citat",
        "mellis",
        "li",
        "pre",
        "section",
        "article",
        "td",
        "th",
        "tr",
        "dd",
        "dt",
        "ul",
        "ol",
        "table",
        "br",
        "body",
        "body.content",
        "block",
        "hr",
        "main",
        "footer",
        "address",
    }
)
#: Elements whose content is never story text.
_SKIP = frozenset(
    {
        "script",
        "style",
        "head",
        "title",
        "figure",
        "figcaption",
        "media",
        "media-caption",
        "img",
        "nav",
        "aside",
        "iframe",
        "object",
        "video",
        "audio",
        "noscript",
        "template",
        "svg",
        "button",
        "form",
        "select",
        "textarea",
        "tagline",
        "media-reference",
        "media-metadata",
        "media-producer",
        "body.head",
        "body.end",
        # Page and item furniture before the story: slugline lists, publication time, a repeated <h1>.
        "header",
        # NITF byline title and notes inside paragraphs are not story text.
        "byttl",
        "ed-msg",
        "note",
        # Agencies' own XML (TT): the dateline block, the byline and a picture with its caption.
        "dat",
        "byline",
        "bild",
    }
)
#: Class names of elements whose content is page furniture, not story text.
_SKIP_CLASSES = frozenset(
    {
        "dat",
        "vignette",
        "source",
        "byline",
        "credit",
        "caption",
        "share",
        "sharing",
        "social",
        "related",
        "advert",
        "advertisement",
        "ad",
        "newsletter",
        "promo",
    }
)
#: Crossheads (NITF ``hl2``, XHTML ``h2``–``h6``, TT ``MELLIS``) and block quotes (TT ``CITAT``).
_ROLES: dict[str, BlockKind] = {
    **dict.fromkeys(("hl2", "h2", "h3", "h4", "h5", "h6", "mellis"), "crosshead"),
    **dict.fromkeys(("blockquote", "bq", "citat"), "quote"),
}
#: A picture with its caption and credit (XHTML ``figure``, NITF ``media``, TT ``BILD``): not body text, but
#: kept beside it as a caption block.
_FIGURES = frozenset({"figure", "media", "bild"})
_CAPTIONS = frozenset({"figcaption", "media-caption", "bildtext"})
_CREDITS = frozenset({"media-producer", "bildskapare", "credit"})
#: Class names of fact boxes: text set apart from the story (kept as a fact box block, not body).
_FACTBOX_CLASSES = frozenset({"factbox", "fact-box", "facts", "infobox", "fakta", "faktaruta"})
#: Headings that title a fact box.
_BOX_TITLES = frozenset({"rubrik", "title", "h1", "h2", "h3", "h4", "hl1", "hl2"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"})


class _Paragraphs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.structure = Structure()
        self.paragraphs = self.structure.paragraphs
        self._buf: list[str] = []
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, skipping, is a dateline)
        self._skip_depth = 0
        self._roles: list[tuple[BlockKind, int]] = []  # open crossheads and quotes: (kind, first paragraph)
        self._table: list[list[str]] | None = None  # rows of the open table
        self._cell: list[str] | None = None
        self._tables = 0  # tables open (a table nested in a cell is read as cell text)
        self._figure: dict[str, list[str]] | None = None  # caption and credit text of the open figure
        self._figure_part: str | None = None
        self._box: _Paragraphs | None = None  # the open fact box, read by its own parser
        self._box_depth = 0
        self._open = False  # a fact box, figure or table is open (else every event takes the plain path)

    def _reopen(self) -> None:
        self._open = self._box is not None or self._figure is not None or self._table is not None

    def _flush(self) -> None:
        if self._buf:
            add_block(self.paragraphs, "".join(self._buf))
            self._buf = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._box is not None:
            self._box_depth += tag not in _VOID
            self._box.handle_starttag(tag, attrs)
            return
        classes: set[str] | frozenset[str] = _NO_CLASSES
        for k, v in attrs:
            if k == "class" and v:
                classes = classes | set(v.lower().split()) if classes else set(v.lower().split())
        if (self._open or tag in _SPECIAL or (classes and classes & _FACTBOX_CLASSES)) and self._special_start(
            tag, classes
        ):
            return
        # A printed dateline's agency credit (<span class="dateline">London <span class="credit">(dpa)</span>)
        # is part of the dateline, not furniture.
        in_dateline = "dateline" in classes or any(d for _, _, d in self._stack)
        skip = tag in _SKIP or (bool(classes & _SKIP_CLASSES) and not in_dateline)
        if tag in _BLOCK and not self._skip_depth:
            self._flush()
            if (kind := _ROLES.get(tag)) is not None:
                self._roles.append((kind, len(self.paragraphs)))
        if tag in _VOID:
            return
        self._stack.append((tag, skip, "dateline" in classes))
        if skip:
            self._skip_depth += 1

    def _special_start(self, tag: str, classes: set[str] | frozenset[str]) -> bool:
        """A fact box, figure or table opening, or a tag inside one: True when the tag needs nothing more."""
        if classes & _FACTBOX_CLASSES and tag not in _VOID and not self._skip_depth:
            self._flush()
            self._box, self._box_depth, self._open = _Paragraphs(), 1, True
            return True
        if self._figure is not None:
            part = "caption" if tag in _CAPTIONS else "credit" if tag in _CREDITS or classes & _CREDITS else None
            self._figure_part = part or self._figure_part
        elif (tag in _FIGURES or tag in _CAPTIONS) and not self._skip_depth:
            self._figure = {"caption": [], "credit": [], "tag": [tag]}
            self._figure_part = "caption" if tag in _CAPTIONS else None
            self._open = True
        if self._table is not None:
            if self._cell is not None and tag in _BLOCK:
                self._cell.append(" ")  # a block inside a cell (a nested table's cells) is a word apart
            if tag == "table":
                self._tables += 1
            elif self._tables == 1 and tag == "tr":
                self._table.append([])
            elif self._tables == 1 and tag in ("td", "th"):
                self._cell = []
            return True
        if tag == "table" and not self._skip_depth:
            self._flush()
            self._table, self._tables, self._open = [], 1, True
            return True
        return False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._box is not None:
            self._box.handle_startendtag(tag, attrs)
        elif tag in _BLOCK and not self._skip_depth and self._table is None:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._special_end(tag):
            return
        if tag in _VOID:
            return
        # Pop to the matching open tag (HTML in the wild leaves tags unclosed).
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                for _, skipping, _ in self._stack[i:]:
                    if skipping:
                        self._skip_depth -= 1
                del self._stack[i:]
                break
        else:
            return
        if tag in _BLOCK and not self._skip_depth:
            self._flush()
            if (kind := _ROLES.get(tag)) is not None and self._roles and self._roles[-1][0] == kind:
                self.structure.mark(kind, self._roles.pop()[1])

    def _special_end(self, tag: str) -> bool:
        """A tag closing inside (or closing) a fact box, figure or table: True when it needs nothing more."""
        if self._box is not None:
            self._box_depth -= tag not in _VOID
            if self._box_depth > 0:
                self._box.handle_endtag(tag)
                return True
            box, self._box = self._box, None
            box.close()
            self.structure.aside(_box_block(box.structure))
            self._reopen()
            return True
        if self._figure is not None:
            if tag in _CAPTIONS or tag in _CREDITS:
                self._figure_part = None
            if tag == self._figure["tag"][0]:
                figure, self._figure = self._figure, None
                if text := clean_inline("".join(figure["caption"])):
                    credit = clean_inline("".join(figure["credit"])) or None
                    self.structure.aside(Block(kind="caption", text=text, credit=credit))
                self._reopen()
        if self._table is not None:
            if tag == "table":
                self._tables -= 1
            if self._tables == 0:
                table, self._table = self._table, None
                self.structure.table(table)
                self._reopen()
            elif self._tables == 1 and tag in ("td", "th") and self._cell is not None:
                if not self._table:
                    self._table.append([])
                self._table[-1].append(clean_inline("".join(self._cell)))
                self._cell = None
            return True
        return False

    def handle_data(self, data: str) -> None:
        if not self._open:
            if not self._skip_depth:
                self._buf.append(data)
        elif self._box is not None:
            self._box.handle_data(data)
        elif self._figure is not None and self._figure_part is not None:
            self._figure[self._figure_part].append(data)
        elif self._cell is not None:
            self._cell.append(data)
        elif not self._skip_depth and self._table is None:
            self._buf.append(data)

    def close(self) -> None:
        super().close()
        if self._box is not None:
            box, self._box = self._box, None
            box.close()
            self.structure.aside(_box_block(box.structure))
        if self._table is not None:
            self.structure.table(self._table)
            self._table = None
        self._flush()


def _box_block(inner: Structure) -> Block:
    """A fact box read as its own body: a crosshead first in it is its title."""
    paragraphs = inner.paragraphs
    title = None
    if paragraphs and any(start == 0 and b.kind == "crosshead" for start, b in inner.marks):
        title, paragraphs = paragraphs[0], paragraphs[1:]
    return Block(kind="factbox", text=title, paragraphs=paragraphs)


#: A line of pre-formatted wire text that starts a paragraph by indentation.
_INDENTED = re.compile(r"\n(?:\t|  +)\S")
#: A flush-left line: wire text's wrapped lines are; markup indented by a pretty-printer has none.
_FLUSH = re.compile(r"\n\S")


def add_block(out: list[str], raw: str) -> None:
    """Append the cleaned text of one block element to ``out``: one paragraph, or several when the block holds
    pre-formatted wire text (lines indented to start paragraphs, as Reuters sends inside a single ``<p>``, the lines
    they wrap to flush left). A block whose every line is indented (XML laid out by a pretty-printer, its text
    around links on lines of their own) is one paragraph."""
    text = clean_inline(raw)
    if not text or (text[0] == "<" and text[-1] == ">" and _embed_code(text)):
        return
    if (
        "\n" in raw
        and (first := _INDENTED.search(raw)) is not None
        and _INDENTED.search(raw, first.end())
        and _FLUSH.search(raw)
    ):
        out.extend(c for p in wrapped_paragraphs(raw.split("\n")) if (c := clean_inline(p)))
    else:
        out.append(text)


_CODE_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")


def _embed_code(text: str) -> bool:
    """A block whose text is markup written out as text (an embed snippet: ``<div …></div><script …></script>``):
    nothing in it is outside a tag."""
    return not _CODE_TAG.sub("", text).strip()


def html_paragraphs(markup: str) -> list[str]:
    """Paragraphs of text in ``markup``: block elements split, furniture (figures, scripts) skipped."""
    return html_structure(markup).paragraphs


def html_structure(markup: str) -> Structure:
    """Paragraphs and blocks of ``markup``, as :func:`element_structure` reads them from an XML element."""
    parser = _Paragraphs()
    parser.feed(markup)
    parser.close()
    return parser.structure


def element_paragraphs(element: ET.Element) -> list[str]:
    """Paragraphs of an already-parsed (safe) XML element, e.g. NITF ``body.content`` or G2 ``inlineXML``."""
    return element_structure(element).paragraphs


_NO_CLASSES: frozenset[str] = frozenset()
#: Elements read apart from the paragraph flow: tables, pictures and captions.
_SPECIAL = frozenset({"table"}) | _FIGURES | _CAPTIONS


def _tag(el: ET.Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _classes(el: ET.Element) -> set[str]:
    return set((el.get("class") or "").lower().split())


def _text(el: ET.Element | None) -> str | None:
    return clean_inline("".join(el.itertext())) or None if el is not None else None


def _first(el: ET.Element, tags: frozenset[str]) -> ET.Element | None:
    return next((d for d in el.iter() if _tag(d) in tags or _classes(d) & tags), None)


def _table_rows(table: ET.Element) -> list[list[str]]:
    return [
        [clean_inline("".join(c.itertext())) for c in tr if _tag(c) in ("td", "th")]
        for tr in table.iter()
        if _tag(tr) == "tr"
    ]


def _factbox(box: ET.Element) -> Block:
    """A fact box: its title (a heading first in it) and its paragraphs."""
    inner = element_structure(box)
    title = next((_text(c) for c in box if _tag(c) in _BOX_TITLES), None)
    paragraphs = inner.paragraphs
    if title and paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    return Block(kind="factbox", text=title, paragraphs=paragraphs)


def element_structure(element: ET.Element) -> Structure:
    """Paragraphs and blocks of an already-parsed (safe) XML element, e.g. NITF ``body.content`` or G2
    ``inlineXML``.

    The same rules as :func:`html_paragraphs` (block elements split, furniture skipped), walked over
    the element tree directly (namespaces already dropped by ``safety.parse_xml``). Crossheads and quotes are
    paragraphs marked with their role; a table gives one paragraph per row; a picture's caption and credit and
    a fact box (an element of a fact-box class; in TT's XML, each ``TEXT`` after the story's) are blocks beside
    the paragraphs.
    """
    st = Structure()
    out = st.paragraphs
    buf: list[str] = []

    def flush() -> None:
        if buf:
            add_block(out, "".join(buf))
            buf.clear()

    def walk(el: ET.Element, factbox: bool = False) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        cls = el.get("class")
        classes = set(cls.lower().split()) if cls else _NO_CLASSES
        if "dateline" in classes:  # the dateline with its agency credit, as printed
            buf.append("".join(el.itertext()))
        elif tag in _SPECIAL or factbox or (classes and classes & _FACTBOX_CLASSES):
            flush()
            if tag == "table":
                st.table(_table_rows(el))
            elif tag in _FIGURES or tag in _CAPTIONS:
                caption = el if tag in _CAPTIONS else _first(el, _CAPTIONS)
                if text := _text(caption):
                    st.aside(Block(kind="caption", text=text, credit=_text(_first(el, _CREDITS))))
            else:
                st.aside(_factbox(el))
        elif not (tag in _SKIP or (classes and classes & _SKIP_CLASSES)):
            block = tag in _BLOCK
            if block:
                flush()
            start = len(out)
            if el.text:
                buf.append(el.text)
            if len(el):
                walk_children(el)
            if block:
                flush()
            if (kind := _ROLES.get(tag)) is not None:
                st.mark(kind, start)
        if el.tail:
            buf.append(el.tail)

    def walk_children(el: ET.Element) -> None:
        texts = False
        for child in el:
            # TT's XML: a TEXT after the story's own is a fact box.
            if child.tag == "TEXT" or child.tag == "text":
                walk(child, factbox=texts)
                texts = True
            else:
                walk(child)

    # The container itself: its text and children, not its tail (which is outside it).
    if element.text:
        buf.append(element.text)
    walk_children(element)
    flush()
    return st


_TAG = re.compile(r"<[A-Za-z!/]")


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


_BLOCK_TAG = re.compile(r"</?(?:p|div|br|pre)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")


def marked_up_text_paragraphs(text: str) -> list[str]:
    """Paragraphs of wire text that carries a few tags (``<p>`` around indented, hard-wrapped lines).

    Block tags become blank lines, other tags are dropped, entities decoded; then a blank line or an
    indented line starts a paragraph and wrapped lines are joined, as in the wire text itself.
    """
    plain = html.unescape(_ANY_TAG.sub("", _BLOCK_TAG.sub("\n\n", text)))
    return [p for p in (clean_inline(p) for p in wrapped_paragraphs(plain.split("\n"))) if p]

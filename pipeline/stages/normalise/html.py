"""HTML (or XHTML/NITF markup) → clean paragraphs, with the stdlib ``html.parser`` (entities decoded)."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from pipeline.stages.normalise.cleaning import clean_inline
from pipeline.stages.normalise.wireframe import wrapped_paragraphs

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
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"})


class _Paragraphs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._buf: list[str] = []
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, skipping, is a dateline)
        self._skip_depth = 0

    def _flush(self) -> None:
        if self._buf:
            add_block(self.paragraphs, "".join(self._buf))
            self._buf = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set()
        for k, v in attrs:
            if k == "class" and v:
                classes.update(v.lower().split())
        # A printed dateline's agency credit (<span class="dateline">London <span class="credit">(dpa)</span>)
        # is part of the dateline, not furniture.
        in_dateline = "dateline" in classes or any(d for _, _, d in self._stack)
        skip = tag in _SKIP or (bool(classes & _SKIP_CLASSES) and not in_dateline)
        if tag in _BLOCK and not self._skip_depth:
            self._flush()
        if tag in _VOID:
            return
        self._stack.append((tag, skip, "dateline" in classes))
        if skip:
            self._skip_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK and not self._skip_depth:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
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

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self._buf.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


#: A line of pre-formatted wire text that starts a paragraph by indentation.
_INDENTED = re.compile(r"\n(?:\t|  +)\S")


def add_block(out: list[str], raw: str) -> None:
    """Append the cleaned text of one block element to ``out``: one paragraph, or several when the block holds
    pre-formatted wire text (lines indented to start paragraphs, as Reuters sends inside a single ``<p>``)."""
    text = clean_inline(raw)
    if not text or (text[0] == "<" and text[-1] == ">" and _embed_code(text)):
        return
    if "\n" in raw and (first := _INDENTED.search(raw)) is not None and _INDENTED.search(raw, first.end()):
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
    parser = _Paragraphs()
    parser.feed(markup)
    parser.close()
    return parser.paragraphs


def element_paragraphs(element: ET.Element) -> list[str]:
    """Paragraphs of an already-parsed (safe) XML element, e.g. NITF ``body.content`` or G2 ``inlineXML``.

    The same rules as :func:`html_paragraphs` (block elements split, furniture skipped), walked over
    the element tree directly (namespaces already dropped by ``safety.parse_xml``).
    """
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            add_block(out, "".join(buf))
            buf.clear()

    def walk(el: ET.Element) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        classes = set((el.get("class") or "").lower().split())
        if "dateline" in classes:  # the dateline with its agency credit, as printed
            buf.append("".join(el.itertext()))
            if el.tail:
                buf.append(el.tail)
            return
        if tag in _SKIP or classes & _SKIP_CLASSES:
            if el.tail:
                buf.append(el.tail)
            return
        block = tag in _BLOCK
        if block:
            flush()
        if el.text:
            buf.append(el.text)
        for child in el:
            walk(child)
        if block:
            flush()
        if el.tail:
            buf.append(el.tail)

    # The container itself: its text and children, not its tail (which is outside it).
    if element.text:
        buf.append(element.text)
    for child in element:
        walk(child)
    flush()
    return out


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

"""Bytes → text. BOM first, then the declared charset (content type, XML declaration, HTML meta),
then the agency's default, then detection: strict UTF-8, else Windows-1252 (Latin-1 for the five
bytes Windows-1252 leaves undefined)."""

from __future__ import annotations

import codecs
import re

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.wireframe import framing

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:\-]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_HTML_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._\-]+)""", re.I)
#: Share of control characters above which decoded "text" is taken to be binary data.
_MAX_CONTROL_SHARE = 0.05
_MIN_CONTROLS = 16
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_IN_FRAMED = re.compile(r"[\x05-\x07\x0b\x0e\x0f\x15\x17-\x1d]")
#: The bytes of :data:`_CONTROL`'s characters.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
#: Codecs in which a byte below 0x80 stands for its ASCII character and no other byte or sequence decodes to a
#: character below U+0080: the text holds a :data:`_CONTROL` character exactly when the payload holds its byte.
ASCII_TRANSPARENT = frozenset(
    {
        "utf-8", "ascii", "latin-1", "koi8-r", "koi8-u", "mac-roman", "tis-620", "cp874",
        *(f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16)),
        *(f"cp{n}" for n in range(1250, 1259)),
    }
)  # fmt: skip


def declared_charset(payload: bytes, content_type: str | None) -> tuple[str | None, str]:
    """The charset the submission declares and where: (name or None, "content type" | ...)."""
    if content_type and (m := _CT_CHARSET.search(content_type)):
        return m.group(1), "the content type"
    head = payload[:1024]
    if decl := _XML_DECL.match(head):
        return decl.group(1).decode("ascii"), "the XML declaration"
    if meta := _HTML_META.search(head):
        return meta.group(1).decode("ascii"), "the HTML meta tag"
    return None, ""


#: The charsets a submission may declare, by Python codec name (``codecs.lookup(name).name``): Unicode, ASCII,
#: the ISO 8859 and Windows code pages, and the national charsets wire agencies use. Everything else Python can
#: decode is refused: UTF-7 and the escape codecs turn innocent-looking bytes into ``<``, ``"`` or ``{`` after
#: any check on the bytes, and EBCDIC, punycode or base64 are no news wire's text encoding.
ALLOWED_CHARSETS = frozenset(
    {
        "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "ascii",
        *(f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16)),
        *(f"cp{n}" for n in range(1250, 1259)),
        "koi8-r", "koi8-u", "mac-roman", "tis-620", "cp874",
        "shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb2312", "gbk", "gb18030", "big5", "big5hkscs",
        "euc_kr", "cp949",
    }
)  # fmt: skip


def allowed_codec(name: str) -> str | None:
    """The Python codec of charset ``name`` when it is on :data:`ALLOWED_CHARSETS`, else None."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return codec if codec in ALLOWED_CHARSETS else None


def _codec(name: str, where: str) -> str:
    codec = allowed_codec(name)
    if codec is None:
        raise StageError(
            "undecodable",
            f"charset {name!r} declared in {where} is not accepted; send UTF-8 (or another charset listed in "
            "docs/formats.md)",
        )
    return codec


def decode(payload: bytes, content_type: str | None = None, agency_charset: str | None = None) -> tuple[str, str]:
    """Decode ``payload`` to text. Returns (text, codec name). Raises ``undecodable``."""
    for bom, name in _BOMS:
        if payload.startswith(bom):
            return _strict(payload[len(bom) :], name, "the byte-order mark"), name
    declared, where = declared_charset(payload, content_type)
    if declared is None and _looks_utf16(payload):
        name = "utf-16-le" if payload[1:2] == b"\x00" else "utf-16-be"
        return _strict(payload, name, "UTF-16 detection"), name
    if declared is None and agency_charset:
        declared, where = agency_charset, "the agency profile"
    if declared is not None:
        name = _codec(declared, where)
        if name in ("utf-16", "utf-32"):
            # A declaration of UTF-16 without a BOM: take the byte order from the first character.
            name = f"{name}-le" if payload[1:2] == b"\x00" else f"{name}-be"
        if name in ("latin-1", "iso8859-1", "cp1252") and _utf8_not_latin1(payload):
            return _strict(payload, "utf-8", f"the bytes (valid UTF-8, though {where} says {declared})"), "utf-8"
        if name in ("latin-1", "iso8859-1"):
            # Agencies that declare ISO-8859-1 almost always send Windows-1252 (curly quotes in 0x80-0x9F).
            name = _windows_1252_or_latin1(payload)
        return _strict(payload, name, where), name
    try:
        return _check_text(payload.decode("utf-8"), "utf-8", "detection", payload), "utf-8"
    except UnicodeDecodeError:
        name = _windows_1252_or_latin1(payload)
        return _strict(payload, name, "detection (not UTF-8)"), name


#: A UTF-8 multi-byte sequence: a lead byte and its continuation bytes.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _utf8_not_latin1(payload: bytes) -> bool:
    """True when bytes declared as a single-byte Latin charset are really UTF-8.

    Text in Latin-1 or Windows-1252 almost never forms valid multi-byte UTF-8 sequences ("Ã©" would have
    to follow every accented letter), so non-ASCII bytes that all decode as UTF-8 contradict the
    declaration ("DÃ©cÃ¨s" is what reading them as declared would give).
    """
    if payload.isascii() or _UTF8_SEQUENCE.search(payload) is None:
        return False
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _looks_utf16(payload: bytes) -> bool:
    sample = payload[:200]
    if len(sample) < 4 or len(sample) % 2:
        return False
    evens, odds = sample[0::2], sample[1::2]
    return (odds.count(0) > 0.8 * len(odds) and evens.count(0) == 0) or (
        evens.count(0) > 0.8 * len(evens) and odds.count(0) == 0
    )


def _windows_1252_or_latin1(payload: bytes) -> str:
    try:
        payload.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def _strict(payload: bytes, name: str, where: str) -> str:
    try:
        text = payload.decode(name)
    except UnicodeDecodeError as exc:
        raise StageError(
            "undecodable", f"byte {exc.start} (0x{payload[exc.start]:02x}) is not valid {name} (charset from {where})"
        ) from exc
    return _check_text(text, name, where, payload if name in ASCII_TRANSPARENT else None)


def _check_text(text: str, name: str, where: str, payload: bytes | None = None) -> str:
    """``text``, unless it is mostly control characters. ``payload``: the bytes it was decoded from, given only
    for an :data:`ASCII_TRANSPARENT` codec, where a control byte is looked for in C (``bytes.translate``) instead
    of by the regular expression over the text."""
    if payload is not None and len(payload.translate(None, _CONTROL_BYTES)) == len(payload):
        return text  # no control character at all
    if text and _CONTROL.search(text, 0, 20000):
        # Teletype framing (IPTC 7901, ANPA 1312) is control characters by design: padding, SOH/STX/ETX,
        # typesetting codes. Only the others count as a sign of binary data there.
        pattern = _CONTROL_IN_FRAMED if framing(text) is not None else _CONTROL
        controls = len(pattern.findall(text[:20000]))
        if controls >= _MIN_CONTROLS and controls > _MAX_CONTROL_SHARE * min(len(text), 20000):
            raise StageError(
                "undecodable", f"decoded as {name} (charset from {where}) the payload is mostly control characters"
            )
    return text

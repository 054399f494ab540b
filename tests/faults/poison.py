"""Seeded hostile submissions for the poison-message scenario.

Each generator returns ``(kind, payload, format_hint, content_type)``. Kinds in :data:`MUST_REJECT` are bad by
construction (the pipeline has to refuse every one); the others (mixed encodings, random payloads, absurd field
values) may be readable, and the pipeline has to treat them exactly as the pure stages do.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import orjson

Poison = tuple[str, bytes, str, str | None]

MUST_REJECT = frozenset(
    {"broken_json", "broken_xml", "xxe", "billion_laughs", "too_large", "too_deep", "empty", "bad_utf8"}
)

NITF = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<nitf><head><title>{title}</title><docdata>'
    '<doc-id id-string="{id}"/></docdata></head><body><body.head><hedline><hl1>{title}</hl1></hedline>'
    "</body.head><body.content><p>{text}</p></body.content></body></nitf>"
)
WORDS = "trade minister talks border grain rail water tariff quota pipeline summit vote court".split()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def broken_json(rng: random.Random) -> Poison:
    doc = orjson.dumps({"uri": f"urn:x:{rng.getrandbits(48)}", "headlines": [{"value": _text(rng, 6)}],
                        "bodies": [{"value": _text(rng, 80)}]})  # fmt: skip
    cut = rng.randint(1, len(doc) - 2)
    return "broken_json", doc[:cut], "ninjs", "application/json"


def broken_xml(rng: random.Random) -> Poison:
    doc = NITF.format(title=_text(rng, 6), id=rng.getrandbits(40), text=_text(rng, 60)).encode()
    body = doc[: rng.randint(60, len(doc) - 10)] if rng.random() < 0.5 else doc.replace(b"</p>", b"</q>")
    return "broken_xml", body, "nitf", "application/xml"


def xxe(rng: random.Random) -> Poison:
    target = rng.choice(["file:///etc/passwd", "http://127.0.0.1:1/secret", "file:///proc/self/environ"])
    doc = f'<?xml version="1.0"?>\n<!DOCTYPE nitf [<!ENTITY xxe SYSTEM "{target}">]>\n' + NITF.split("\n", 1)[1].format(
        title="&xxe;", id=rng.getrandbits(40), text="&xxe; " + _text(rng, 20)
    )
    return "xxe", doc.encode(), rng.choice(["nitf", "auto"]), "application/xml"


def billion_laughs(rng: random.Random) -> Poison:
    levels = rng.randint(6, 10)
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, levels)
    ]
    doc = f'<?xml version="1.0"?>\n<!DOCTYPE nitf [{"".join(ents)}]>\n' + NITF.split("\n", 1)[1].format(
        title=f"&lol{levels - 1};", id=1, text=_text(rng, 10)
    )
    return "billion_laughs", doc.encode(), rng.choice(["nitf", "auto"]), "application/xml"


def too_large(rng: random.Random, limit: int) -> Poison:
    size = rng.randint(limit + 1, limit + limit // 2)
    body = (_text(rng, 8) + "\n\n" + _text(rng, size // 6 + 10)).encode()[:size]
    return "too_large", body.ljust(size, b"x"), "text", "text/plain; charset=utf-8"


def too_deep(rng: random.Random) -> Poison:
    depth = rng.randint(200, 5000)
    if rng.random() < 0.5:
        return (
            "too_deep",
            b'{"uri":"urn:x:deep","headlines":' + b"[" * depth + b"]" * depth + b"}",
            "ninjs",
            "application/json",
        )
    return "too_deep", b'<?xml version="1.0"?><nitf>' + b"<p>" * depth + b"x" + b"</p>" * depth + b"</nitf>", \
        "nitf", "application/xml"  # fmt: skip


def empty(rng: random.Random) -> Poison:
    return "empty", rng.choice([b"", b" ", b"\n\n\t  \r\n", b"\xef\xbb\xbf   "]), "text", "text/plain"


def bad_utf8(rng: random.Random) -> Poison:
    junk = bytes(rng.choice([0xFF, 0xFE, 0xFA, 0xC3, 0x28, 0xED, 0xA0, 0x80, 0xC0, 0xAF]) for _ in range(12))
    body = b"Headline " + junk + b"\n\n" + _text(rng, 20).encode() + b" \xed\xa0\x80 " + junk
    return "bad_utf8", body, "text", "text/plain; charset=utf-8"


def mixed_encoding(rng: random.Random) -> Poison:
    head = _text(rng, 5).encode(rng.choice(["utf-16", "utf-16-le", "utf-32"]))
    tail = ("Zürich, Genève: " + _text(rng, 30)).encode(rng.choice(["latin-1", "cp1252", "utf-8"]))
    ctype = rng.choice(["text/plain; charset=utf-8", "text/plain; charset=us-ascii", "text/plain", None])
    return "mixed_encoding", head + b"\n\n" + tail, "auto", ctype


def random_payload(rng: random.Random) -> Poison:
    return "random_bytes", rng.randbytes(rng.randint(1, 4000)), rng.choice(["auto", "ninjs", "nitf", "text"]), \
        rng.choice([None, "application/octet-stream", "application/json", "text/plain"])  # fmt: skip


def absurd_fields(rng: random.Random) -> Poison:
    doc: dict[str, object] = {
        "uri": rng.choice(["", " ", "x" * 5000, "urn:\x00null", f"urn:absurd:{rng.getrandbits(30)}"]),
        "version": rng.choice(["-1", "0", "99999999999999999999", "1e9", "NaN", 2**63 - 1, -5, None, "one"]),
        "language": rng.choice(["", "xx-invalid-language-tag", "e" * 300, None]),
        "urgency": rng.choice([0, -3, 10**12, 9.5, "high", None]),
        "firstcreated": rng.choice(["0000-00-00T00:00:00Z", "9999-12-31T23:59:59Z", "yesterday", 1e20, None]),
        "versioncreated": rng.choice(["1900-01-01T00:00:00+25:00", "2026-13-45T99:99:99Z", "", None]),
        "headlines": rng.choice([[{"value": "H" * rng.randint(0, 200_000)}], [{"value": None}], "headline", []]),
        "bodies": rng.choice([[{"value": _text(rng, 50)}], [{"value": 12345}], {"value": "x"}, None]),
        "subjects": rng.choice([[{"name": "x"}] * 2000, "subjects", None]),
    }
    return "absurd_fields", orjson.dumps({k: v for k, v in doc.items() if v is not None}), "ninjs", \
        "application/json"  # fmt: skip


GENERATORS: list[Callable[[random.Random], Poison]] = [
    broken_json, broken_xml, xxe, billion_laughs, too_deep, empty, bad_utf8, mixed_encoding, random_payload,
    absurd_fields,
]  # fmt: skip


def poison(rng: random.Random, size_limit: int) -> Poison:
    """One hostile submission; about one in 25 is over ``size_limit`` bytes."""
    if rng.random() < 0.04:
        return too_large(rng, size_limit)
    return rng.choice(GENERATORS)(rng)

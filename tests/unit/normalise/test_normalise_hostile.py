"""Bad and hostile input is rejected with the right reason code, without hanging or blowing up memory;
charsets are decoded as declared or detected."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from normalise_support import SAMPLES, make_raw

from pipeline.stages.errors import StageError
from pipeline.stages.normalise import AgencyProfile, NormaliseOptions, normalise, normalise_all

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<nitf><body><body.head><hedline><hl1>&xxe;</hl1></hedline></body.head></body></nitf>"
)
XXE_PARAMETER = (
    b'<?xml version="1.0"?><!DOCTYPE newsMessage [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]><newsMessage/>'
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b"]><nitf><body><body.content><p>&lol9;</p></body.content></body></nitf>"
)
EXTERNAL_DTD = b'<?xml version="1.0"?><!DOCTYPE nitf SYSTEM "http://127.0.0.1:1/nitf.dtd"><nitf/>'


def _reason(payload: bytes, options: NormaliseOptions | None = None, **kw: object) -> str:
    with pytest.raises(StageError) as info:
        normalise_all(make_raw(payload, **kw), options)  # type: ignore[arg-type]
    assert info.value.message  # says where and why
    return info.value.reason


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (XXE, "unsafe_xml"),
        (XXE_PARAMETER, "unsafe_xml"),
        (LAUGHS, "unsafe_xml"),
        # A DOCTYPE that only names a DTD is parsed without reading it: this document is just empty.
        (EXTERNAL_DTD, "missing_headline"),
        (b"[" * 200_000 + b"]" * 200_000, "too_deep"),
        (b'{"uri": "u", "x": ' + b'{"a": ' * 100 + b"1" + b"}" * 101, "too_deep"),
        (b"<nitf>" + b"<p>" * 1000 + b"</p>" * 1000 + b"</nitf>", "too_deep"),
        (b'{"uri": "u", "headline": "h",', "malformed_json"),
        (b"<nitf><body><hedline></body></nitf>", "malformed_xml"),
        (b"<rss><channel/></rss>", "unknown_format"),
        (b"", "empty_body"),
        (b"  \n\n \t ", "empty_body"),
        (b"A headline and nothing else\n", "empty_body"),
        (b'{"uri": "u", "body_text": "Text without a headline."}', "missing_headline"),
        (b"[1, 2, 3]", "schema_violation"),
        (b'{"name": "not a news item", "value": 3}', "schema_violation"),
        (b'{"uri": "u", "headline": "h", "body_text": "b", "urgency": 12}', "schema_violation"),
        (b'{"uri": "u", "headline": "h", "body_text": "b", "pubStatus": "maybe"}', "schema_violation"),
        (b'{"uri": "u", "headline": "h", "body_text": "b", "versionCreated": "yesterday"}', "schema_violation"),
        (bytes(range(256)) * 40, "undecodable"),
    ],
    ids=[
        "xxe",
        "xxe-parameter-entity",
        "billion-laughs",
        "external-dtd",
        "deep-json-array",
        "deep-json-object",
        "deep-xml",
        "truncated-json",
        "mismatched-xml",
        "unknown-xml-root",
        "empty",
        "whitespace-only",
        "headline-only",
        "ninjs-no-headline",
        "json-array",
        "json-not-ninjs",
        "ninjs-bad-urgency",
        "ninjs-bad-pubstatus",
        "ninjs-bad-timestamp",
        "binary",
    ],
)
def test_rejected_with_reason(payload: bytes, reason: str) -> None:
    assert _reason(payload) == reason


def test_ten_megabyte_body_is_too_large_before_any_parsing() -> None:
    payload = b"Headline\n\n" + b"word " * 2_000_000  # 10 MB
    tracemalloc.start()
    try:
        assert _reason(payload) == "too_large"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # nothing was decoded or copied


def test_size_limit_is_configurable() -> None:
    payload = (SAMPLES / "dpa_text.json").read_bytes()
    assert _reason(payload, NormaliseOptions(max_bytes=len(payload) - 1)) == "too_large"
    assert normalise(make_raw(payload), NormaliseOptions(max_bytes=len(payload))).headline


def test_depth_limit_is_configurable() -> None:
    payload = (SAMPLES / "TT_newsmlg2_sample.xml").read_bytes()
    assert _reason(payload, NormaliseOptions(max_depth=5)) == "too_deep"
    assert normalise_all(make_raw(payload), NormaliseOptions(max_depth=20))


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        (b"Headline\n\nBody \xff\xfe text.", "text/plain; charset=utf-8"),
        (b"Headline\n\nBody text.", "text/plain; charset=klingon"),
        (b'<?xml version="1.0" encoding="utf-8"?><nitf><body><p>\xe9</p></body></nitf>', None),
        (b"\xef\xbb\xbfHeadline\n\nBad \xc3\x28 UTF-8 after a UTF-8 BOM.", None),
    ],
    ids=["invalid-utf8-declared", "unknown-charset", "invalid-utf8-xml-declared", "invalid-after-bom"],
)
def test_invalid_encodings_are_undecodable(payload: bytes, content_type: str | None) -> None:
    assert _reason(payload, content_type=content_type) == "undecodable"


TEXT = "Café “talks” resume\n\nThe minister said “we will see” in Zürich — on Monday.\n"


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        (TEXT.encode("utf-8"), None),
        (TEXT.encode("utf-8-sig"), None),
        (TEXT.encode("utf-16"), None),  # with BOM
        (TEXT.encode("utf-16-le"), None),  # detected from the zero bytes
        (TEXT.encode("cp1252"), None),  # not UTF-8: Windows-1252 detected
        (TEXT.encode("cp1252"), "text/plain; charset=ISO-8859-1"),  # Latin-1 declared, curly quotes kept
        (TEXT.encode("cp1252"), "text/plain; charset=windows-1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le-no-bom", "cp1252-detected", "latin1-declared", "cp1252-declared"],
)
def test_charsets(payload: bytes, content_type: str | None) -> None:
    story = normalise(make_raw(payload, content_type=content_type))
    assert story.headline == "Café “talks” resume"
    assert story.body == ["The minister said “we will see” in Zürich — on Monday."]


def test_xml_declared_latin1() -> None:
    doc = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><nitf><body><body.head><hedline><hl1>Café</hl1>'
        "</hedline></body.head><body.content><p>“Hi” café</p></body.content></body></nitf>"
    ).encode("cp1252")
    story = normalise(make_raw(doc))
    assert (story.headline, story.body) == ("Café", ["“Hi” café"])


def test_agency_charset_default() -> None:
    payload = "Headline\n\nΚαλημέρα κόσμε, the minister said.\n".encode("iso8859-7")
    options = NormaliseOptions(agencies={"ANA": AgencyProfile(charset="iso8859-7")})
    assert normalise(make_raw(payload, agency="ANA"), options).body == ["Καλημέρα κόσμε, the minister said."]


def test_control_characters_removed_and_nfc() -> None:
    story = normalise(make_raw("Head\x07line\n\nCafe\u0301 \x00body\u200b text, over\u00adseas.\n"))
    assert story.headline == "Headline"
    assert story.body == ["Café body text, overseas."]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_only_ever_raise_stage_error(payload: bytes) -> None:
    try:
        stories = normalise_all(make_raw(payload))
    except StageError:
        return
    assert stories and all(s.body and s.headline for s in stories)


_PREFIXES = [b"", b"<nitf>", b"<newsMessage><itemSet><newsItem guid='g'>", b"<NewsML>", b'{"uri": "u", ', b"<html>"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_PREFIXES), st.text(max_size=500))
def test_random_documents_only_ever_raise_stage_error(prefix: bytes, text: str) -> None:
    try:
        normalise_all(make_raw(prefix + text.encode("utf-8")))
    except StageError:
        pass


def test_a_named_dtd_is_never_loaded(tmp_path: Path) -> None:
    """The DTD a DOCTYPE names is not read: an entity it would define stays undefined."""
    dtd = tmp_path / "nitf.dtd"
    dtd.write_text('<!ENTITY secret "LEAKED">')
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE nitf SYSTEM "{dtd.as_uri()}"><nitf><body><body.head><hedline>'
        "<hl1>Headline&nbsp;here</hl1></hedline></body.head><body.content><p>&secret;</p></body.content></body></nitf>"
    )
    assert _reason(doc.encode()) == "malformed_xml"
    story = normalise_all(make_raw(doc.replace("&secret;", "Text &mdash; more").encode()))[0]
    assert story.headline == "Headline here"
    assert story.body == ["Text — more"]


def test_a_dtd_named_by_relative_path_in_the_internal_subset_is_parsed_never_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dtd").mkdir()
    (tmp_path / "dtd" / "nitf.dtd").write_text('<!ENTITY secret "LEAKED">')
    monkeypatch.chdir(tmp_path)
    doc = (
        '<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY % nitf SYSTEM "../x/../dtd/nitf.dtd"> %nitf; ]><nitf><body>'
        "<body.head><hedline><hl1>Headline here</hl1></hedline></body.head><body.content><p>&secret;</p>"
        "</body.content></body></nitf>"
    )
    assert _reason(doc.encode()) == "malformed_xml"  # the DTD's entity is never defined
    story = normalise_all(make_raw(doc.replace("&secret;", "Text").encode()))[0]
    assert (story.headline, story.body) == ("Headline here", ["Text"])
    hostile = doc.replace("../x/../dtd/nitf.dtd", "/etc/nitf.dtd")
    assert _reason(hostile.replace("&secret;", "Text").encode()) == "unsafe_xml"


def test_utf8_bytes_declared_latin1_are_read_as_utf8() -> None:
    payload = '<?xml version="1.0" encoding="ISO-8859-1"?><nitf><body><body.head><hedline><hl1>Décès à Zürich</hl1>'
    payload += "</hedline></body.head><body.content><p>Café résumé.</p></body.content></body></nitf>"
    story = normalise(make_raw(payload.encode("utf-8")))
    assert story.headline == "Décès à Zürich"
    latin1 = normalise(make_raw(payload.encode("latin-1")))
    assert latin1.headline == "Décès à Zürich"


def test_stray_latin1_bytes_in_ascii_text_are_read_as_windows_1252() -> None:
    story = normalise(make_raw(b"Caf\xe9 talks resume\n\nThe minister said \x93yes\x94 on Monday.\n"))
    assert story.headline == "Café talks resume"
    assert story.body == ["The minister said “yes” on Monday."]

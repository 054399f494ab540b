"""The control-character check on the payload's bytes agrees with the check on the decoded text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.charset import _CONTROL, _CONTROL_BYTES, ASCII_TRANSPARENT, _check_text, decode

SINGLE_BYTE = sorted(ASCII_TRANSPARENT - {"utf-8"})


@pytest.mark.parametrize("codec", SINGLE_BYTE)
def test_a_single_byte_codec_decodes_a_byte_to_a_control_character_exactly_when_it_is_a_control_byte(
    codec: str,
) -> None:
    for byte in range(256):
        try:
            char = bytes([byte]).decode(codec)
        except UnicodeDecodeError:
            continue
        assert bool(_CONTROL.fullmatch(char)) == (byte in _CONTROL_BYTES), (codec, hex(byte), char)


def test_utf8_holds_a_control_character_exactly_where_it_holds_its_byte() -> None:
    # Every byte of a multi-byte UTF-8 sequence is 0x80 or above; ASCII bytes stand for themselves.
    for cp in [*range(0x80), 0x85, 0x9F, 0xAD, 0x7FF, 0x800, 0xFFFD, 0x10000, 0x10FFFF]:
        encoded = chr(cp).encode("utf-8")
        assert (cp < 0x80) == (len(encoded) == 1)
        assert bool(_CONTROL.fullmatch(chr(cp))) == any(b in _CONTROL_BYTES for b in encoded)


@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=200))
def test_the_byte_check_gives_the_text_check_s_verdict(text: str) -> None:
    payload = text.encode("utf-8")

    def verdict(raw: bytes | None) -> str:
        try:
            return _check_text(text, "utf-8", "test", raw)
        except StageError as exc:
            return f"rejected {exc.reason}"

    assert verdict(payload) == verdict(None)


def test_mostly_control_bytes_are_still_undecodable_in_every_transparent_codec() -> None:
    payload = b"ok " + b"\x01\x02\x03\x04" * 20
    with pytest.raises(StageError) as exc:
        decode(payload)
    assert exc.value.reason == "undecodable"
    with pytest.raises(StageError):
        decode(payload, "text/plain; charset=windows-1252")
    assert decode("Déjà vu\ttab\r\n".encode("cp1252"), "text/plain; charset=windows-1252")[0] == "Déjà vu\ttab\r\n"

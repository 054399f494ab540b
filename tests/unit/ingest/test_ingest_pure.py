"""Pure gateway logic: API keys, rate limit, idempotency memory, payload claims."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.ingest.claims import inspect_payload, normalise_agency, parse_media_type, same_agency
from pipeline.ingest.idempotency import (
    IdempotencyMemory,
    derive_submission_id,
    fingerprint,
    valid_idempotency_key,
)
from pipeline.ingest.keys import generate_key, hash_secret, parse_key, verify_secret
from pipeline.ingest.ratelimit import RateLimiter
from pipeline.stages.errors import StageError
from tests.paths import SAMPLES, SEED


# --- keys ---------------------------------------------------------------------------------------------------
def test_generated_key_parses_and_verifies_against_its_hash_only() -> None:
    key = generate_key()
    parsed = parse_key(key.token)
    assert parsed is not None and parsed.key_id == key.key_id
    assert verify_secret(parsed.secret, key.key_hash)
    assert parsed.secret not in key.key_hash
    assert key.key_hash == hash_secret(parsed.secret)


def test_keys_are_unique_and_a_secret_does_not_verify_another_hash() -> None:
    a, b = generate_key(), generate_key()
    assert a.key_id != b.key_id and a.token != b.token
    pa = parse_key(a.token)
    assert pa is not None and not verify_secret(pa.secret, b.key_hash)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "wf_",
        "xx_abcdefghijklmnop_" + "a" * 43,
        "wf_short_" + "a" * 43,
        "wf_ABCDEFGHIJKLMNOP_" + "a" * 43,
        "wf_abcdefghijklmnop_tooshort",
        "wf_abcdefghijklmnop_" + "a" * 42 + "!",
        "wf_abcdefghijklmnop_" + "a" * 300,
    ],
)
def test_malformed_tokens_do_not_parse(token: str) -> None:
    assert parse_key(token) is None


def test_verify_rejects_unknown_hash_scheme() -> None:
    key = generate_key()
    parsed = parse_key(key.token)
    assert parsed is not None
    assert not verify_secret(parsed.secret, key.key_hash.replace("sha256$", "md5$"))


# --- rate limit ---------------------------------------------------------------------------------------------
def test_bucket_allows_burst_then_refuses_with_retry_after_then_refills() -> None:
    rl = RateLimiter(rate=10.0, burst=5)
    assert all(rl.check("A", now=0.0).allowed for _ in range(5))
    refused = rl.check("A", now=0.0)
    assert not refused.allowed and refused.retry_after == pytest.approx(0.1)
    assert rl.check("B", now=0.0).allowed  # per agency
    assert rl.check("A", now=0.1).allowed
    assert not rl.check("A", now=0.1).allowed


def test_cost_larger_than_burst_can_never_pass() -> None:
    rl = RateLimiter(rate=1.0, burst=3)
    decision = rl.check("A", now=0.0, cost=4)
    assert not decision.allowed and math.isinf(decision.retry_after)
    assert rl.check("A", now=0.0, cost=3).allowed


@given(st.lists(st.floats(min_value=0.0, max_value=0.5), min_size=1, max_size=200))
def test_bucket_never_admits_more_than_burst_plus_rate_times_elapsed(gaps: list[float]) -> None:
    rl = RateLimiter(rate=20.0, burst=7)
    now, admitted = 0.0, 0
    for gap in gaps:
        now += gap
        admitted += rl.check("A", now).allowed
    assert admitted <= 7 + 20.0 * now + 1e-9


# --- idempotency --------------------------------------------------------------------------------------------
def test_submission_id_is_deterministic_per_agency_and_key() -> None:
    sid = derive_submission_id("TCA", "k1")
    assert sid == derive_submission_id("TCA", "k1")
    assert sid != derive_submission_id("AFP", "k1") != derive_submission_id("TCA", "k2")
    assert len(sid) <= 200


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("abc-123", True),
        ("a" * 200, True),
        ("a" * 201, False),
        ("", False),
        ("has space", False),
        ("tab\t", False),
        ("ünï", False),
    ],
)
def test_idempotency_key_syntax(key: str, ok: bool) -> None:
    assert valid_idempotency_key(key) is ok


def test_memory_expires_after_ttl_and_evicts_oldest_beyond_capacity() -> None:
    mem = IdempotencyMemory(ttl=10.0, max_entries=2)
    fp = fingerprint("text/plain", b"x")
    mem.remember("A", "k1", "s1", fp, now=0.0)
    assert mem.get("A", "k1", now=9.9) is not None
    assert mem.get("A", "k1", now=10.0) is None
    mem.remember("A", "k1", "s1", fp, now=20.0)
    mem.remember("A", "k2", "s2", fp, now=21.0)
    mem.remember("B", "k1", "s3", fp, now=22.0)
    assert len(mem) == 2
    assert mem.get("A", "k1", now=22.0) is None
    remembered = mem.get("B", "k1", now=22.0)
    assert remembered is not None and remembered.submission_id == "s3"


def test_fingerprint_covers_content_type_and_bytes() -> None:
    assert fingerprint("text/plain", b"x") != fingerprint("application/json", b"x")
    assert fingerprint("text/plain", b"x") != fingerprint("text/plain", b"y")


# --- media types and claims ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ct", "hint", "charset"),
    [
        ("text/plain", "text", None),
        ("Text/Plain; charset=ISO-8859-1", "text", "iso-8859-1"),
        ("application/json", "ninjs", None),
        ("application/xml", "auto", None),
        ("text/xml; charset=utf-8", "auto", "utf-8"),
    ],
)
def test_supported_media_types(ct: str, hint: str, charset: str | None) -> None:
    media = parse_media_type(ct)
    assert media is not None and media.format_hint == hint and media.charset == charset


@pytest.mark.parametrize("ct", [None, "", "image/png", "application/octet-stream", "multipart/form-data"])
def test_unsupported_media_types(ct: str | None) -> None:
    assert parse_media_type(ct) is None


@pytest.mark.parametrize(
    ("name", "ct", "claimed"),
    [
        ("NTB_nitf_sample.xml", "application/xml", "NTB"),
        ("TT_newsmlg2_sample.xml", "application/xml", "nprov:TT"),
        ("afp.com_newsml1.2_sample.xml", "application/xml", "afp.com"),
        ("dpa_text.json", "application/json", "dpa"),
        ("ntb_text.json", "application/json", "NTB"),
        ("004_simple_text_article.json", "application/json", None),
    ],
)
def test_claimed_agency_of_reference_samples(name: str, ct: str, claimed: str | None) -> None:
    media = parse_media_type(ct)
    assert media is not None
    assert inspect_payload((SAMPLES / name).read_bytes(), media) == claimed


def test_claimed_agency_of_seed_story_dateline() -> None:
    media = parse_media_type("text/plain; charset=utf-8")
    assert media is not None
    assert inspect_payload(SEED.read_bytes(), media) == "TCA"


@pytest.mark.parametrize(("a", "b"), [("AFP", "afp.com"), ("TT", "nprov:TT"), ("dpa", "www.dpa.de"), ("NTB", "ntb")])
def test_agency_names_compare_across_spellings(a: str, b: str) -> None:
    assert same_agency(a, b)


def test_different_agencies_differ() -> None:
    assert not same_agency("TCA", "AFP")
    assert normalise_agency("Reuters") != normalise_agency("TCA")


@pytest.mark.parametrize(
    ("payload", "ct", "reason"),
    [
        (b"  \n", "text/plain", "empty_body"),
        (b"\xff\xfe\xfa", "text/plain", "undecodable"),
        (b"{not json", "application/json", "malformed_json"),
        (b"<nitf><head></nitf>", "application/xml", "malformed_xml"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "application/xml", "unsafe_xml"),
        (b"caf\xe9", "text/plain; charset=x-no-such", "undecodable"),
    ],
)
def test_malformed_payloads_raise_stage_errors(payload: bytes, ct: str, reason: str) -> None:
    media = parse_media_type(ct)
    assert media is not None
    with pytest.raises(StageError) as err:
        inspect_payload(payload, media)
    assert err.value.reason == reason


def test_latin1_text_decodes_with_declared_charset() -> None:
    media = parse_media_type("text/plain; charset=iso-8859-1")
    assert media is not None
    assert inspect_payload("MOSCOW (Interfax) - caf\u00e9".encode("latin-1"), media) == "Interfax"


def test_a_key_records_its_role_with_its_hash_and_old_records_are_agency_keys() -> None:
    from pipeline.ingest.keys import ROLES, role_of

    for role in ROLES:
        key = generate_key(role)
        parsed = parse_key(key.token)
        assert parsed is not None and verify_secret(parsed.secret, key.key_hash)
        assert role_of(key.key_hash) == role and parsed.secret not in key.key_hash
    legacy = generate_key().key_hash.removeprefix("agency:")  # written before keys had roles
    assert legacy.startswith("sha256$") and role_of(legacy) == "agency"
    assert role_of("admin:" + legacy) is None
    # The role is part of the stored record, not of the key: the same secret verifies under its record only.
    reader = generate_key("reader")
    parsed = parse_key(reader.token)
    assert parsed is not None and not verify_secret(parsed.secret, generate_key("operator").key_hash)


def test_envelope_size_is_the_encoded_size_and_the_payload_limit_fits_the_broker() -> None:
    from pipeline.codec import encode
    from pipeline.config import Settings
    from pipeline.ingest.publisher import make_submission
    from pipeline.ingest.service import envelope_size, payload_limit

    for n in (0, 1, 2, 3, 4, 1000, 99_999):
        raw = make_submission(b"x" * n, "AGENCY-" + "A" * 90, content_type="text/plain; charset=utf-8")
        assert envelope_size(raw) == len(encode(raw)), n
    settings = Settings()
    limit = payload_limit(settings)
    assert limit == 746_928 < settings.max_payload_bytes
    largest = make_submission(b"y" * limit, "A" * 100, content_type="application/vnd.iptc.g2.newsmessage+xml")
    assert envelope_size(largest) <= settings.max_message_bytes
    assert payload_limit(Settings(max_payload_bytes=1000)) == 1000

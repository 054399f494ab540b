"""The message contracts: JSON Schema exports are current, and every contract round-trips through the wire codec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from pipeline.codec import decode, encode
from pipeline.topics import CATALOGUE
from schemas import CONTRACTS, RawSubmission, Rejection
from schemas.export import EXPORT_DIR, render, stale


def test_exports_are_current() -> None:
    assert stale() == [], "run: python -m schemas.export"


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_export_is_valid_json_schema(name: str) -> None:
    schema = orjson.loads((EXPORT_DIR / f"{name}.json").read_bytes())
    Draft202012Validator.check_schema(schema)
    assert schema["title"] == name


def test_stale_detects_a_changed_export(tmp_path, monkeypatch) -> None:
    import schemas.export as export

    for name in CONTRACTS:
        (tmp_path / f"{name}.json").write_bytes(render(name))
    monkeypatch.setattr(export, "EXPORT_DIR", tmp_path)
    assert export.stale() == []
    (tmp_path / "Story.json").write_bytes(b"{}")
    assert export.stale() == ["Story"]


def test_every_topic_has_a_contract_in_the_export() -> None:
    exported = set(CONTRACTS.values())
    for spec in CATALOGUE:
        assert spec.contract in exported, spec.name


def test_raw_payload_travels_as_base64_and_back() -> None:
    payload = b"\xff\xfe\x00not utf-8\x80"
    raw = RawSubmission(submission_id="s1", agency="TCA", received_at=datetime.now(UTC), payload=payload)
    wire = encode(raw)
    assert orjson.loads(wire)["payload"] == "//4Abm90IHV0Zi04gA=="
    back = decode(RawSubmission, wire)
    assert back.payload == payload
    assert back == raw


def test_exported_schema_validates_a_real_message() -> None:
    raw = RawSubmission(submission_id="s1", agency="TCA", received_at=datetime.now(UTC), payload=b"x")
    schema = orjson.loads((EXPORT_DIR / "RawSubmission.json").read_bytes())
    Draft202012Validator(schema).validate(orjson.loads(encode(raw)))


def test_timestamps_are_normalised_to_utc() -> None:
    local = datetime(2017, 11, 29, 15, 0, tzinfo=timezone(timedelta(hours=6)))
    raw = RawSubmission(submission_id="s", agency="TCA", received_at=local, payload=b"x")
    assert raw.received_at == datetime(2017, 11, 29, 9, 0, tzinfo=UTC)
    assert orjson.loads(encode(raw))["received_at"].endswith("Z")


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationError):
        RawSubmission(submission_id="s", agency="TCA", received_at=datetime(2017, 1, 1), payload=b"x")


def test_bad_base64_is_refused() -> None:
    doc = {"stage": "normalise", "reason": "empty_body", "message": "m",
           "rejected_at": "2026-01-01T00:00:00Z", "original": "not base64!"}
    with pytest.raises(ValidationError):
        Rejection.model_validate(doc)

"""`wirefeed agency add|list|revoke` against a real SQLite store."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from pipeline.ingest.agency_cli import agency_app
from pipeline.ingest.keys import parse_key, verify_secret
from pipeline.sinks.store.interface import open_store

runner = CliRunner()


def find(url: str, key_id: str):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        store = await open_store(url)
        try:
            return await store.find_agency_key(key_id)
        finally:
            await store.close()

    return asyncio.run(go())


def test_add_shows_the_key_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'store.sqlite3'}"
    result = runner.invoke(agency_app, ["add", "TCA", "--store-url", url])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    parsed = parse_key(token)
    assert parsed is not None
    record = find(url, parsed.key_id)
    assert record is not None and record.agency == "TCA" and record.revoked_at is None
    assert verify_secret(parsed.secret, record.key_hash) and parsed.secret not in record.key_hash
    assert parsed.secret.encode() not in (tmp_path / "db" / "store.sqlite3").read_bytes()
    second = runner.invoke(agency_app, ["add", "TCA", "--store-url", url]).stdout.strip().splitlines()[-1]
    assert second != token


def test_list_then_revoke(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    runner.invoke(agency_app, ["add", "TCA", "--store-url", url])
    runner.invoke(agency_app, ["add", "AFP", "--store-url", url])
    listed = runner.invoke(agency_app, ["list", "--store-url", url])
    assert listed.exit_code == 0 and "TCA" in listed.stdout and "AFP" in listed.stdout
    assert listed.stdout.count("active") == 2
    revoked = runner.invoke(agency_app, ["revoke", "TCA", "--store-url", url])
    assert revoked.exit_code == 0 and "revoked 1" in revoked.stdout
    listed = runner.invoke(agency_app, ["list", "--store-url", url])
    assert listed.stdout.count("active") == 1 and "revoked" in listed.stdout
    again = runner.invoke(agency_app, ["revoke", "TCA", "--store-url", url])
    assert again.exit_code == 1


def test_add_refuses_an_empty_name(tmp_path: Path) -> None:
    result = runner.invoke(agency_app, ["add", "  ", "--store-url", f"sqlite:///{tmp_path / 's.sqlite3'}"])
    assert result.exit_code == 2


def test_add_with_a_role_records_it_and_list_shows_it(tmp_path: Path) -> None:
    from pipeline.ingest.keys import role_of

    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    for role in ("reader", "operator"):
        result = runner.invoke(agency_app, ["add", f"{role}-holder", "--role", role, "--store-url", url])
        assert result.exit_code == 0, result.output
        parsed = parse_key(result.stdout.strip().splitlines()[-1])
        assert parsed is not None
        record = find(url, parsed.key_id)
        assert record is not None and role_of(record.key_hash) == role
        assert verify_secret(parsed.secret, record.key_hash)
    runner.invoke(agency_app, ["add", "TCA", "--store-url", url])
    listed = runner.invoke(agency_app, ["list", "--store-url", url]).stdout
    assert "reader" in listed and "operator" in listed and "agency" in listed
    wrong = runner.invoke(agency_app, ["add", "X", "--role", "admin", "--store-url", url])
    assert wrong.exit_code == 2 and "agency, reader, operator" in wrong.output

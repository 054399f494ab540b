"""The command line as a user runs it: `wirefeed process` on the seed, and the README's manual walk on the
embedded broker (`wirefeed run`, `wirefeed publish`, `wirefeed stories --country KG`, `wirefeed tail`)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator

from pipeline.broker.embedded import free_port
from schemas.export import EXPORT_DIR
from tests.paths import REPO, SEED
from tests.processes import stop_group

WIREFEED = [sys.executable, "-m", "pipeline"]


def wirefeed(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WIREFEED, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def test_process_seed_json_is_the_enriched_contract() -> None:
    done = wirefeed("process", str(SEED), "--agency", "TCA", "--json")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    doc = orjson.loads(lines[0])
    Draft202012Validator(orjson.loads((EXPORT_DIR / "EnrichedStory.json").read_bytes())).validate(doc)

    assert doc["headline"] == SEED.read_text(encoding="utf-8").splitlines()[0]
    assert doc["agency"] == "TCA"
    assert doc["byline"] == "Sergey Kwan"
    assert doc["dateline"]["place"] == "Bishkek" and doc["dateline"]["country"] == "KG"
    body = "\n".join(doc["body"])
    for junk in ("president.kg", "Sergey Kwan has worked", "divider", "View more articles", "Denmark",
                 "Polytechnic"):
        assert junk not in body, junk
    assert "“every effort”" in body  # typographic quotes kept
    codes = {c["code"] for c in doc["countries"]}
    assert {"KG", "RU", "CN", "KZ", "US"} <= codes and "DK" not in codes
    assert doc["focus_country"] == "KG"
    eaeu = next(b for b in doc["blocs"] if b["code"] == "EAEU")
    assert eaeu["explicit"] is True and {"KG", "RU", "KZ"} <= set(eaeu["members"])
    assert doc["dedupe"]["verdict"] == "new"


def test_process_rejects_with_reason_and_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"uri": "x", "headline": [[[')
    done = wirefeed("process", str(bad), "--format", "ninjs")
    assert done.returncode == 1
    assert "malformed_json" in done.stderr


def test_process_reads_stdin_and_renders_ninjs() -> None:
    done = subprocess.run([*WIREFEED, "process", "-", "--agency", "TCA", "--ninjs", "3.1"], cwd=REPO,
                          input=SEED.read_bytes(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    doc = orjson.loads(done.stdout)
    assert doc["uri"].startswith("urn:wirefeed:TCA:")


def start_run(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, dict[str, str]]:
    """`wirefeed run` on the embedded default with its data in ``tmp_path``: the process, its output file and the
    environment it got (no broker set)."""
    env = {**os.environ, "WIREFEED_DATA_DIR": str(tmp_path / "var"), "WIREFEED_API_PORT": str(free_port())}
    env.pop("WIREFEED_BROKER", None)
    out = tmp_path / "run.out"
    with out.open("wb") as sink:
        run = subprocess.Popen([*WIREFEED, "run"], cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT,
                               start_new_session=True)
    return run, out, env


@pytest.mark.slow
@pytest.mark.embedded
def test_readme_manual_walk_on_the_embedded_broker(tmp_path: Path) -> None:
    run, out, env = start_run(tmp_path)
    try:
        broker = None
        deadline = time.monotonic() + 60
        while broker is None and time.monotonic() < deadline:
            assert run.poll() is None, out.read_text()
            match = re.search(r"broker\s+(127\.0\.0\.1:\d+)", out.read_text())
            broker = match.group(1) if match else None
            time.sleep(0.2)
        assert broker, out.read_text()
        assert "embedded" in out.read_text()
        env["WIREFEED_BROKER"] = broker

        published = wirefeed("publish", "--agency", "TCA", str(SEED), env=env)
        assert published.returncode == 0, published.stderr

        found = ""
        deadline = time.monotonic() + 120
        while not found and time.monotonic() < deadline:
            found = wirefeed("stories", "--country", "KG", "--json", env=env).stdout.strip()
            time.sleep(0.5)
        assert found, out.read_text()
        story = orjson.loads(found.splitlines()[0])
        assert story["focus_country"] == "KG" and story["agency"] == "TCA"
        human = wirefeed("stories", "--country", "KG", env=env).stdout
        assert "Kyrgyzstan" in human and "EAEU" in human

        tail = wirefeed("tail", "wire.notifications", "--from-beginning", "--limit", "1", env=env, timeout=60)
        notice = orjson.loads(tail.stdout.splitlines()[0])
        assert notice["uri"] == story["uri"] and notice["verdict"] == "new"
    finally:
        stop_group(run, signal.SIGINT, timeout=30)
    assert "stopped" in out.read_text()


def _children(pid: int) -> set[int]:
    return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that does not reap it is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.embedded
@pytest.mark.skipif(sys.platform != "linux", reason="children die with their parent on Linux only")
@pytest.mark.parametrize("end", ["kill -9", "Ctrl-C twice"])
def test_no_process_outlives_wirefeed_run(tmp_path: Path, end: str) -> None:
    """However `wirefeed run` ends, the broker, workers and server it started end too."""
    run, out, _ = start_run(tmp_path)
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(started) < 3 and time.monotonic() < deadline:  # broker, worker, server
            assert run.poll() is None, out.read_text()
            started = _children(run.pid)
            time.sleep(0.2)
        assert len(started) == 3, (started, out.read_text())
        if end == "kill -9":
            run.kill()
        else:
            while "stops everything" not in out.read_text() and time.monotonic() < deadline + 60:
                time.sleep(0.1)  # from that line on, Ctrl-C stops the run (also where SIGINT came ignored)
            time.sleep(0.5)
            run.send_signal(signal.SIGINT)
            time.sleep(0.3)
            run.send_signal(signal.SIGINT)
        run.wait(timeout=60)
        deadline = time.monotonic() + 30
        while any(map(_alive, started)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [p for p in started if _alive(p)], out.read_text()
        if end != "kill -9":
            assert "stopped" in out.read_text()  # the clean-up ran whole
    finally:
        stop_group(run, signal.SIGKILL, timeout=10)
        for pid in started:  # what the run left (the broker has a session of its own)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.kafka
@pytest.mark.slow
async def test_publish_through_the_gateway_with_an_agency_key(kafka_bootstrap: str, tmp_path: Path) -> None:
    from pipeline.config import Settings
    from pipeline.ingest.app import serve_in_background
    from pipeline.server import create_server_app
    from pipeline.topics import RAW
    from schemas import RawSubmission
    from tests.integration.harness import read_topic

    prefix = f"t{os.getpid()}{time.monotonic_ns() % 100000}."
    env = {**os.environ, "WIREFEED_DATA_DIR": str(tmp_path), "WIREFEED_BROKER": kafka_bootstrap,
           "WIREFEED_TOPIC_PREFIX": prefix}
    added = wirefeed("agency", "add", "TCA", env=env)
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip().splitlines()[-1]
    settings = Settings(broker=kafka_bootstrap, data_dir=tmp_path, topic_prefix=prefix)
    from pipeline.broker.admin import ensure_topics

    await ensure_topics(settings)
    server = await serve_in_background(create_server_app(settings))
    try:
        done = await asyncio.to_thread(
            wirefeed, "publish", "--url", server.url, "--key", key, str(SEED), env=env)
        assert done.returncode == 0, done.stderr
        assert "agency TCA" in done.stderr
        refused = await asyncio.to_thread(
            wirefeed, "publish", "--url", server.url, "--key", key[:-3] + "xyz", str(SEED), env=env)
        assert refused.returncode == 1 and "401" in refused.stderr
    finally:
        await server.stop()
    [value] = await read_topic(kafka_bootstrap, f"{prefix}{RAW.name}")
    raw = RawSubmission.model_validate(orjson.loads(value))
    assert raw.agency == "TCA" and raw.payload == SEED.read_bytes()
    assert raw.content_type and raw.content_type.startswith("text/plain")

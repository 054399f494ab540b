"""Every Kafka client of the pipeline over SASL_SSL, configured only by ``WIREFEED_KAFKA_*`` settings.

A local Apache Kafka with a SASL_SSL listener (PLAIN and SCRAM users; a self-signed CA made by openssl in the
test) carries a story end to end: the CLI ``publish`` and the ingest gateway write to `wire.raw`, a worker process
(Faust) normalises, dedupes, enriches and stores them, and the lag monitor reads the group's lag. Wrong
credentials and a client without the CA are refused. ``pip-audit`` checks the installed packages.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipeline.config import KafkaSecurity, Settings
from pipeline.ingest.app import create_gateway_app, serve_in_background
from pipeline.ingest.keys import generate_key
from pipeline.ingest.publisher import PublishError, RawPublisher, make_submission
from pipeline.ops.lag import LagMonitor
from pipeline.sinks.store import open_store
from tests.faults.common import FaultRun, corpus_submissions, security_env, stored_rows
from tests.integration.harness import wait_until
from tests.paths import REPO, SEED
from tests.support.apache_kafka import SASL_USERS, ApacheKafkaCluster

pytestmark = [pytest.mark.slow, pytest.mark.kafka]


@pytest.fixture(scope="module")
def sasl_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApacheKafkaCluster]:
    from tests.fixtures.kafka import _libs_or_fail, _start_or_fail, kafka_test_version

    version = kafka_test_version()
    _libs_or_fail(version)
    cluster = ApacheKafkaCluster(nodes=1, version=version, workdir=tmp_path_factory.mktemp("kafka-sasl"), sasl_ssl=True)
    _start_or_fail(cluster)
    try:
        yield cluster
    finally:
        cluster.stop()


async def test_story_flows_end_to_end_over_sasl_ssl(
    sasl_cluster: ApacheKafkaCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    security = sasl_cluster.client_security("SCRAM-SHA-512")
    run = FaultRun(bootstrap=sasl_cluster.sasl_bootstrap, data_dir=tmp_path / "data", partitions=2, security=security)
    # In-process components read the same environment the worker processes get.
    for key, value in run.env.items():
        if key.startswith("WIREFEED_"):
            monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.kafka.security_protocol == "SASL_SSL" and settings.broker == sasl_cluster.sasl_bootstrap

    await run.create_topics()
    run.start_worker()
    try:
        # 1. The CLI.
        cli = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "pipeline", "publish", str(SEED), "--agency", "TCA"],
            cwd=REPO,
            env=run.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert cli.returncode == 0, cli.stderr
        # 2. The ingest gateway (its publisher), with an agency key in its own key store.
        keys = await open_store(f"sqlite:///{tmp_path / 'keys.sqlite3'}")
        key = generate_key()
        await keys.add_agency_key("AFP", key.key_id, key.key_hash)
        server = await serve_in_background(create_gateway_app(settings, keys))
        [story] = corpus_submissions(1, seed=5)
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                response = await http.post(
                    "/v1/stories",
                    content=story.payload,
                    headers={"X-API-Key": key.token, "Content-Type": story.content_type or ""},
                )
            assert response.status_code == 202, response.text
        finally:
            await server.stop()
            await keys.close()
        # 3. The worker stores both.
        rows = await wait_until(
            lambda: _at_least(stored_rows(run.settings.resolved_store_url), 2), 180, "both stories stored", run
        )
        assert len(rows) == 2
        # 4. The lag monitor sees the worker's group over SASL_SSL.
        async with LagMonitor(settings) as monitor:
            wanted = {run.topic("wire.raw"), run.topic("wire.enriched")}
            snap = await wait_until(lambda: _caught_up(monitor, wanted), 120, "lag 0", run)
        assert all(group.members and group.members >= 1 for group in snap.groups)
        assert {t.topic for group in snap.groups for t in group.topics} >= wanted
    finally:
        run.stop()
    assert "SaslAuthenticationFailed" not in run.logs() and "Traceback" not in run.logs()


@pytest.mark.parametrize("mechanism", list(SASL_USERS))
async def test_each_mechanism_authenticates_and_a_wrong_password_is_refused(
    sasl_cluster: ApacheKafkaCluster, mechanism: str
) -> None:
    good = sasl_cluster.client_settings(mechanism, topic_prefix="sec.")  # type: ignore[arg-type]
    async with RawPublisher(good) as pub:
        await pub.publish(make_submission(b"Headline\n\nBody text.", "TCA"))
    bad = good.model_copy(update={"kafka": good.kafka.model_copy(update={"sasl_password": "wrong"})})
    with pytest.raises(PublishError):
        async with RawPublisher(bad, request_timeout_ms=5000) as pub:
            await pub.publish(make_submission(b"Headline\n\nBody text.", "TCA"))


async def test_a_client_without_the_ca_does_not_connect(sasl_cluster: ApacheKafkaCluster) -> None:
    sec = sasl_cluster.client_security("SCRAM-SHA-256").model_copy(update={"ssl_cafile": None})
    settings = Settings(broker=sasl_cluster.sasl_bootstrap, kafka=sec)
    with pytest.raises(PublishError):
        async with RawPublisher(settings, request_timeout_ms=5000) as pub:
            await pub.publish(make_submission(b"Headline\n\nBody text.", "TCA"))


def test_security_env_round_trips_through_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sec = KafkaSecurity(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-256",
        sasl_username="u",
        sasl_password="s3cret-value",
        ssl_cafile=tmp_path / "ca.pem",
    )
    for key, value in security_env(sec).items():
        monkeypatch.setenv(key, value)
    assert Settings().kafka == sec
    # The password is kept out of reprs, and so out of logs.
    assert "s3cret-value" not in repr(Settings().kafka) + str(Settings())


#: Packages the pipeline runs on: an audit that did not check them checked nothing that matters.
CORE_PACKAGES = ("fastapi", "aiokafka", "pydantic", "orjson", "uvicorn", "faust-streaming")
#: Texts of pip-audit errors and skip reasons that mean the advisory database could not be reached.
OFFLINE_SIGNS = (
    "ConnectionError",
    "Max retries",
    "Name or service not known",
    "Temporary failure in name resolution",
    "ProxyError",
    "Connection refused",
    "timed out",
)


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")


def _advisory_answer(name: str, version: str | None) -> str | None:
    """None when PyPI's JSON API (pip-audit's default advisory source) answers for ``name==version``; else why
    it did not."""
    import urllib.error
    import urllib.request

    url = f"https://pypi.org/pypi/{name}/{version}/json" if version else f"https://pypi.org/pypi/{name}/json"
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return None if response.status == 200 else f"HTTP {response.status} from {url}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} from {url}"
    except OSError as exc:
        return f"{type(exc).__name__} for {url}"


def test_pip_audit_finds_no_known_vulnerable_package() -> None:
    """``pip-audit`` over the installed environment. It needs the advisory database from the network.

    It passes only when the packages were actually audited: a run in which every package (or one the pipeline
    runs on) was skipped fails, or skips with the reason when the database was unreachable.
    """
    exe = shutil.which("pip-audit", path=str(Path(sys.executable).parent)) or shutil.which("pip-audit")
    if exe is None:
        pytest.fail("pip-audit is not installed: pip install -e '.[test]'", pytrace=False)
    proc = subprocess.run(
        [exe, "--format", "json", "--progress-spinner", "off", "--skip-editable"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    if proc.returncode not in (0, 1):
        if any(s in proc.stderr for s in OFFLINE_SIGNS):
            pytest.skip(f"pip-audit cannot reach its advisory database: {proc.stderr.strip()[-300:]}")
        pytest.fail(f"pip-audit failed ({proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    dependencies = report["dependencies"]
    skipped = {_normal(d["name"]): d["skip_reason"] for d in dependencies if d.get("skip_reason")}
    audited = {_normal(d["name"]) for d in dependencies if not d.get("skip_reason")}
    unaudited_core = [name for name in CORE_PACKAGES if name not in audited]
    if not audited or unaudited_core:
        reasons = sorted(set(skipped.values()))[:3]
        summary = (
            f"{len(skipped)} of {len(dependencies)} packages not audited "
            f"(among them {unaudited_core or 'all'}): {reasons}"
        )
        # Ask the advisory database (PyPI's JSON API) directly about one package pip-audit skipped: when it does
        # not answer, the audit could not run here; when it does, pip-audit skipping the package is a failure.
        from importlib.metadata import PackageNotFoundError, version

        probe = next(iter(unaudited_core or sorted(skipped)))
        try:
            installed: str | None = version(probe)
        except PackageNotFoundError:
            installed = None
        answer = _advisory_answer(probe, installed)
        if answer is not None:
            pytest.skip(f"the advisory database does not answer for {probe} ({answer}); {summary}")
        pytest.fail(f"pip-audit audited nothing that matters although the database answers; {summary}")
    vulnerable = {d["name"]: [v["id"] for v in d["vulns"]] for d in dependencies if d.get("vulns")}
    assert not vulnerable, f"known-vulnerable packages installed: {vulnerable}"


async def _at_least(coro, n: int):  # type: ignore[no-untyped-def]
    values = await coro
    return values if len(values) >= n else None


async def _caught_up(monitor: LagMonitor, topics: set[str]):  # type: ignore[no-untyped-def]
    """The snapshot once the app's groups have committed on every one of ``topics`` and have no lag."""
    snap = await monitor.sample()
    committed = {t.topic for g in snap.groups for t in g.topics}
    return snap if committed >= topics and all(g.lag == 0 for g in snap.groups) else None

"""/metrics: every documented family is exported, parses with the Prometheus text parser, and lag gauges follow
the monitor's snapshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from pipeline.api.auth import Authenticator
from pipeline.config import Settings
from pipeline.ingest.keys import generate_key
from pipeline.ops import metrics
from pipeline.ops.lag import GroupLag, LagMonitor, LagSnapshot, PartitionLag, TopicEnds, TopicLag
from pipeline.ops.status import Status
from pipeline.ops.web import ops_router
from pipeline.sinks.store import open_store

REPO = Path(__file__).resolve().parents[3]
DOC = REPO / "docs" / "operations.md"


def documented_families() -> list[str]:
    """Family names listed in the metric table of docs/operations.md."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Metric families", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(wirefeed_[a-z0-9_]+)` \|", section, flags=re.M)


@contextmanager
def operator_client(tmp_path: Path, monitor: LagMonitor | None) -> Iterator[TestClient]:
    """A client of the ops routes carrying an operator key from a real SQLite key store."""
    auth = Authenticator(Settings())
    app = FastAPI()
    app.include_router(ops_router(monitor, auth))
    with TestClient(app) as c:
        store = c.portal.call(open_store, f"sqlite:///{tmp_path / 'keys.sqlite3'}")
        key = generate_key("operator")
        c.portal.call(store.add_agency_key, "ops", key.key_id, key.key_hash)
        auth.keys = store
        c.headers["X-API-Key"] = key.token
        try:
            yield c
        finally:
            c.portal.call(store.close)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with operator_client(tmp_path, None) as c:
        yield c


def scrape(client: TestClient) -> dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    out: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for fam in text_string_to_metric_families(resp.text):
        out[fam.name] = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in fam.samples}
    return out


def test_docs_list_exactly_the_exported_families() -> None:
    assert sorted(documented_families()) == sorted(metrics.FAMILIES)


def test_metrics_parse_and_contain_every_documented_family(client: TestClient) -> None:
    families = scrape(client)
    documented = documented_families()
    assert len(documented) >= 15
    missing = [f for f in documented if f not in families]
    assert missing == []


def test_helpers_count(client: TestClient) -> None:
    before = scrape(client)

    def value(fams: dict, family: str, sample: str, **labels: str) -> float:
        return fams.get(family, {}).get((sample, tuple(sorted(labels.items()))), 0.0)

    metrics.stage_processed("normalise", "ok", 0.002, count=3)
    metrics.dlq("normalise", "malformed_xml")
    metrics.dedupe_verdict("duplicate", 2)
    received = datetime.now(UTC) - timedelta(seconds=3)
    metrics.e2e_latencies("store", [received, received])
    metrics.sink_write("store", 0.01, records=2)
    metrics.gateway_request("test-agency", 202, 0.005)
    after = scrape(client)

    fam, s = "wirefeed_stage_messages", "wirefeed_stage_messages_total"
    assert (
        value(after, fam, s, stage="normalise", outcome="ok") - value(before, fam, s, stage="normalise", outcome="ok")
        == 3
    )
    fam, s = "wirefeed_dlq_messages", "wirefeed_dlq_messages_total"
    lbl = {"stage": "normalise", "reason": "malformed_xml"}
    assert value(after, fam, s, **lbl) - value(before, fam, s, **lbl) == 1
    fam, s = "wirefeed_dedupe_verdicts", "wirefeed_dedupe_verdicts_total"
    assert value(after, fam, s, verdict="duplicate") - value(before, fam, s, verdict="duplicate") == 2
    fam = "wirefeed_e2e_latency_seconds"
    n = value(after, fam, f"{fam}_count", sink="store") - value(before, fam, f"{fam}_count", sink="store")
    total = value(after, fam, f"{fam}_sum", sink="store") - value(before, fam, f"{fam}_sum", sink="store")
    assert n == 2 and 5.9 <= total < 60  # two stories about 3 s old
    # 3 s falls in the (2.5, 5] bucket: not in le=2.5, in le=5
    assert value(after, fam, f"{fam}_bucket", sink="store", le="2.5") == value(
        before, fam, f"{fam}_bucket", sink="store", le="2.5"
    )
    fam, s = "wirefeed_gateway_requests", "wirefeed_gateway_requests_total"
    assert (
        value(after, fam, s, agency="test-agency", status="202")
        - value(before, fam, s, agency="test-agency", status="202")
        == 1
    )
    fam = "wirefeed_gateway_last_submission_timestamp_seconds"
    assert value(after, fam, fam, agency="test-agency") == pytest.approx(datetime.now(UTC).timestamp(), abs=60)


def _snapshot(taken_at: float, partitions: dict[int, tuple[int, int, Status]]) -> LagSnapshot:
    parts = [
        PartitionLag(topic="wire.raw", partition=p, committed=c, end=e, lag=e - c, lag_seconds=float(e - c),
                     lag_seconds_source="record", status=st)
        for p, (c, e, st) in partitions.items()
    ]  # fmt: skip
    group = GroupLag(
        group="wirefeed-metrics-test", state="Stable", members=1,
        status=max((p.status for p in parts), default=Status.MISSING),
        lag=sum(p.lag for p in parts), lag_seconds=max((p.lag_seconds or 0.0 for p in parts), default=None),
        topics=[TopicLag(topic="wire.raw", stage="normalise", lag=sum(p.lag for p in parts), lag_seconds=None,
                         consume_rate=None, status=Status.OK)],
        partitions=parts,
    )  # fmt: skip
    ends = TopicEnds(topic="wire.raw", ends={p: e for p, (_, e, _) in partitions.items()}, produce_rate=None)
    return LagSnapshot(taken_at=taken_at, window_s=60, groups=[group], topics=[ends], dlq_topic="wire.dlq",
                       dlq_rate=None, rejections=[])  # fmt: skip


def test_lag_gauges_follow_snapshots(client: TestClient) -> None:
    metrics.update_lag(_snapshot(1000.0, {0: (5, 12, Status.STALL), 1: (7, 7, Status.OK)}))
    fams = scrape(client)
    key = (("group", "wirefeed-metrics-test"), ("partition", "0"), ("topic", "wire.raw"))
    assert fams["wirefeed_consumer_lag"][("wirefeed_consumer_lag", key)] == 7
    assert fams["wirefeed_consumer_lag_seconds"][("wirefeed_consumer_lag_seconds", key)] == 7.0
    assert fams["wirefeed_consumer_committed_offset"][("wirefeed_consumer_committed_offset", key)] == 5
    assert fams["wirefeed_consumer_partition_status"][("wirefeed_consumer_partition_status", key)] == Status.STALL
    group_key = (("group", "wirefeed-metrics-test"),)
    assert fams["wirefeed_consumer_group_status"][("wirefeed_consumer_group_status", group_key)] == Status.STALL
    assert (
        fams["wirefeed_lag_monitor_last_sample_timestamp_seconds"][
            ("wirefeed_lag_monitor_last_sample_timestamp_seconds", ())
        ]
        == 1000.0
    )

    # partition 1 disappears (e.g. reassigned away): its series go, partition 0 is updated
    metrics.update_lag(_snapshot(1005.0, {0: (12, 12, Status.OK)}))
    fams = scrape(client)
    lag = fams["wirefeed_consumer_lag"]
    assert lag[("wirefeed_consumer_lag", key)] == 0
    gone = (("group", "wirefeed-metrics-test"), ("partition", "1"), ("topic", "wire.raw"))
    assert ("wirefeed_consumer_lag", gone) not in lag


def test_page_and_assets_are_served(client: TestClient) -> None:
    login = client.get("/ops", headers={"X-API-Key": ""})
    assert login.status_code == 401 and 'action="/session"' in login.text
    page = client.get("/ops")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for src in re.findall(r'(?:src|href)="(/ops/static/[^"]+)"', page.text):
        asset = client.get(src)
        assert asset.status_code == 200 and len(asset.content) > 100, src
    assert client.get("/ops/static/../web.py").status_code == 404
    assert client.get("/ops/static/secret.txt").status_code == 404


def test_lag_apis_without_a_monitor_answer_503(client: TestClient) -> None:
    assert client.get("/ops/api/snapshot").status_code == 503
    assert client.get("/ops/api/history").status_code == 503


def test_unreachable_broker_counts_an_error_and_keeps_metrics_up(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a loopback port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with operator_client(tmp_path, LagMonitor(Settings(broker=f"127.0.0.1:{port}"))) as client:
        before = scrape(client)["wirefeed_lag_monitor_errors"][("wirefeed_lag_monitor_errors_total", ())]
        after = scrape(client)["wirefeed_lag_monitor_errors"][("wirefeed_lag_monitor_errors_total", ())]
        assert after == before + 1
        snap = client.get("/ops/api/snapshot")
    # The kind of failure, not the driver's text (which names hosts and ports).
    assert snap.status_code == 503 and "KafkaConnectionError" in snap.json()["detail"]
    assert f"127.0.0.1:{port}" not in snap.text and str(port) not in snap.json()["detail"].split("incident")[0]


def test_cli_reports_an_unreachable_broker_in_one_line() -> None:
    import socket

    from typer.testing import CliRunner

    from pipeline.ops.cli import lag_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(lag_app, ["--broker", f"127.0.0.1:{port}", "--json"])
    assert result.exit_code == 1
    assert "lag: KafkaConnectionError" in result.output and "Traceback" not in result.output

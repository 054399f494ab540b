"""The operator page in headless Chromium, fed by a real LagMonitor watching a running pipeline on Apache Kafka.

Needs Debian's chromium + chromium-driver (``deploy/chromium/setup.sh``). Saves ``test-artifacts/ops-page.png``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from pipeline.api.auth import session_router
from pipeline.codec import encode
from pipeline.ops.lag import LagMonitor
from pipeline.ops.status import StatusPolicy
from pipeline.ops.web import ops_router
from pipeline.sinks.store import open_store
from pipeline.topics import DLQ, RAW, STAGE_INPUTS, consumer_group, stage_group
from schemas import Rejection
from tests.apikeys import authenticator, issue_key
from tests.integration.harness import PipelineRun, wait_until
from tests.paths import REPO, SEED

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ARTIFACTS = REPO / "test-artifacts"
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1400,1300",
)


@pytest.fixture
def pipeline(kafka_bootstrap: str, tmp_path: Path) -> Iterator[PipelineRun]:
    run = PipelineRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data")
    yield run
    run.stop()


@dataclass(frozen=True)
class OpsServer:
    url: str
    #: An operator key from the server's key store.
    key: str


@pytest.fixture
async def ops_server(pipeline: PipelineRun, tmp_path: Path) -> AsyncIterator[OpsServer]:
    """The ops router (and the login form's route) on a free loopback port, with a LagMonitor on the pipeline's
    groups and a real SQLite key store holding one operator key."""
    monitor = LagMonitor(pipeline.settings, policy=StatusPolicy(window_s=20, min_span_s=10))
    keys = await open_store(f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    key = await issue_key(keys, "ops", "operator")
    auth = authenticator(keys)
    app = FastAPI()
    app.include_router(ops_router(monitor, auth, interval_s=1.0))
    app.include_router(session_router(auth))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(300):
            if server.started:
                break
            await asyncio.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield OpsServer(f"http://127.0.0.1:{port}", key)
    finally:
        server.should_exit = True
        await task
        await monitor.close()
        await keys.close()


async def _has_messages(consumer: AIOKafkaConsumer, topic: str, partitions: int) -> bool:
    ends = await consumer.end_offsets([TopicPartition(topic, p) for p in range(partitions)])
    return sum(ends.values()) > 0


def _chrome_or_fail() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.fail("chromium / chromedriver missing: run deploy/chromium/setup.sh", pytrace=False)
    return browser, driver


def _browse(url: str, key: str, app_id: str, stages: set[str], shot: Path) -> dict[str, object]:
    """Log in with the key, load the page, wait for live data, read what it shows, save a screenshot (blocking:
    run in a thread)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser, driver_path = _chrome_or_fail()
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    profile = tempfile.mkdtemp(prefix="ops-chromium-")
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=driver_path))
    try:
        driver.get(url)
        wait = WebDriverWait(driver, 60, poll_frequency=0.25)
        # Without a session the page is the login form; the key is entered once, then the cookie carries it.
        assert not driver.find_elements(By.ID, "status-table")
        driver.find_element(By.ID, "api-key").send_keys(key)
        driver.find_element(By.ID, "login").click()
        wait.until(lambda d: d.find_elements(By.ID, "status-table"))
        # live data: several snapshots over SSE and chart points for the pipeline's stages
        wait.until(lambda d: int(d.find_element(By.TAG_NAME, "body").get_attribute("data-snapshots") or 0) >= 4)
        rows_css = f'#status-table tr[data-group^="{app_id}"]'
        wait.until(
            lambda d: stages <= {r.get_attribute("data-stage") for r in d.find_elements(By.CSS_SELECTOR, rows_css)}
        )
        wait.until(lambda d: "malformed_xml" in d.find_element(By.ID, "rejections").text)
        rows = driver.find_elements(By.CSS_SELECTOR, f'#status-table tr[data-group^="{app_id}"]')
        charts = {
            cid: (
                len(driver.find_elements(By.CSS_SELECTOR, f"#{cid} canvas")),
                int(driver.find_element(By.ID, cid).get_attribute("data-series") or 0),
                int(driver.find_element(By.ID, cid).get_attribute("data-points") or 0),
                driver.find_element(By.ID, cid).text,
            )
            for cid in ("chart-lag", "chart-rate", "chart-dlq")
        }
        result = {
            "stages": sorted({r.get_attribute("data-stage") for r in rows}),
            "statuses": [r.find_element(By.CSS_SELECTOR, ".badge").text for r in rows],
            "conn": driver.find_element(By.ID, "conn").text,
            "charts": charts,
            "rejections": driver.find_element(By.ID, "rejections").text,
        }
        shot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(shot))
        return result
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


async def test_operator_page_on_the_running_pipeline(pipeline: PipelineRun, ops_server: OpsServer) -> None:
    """The real worker processes the seed and a broken submission; the page shows its stages and the rejection."""
    _chrome_or_fail()
    await pipeline.create_topics()
    pipeline.start_worker()
    await pipeline.publish(SEED.read_bytes(), "TCA", content_type="text/plain; charset=utf-8")
    await pipeline.publish(b"<nitf><head><title>cut", "BADCO", format_hint="nitf", content_type="application/xml")
    probe = AIOKafkaConsumer(bootstrap_servers=pipeline.bootstrap, group_id=None)
    await probe.start()
    try:
        dlq = pipeline.topic(DLQ)
        await wait_until(lambda: _has_messages(probe, dlq, pipeline.partitions), 90, "a rejection", pipeline)
    finally:
        await probe.stop()
    await _check_page(ops_server, pipeline, {"normalise", "dedupe"}, "ops-page.png")


async def test_operator_page_with_busy_consumer_groups(pipeline: PipelineRun, ops_server: OpsServer) -> None:
    """Consumer groups on the pipeline's topics with traffic flowing: lag, throughput and DLQ charts fill up."""
    _chrome_or_fail()
    await pipeline.create_topics()
    s = pipeline.settings
    stop = asyncio.Event()
    # one group per stage loop, as the worker names them, each reading its stage's first input
    tasks = [
        asyncio.create_task(_stage(pipeline.bootstrap, stage_group(s.app_id, stage), [pipeline.topic(inputs[0])],
                                   stop))
        for stage, inputs in STAGE_INPUTS.items()
    ]
    tasks.append(asyncio.create_task(_traffic(pipeline, stop)))
    try:
        await _check_page(ops_server, pipeline, {"normalise", "dedupe", "sink"}, "ops-page-traffic.png")
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def _stage(bootstrap: str, group: str, topics: list[str], stop: asyncio.Event) -> None:
    """A consumer group that reads slowly and commits after each batch (so it lags a little)."""
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
        auto_offset_reset="earliest", max_poll_records=5,
    )  # fmt: skip
    await consumer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=5)
            if batch:
                await consumer.commit()
            await asyncio.sleep(0.2)
    finally:
        await consumer.stop()


async def _traffic(run: PipelineRun, stop: asyncio.Event) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=run.bootstrap)
    await producer.start()
    try:
        i = 0
        while not stop.is_set():
            for spec in (inputs[0] for inputs in STAGE_INPUTS.values()):  # what each stage group reads
                await producer.send(run.topic(spec), b"{}", key=f"k{i}".encode())
            if i % 10 == 0:
                rej = Rejection(stage="normalise", reason="malformed_xml", message=f"line 1: unclosed tag ({i})",
                                submission_id=f"sub-{i}", agency="BADCO", rejected_at=datetime.now(UTC),
                                original=b"<nitf><head>")  # fmt: skip
                await producer.send(run.topic(DLQ), encode(rej), key=f"sub-{i}".encode())
            i += 1
            await asyncio.sleep(0.05)
    finally:
        await producer.stop()


async def _check_page(ops: OpsServer, run: PipelineRun, stages: set[str], shot_name: str) -> None:
    app_id = run.settings.app_id
    shown = await asyncio.to_thread(_browse, f"{ops.url}/ops", ops.key, app_id, stages, ARTIFACTS / shot_name)

    assert shown["conn"] == "live"
    seen = shown["stages"]
    assert isinstance(seen, list)
    assert stages <= set(seen), seen
    assert set(shown["statuses"]) <= {"OK", "WARN", "REWIND", "STALL", "STOP"}  # type: ignore[arg-type]
    charts = shown["charts"]
    assert isinstance(charts, dict)
    for cid, (canvases, series, points, _text) in charts.items():
        assert canvases >= 1, cid
        assert points >= 2, cid
        assert series >= (1 if cid == "chart-dlq" else len(stages)), (cid, series)
    for stage in stages:
        assert stage in charts["chart-lag"][3] and stage in charts["chart-rate"][3], stage
    assert "BADCO" in str(shown["rejections"])
    assert (ARTIFACTS / shot_name).stat().st_size > 10_000

    # /metrics on the same server carries the monitor's gauges for the group that reads `wire.raw`
    async with httpx.AsyncClient(base_url=ops.url) as client:
        assert (await client.get("/metrics")).status_code == 401
        text = (await client.get("/metrics", headers={"X-API-Key": ops.key})).text
    lag = {
        (s.labels["topic"], s.labels["partition"]): s.value
        for fam in text_string_to_metric_families(text)
        if fam.name == "wirefeed_consumer_lag"
        for s in fam.samples
        if s.labels["group"] == consumer_group(app_id, RAW)
    }
    assert any(topic == run.topic(RAW) for topic, _ in lag), lag
    assert all(v >= 0 for v in lag.values())

"""Reading needs a key: the whole server (gateway, read API, operator pages) on the embedded broker and SQLite.

Each role is tried on each endpoint: no key and unknown keys get 401, a revoked key 403, a key of the wrong
role 403; an agency sees its own rejections only and never another agency's submission ids.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from pipeline.api.auth import SESSION_COOKIE
from pipeline.codec import encode
from pipeline.config import Settings
from pipeline.ingest.app import serve_in_background
from pipeline.server import create_server_app
from pipeline.sinks.store import Store
from pipeline.topics import DLQ, topic_name
from schemas import Rejection
from tests.apikeys import issue_key
from tests.security.conftest import Service

#: Every endpoint that reads something (GET), and who may read it.
READ_ENDPOINTS: dict[str, set[str]] = {
    "/stories": {"agency", "reader", "operator"},
    "/stories/urn:bbb:story:42": {"agency", "reader", "operator"},
    "/clusters/cl-urn:bbb:story:42": {"agency", "reader", "operator"},
    "/v1/rejections": {"agency", "operator"},
    "/ops": {"operator"},
    "/ops/api/snapshot": {"operator"},
    "/ops/api/history": {"operator"},
    "/ops/api/stream": {"operator"},
    "/metrics": {"operator"},
    "/openapi.json": {"agency", "reader", "operator"},
    "/docs": {"agency", "reader", "operator"},
}


@dataclass
class Server:
    url: str
    store: Store
    settings: Settings
    keys: dict[str, str]


@pytest.fixture
async def server(embedded_bootstrap: str, service: Service) -> AsyncIterator[Server]:
    settings, store = await service(embedded_bootstrap, gateway_key_cache_seconds=0)
    keys = {
        "agency": await issue_key(store, "AAA", "agency"),
        "other_agency": await issue_key(store, "BBB", "agency"),
        "reader": await issue_key(store, "newsroom", "reader"),
        "operator": await issue_key(store, "ops", "operator"),
        "revoked": await issue_key(store, "gone", "reader"),
    }
    await store.revoke_agency("gone")
    running = await serve_in_background(create_server_app(settings))
    try:
        yield Server(running.url, store, settings, keys)
    finally:
        await running.stop()


async def status_of(http: httpx.AsyncClient, path: str, key: str | None) -> int:
    headers = {"X-API-Key": key} if key else {}
    async with http.stream("GET", path, headers=headers) as response:  # the SSE stream never ends by itself
        return response.status_code


async def test_every_read_is_refused_without_a_valid_key(server: Server) -> None:
    unknown = "wf_aaaaaaaaaaaaaaaa_" + "A" * 43
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for path in READ_ENDPOINTS:
            assert await status_of(http, path, None) == 401, path
            assert await status_of(http, path, unknown) == 401, path
            assert await status_of(http, path, "not-a-key") == 401, path
            assert await status_of(http, path, server.keys["revoked"]) == 403, path
            bearer = await http.get(path, headers={"Authorization": "Bearer " + unknown})
            assert bearer.status_code == 401, path
        # Liveness probes stay open (they say nothing about stories).
        assert (await http.get("/healthz")).status_code == 200


async def test_each_role_reaches_exactly_its_endpoints(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for path, allowed in READ_ENDPOINTS.items():
            for role in ("agency", "reader", "operator"):
                status = await status_of(http, path, server.keys[role])
                if role in allowed:
                    assert status in (200, 404), (path, role, status)
                else:
                    assert status == 403, (path, role, status)
        # Only an agency key submits stories: a reader or operator key cannot write.
        for role in ("reader", "operator"):
            posted = await http.post(
                "/v1/stories", content=b"HEADLINE\n\nbody", headers={"X-API-Key": server.keys[role],
                                                                   "Content-Type": "text/plain"}
            )
            assert posted.status_code == 403 and posted.json()["error"]["code"] == "forbidden", role


async def test_a_browser_session_is_per_role_and_never_submits(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        login = await http.get("/ops")
        assert login.status_code == 401 and 'action="/session"' in login.text and "consumer" not in login.text.lower()
        refused = await http.post("/session", data={"key": "wf_nope", "next": "/ops"})
        assert refused.status_code == 401 and SESSION_COOKIE not in http.cookies
        # A reader's session opens the docs but not the operator page.
        done = await http.post("/session", data={"key": server.keys["reader"], "next": "/docs"})
        assert done.status_code == 303 and done.headers["location"] == "/docs"
        assert (await http.get("/docs")).status_code == 200
        assert (await http.get("/ops")).status_code == 403
        assert (await http.get("/ops/api/history")).status_code == 403
        # An agency's session cookie is not accepted for a write (only a header key is).
        http.cookies.clear()
        await http.post("/session", data={"key": server.keys["agency"], "next": "/stories"})
        assert SESSION_COOKIE in http.cookies
        posted = await http.post("/v1/stories", content=b"HEADLINE\n\nbody", headers={"Content-Type": "text/plain"})
        assert posted.status_code == 401
        # No open redirect after login.
        away = await http.post("/session", data={"key": server.keys["reader"], "next": "//evil.example/x"})
        assert away.status_code == 303 and away.headers["location"] == "/ops"


async def test_agencies_see_only_their_own_rejections_and_no_foreign_ids(server: Server) -> None:
    now = datetime.now(UTC)
    mine, theirs = f"sub-aaa-{uuid.uuid4().hex}", f"sub-bbb-{uuid.uuid4().hex}"
    rejections = [
        Rejection(stage="normalise", reason="malformed_xml", message="line 1: unclosed tag", submission_id=sid,
                  agency=agency, rejected_at=now, original=b"<nitf><head>")
        for sid, agency in ((mine, "AAA"), (theirs, "BBB"))
    ]  # fmt: skip
    await server.store.write_rejections(rejections)
    # The same rejections on the DLQ topic, where the operator page reads its recent ones from.
    producer = AIOKafkaProducer(bootstrap_servers=server.settings.broker)
    await producer.start()
    try:
        for r in rejections:
            await producer.send_and_wait(
                topic_name(DLQ, server.settings.topic_prefix), encode(r), key=(r.submission_id or "").encode()
            )
    finally:
        await producer.stop()

    aaa = {"X-API-Key": server.keys["agency"]}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        own = await http.get("/v1/rejections", headers=aaa)
        assert own.status_code == 200
        assert [r["submission_id"] for r in own.json()] == [mine]
        assert (await http.get("/v1/rejections", params={"agency": "BBB"}, headers=aaa)).status_code == 403
        everyone = await http.get("/v1/rejections", headers={"X-API-Key": server.keys["operator"]})
        assert {r["submission_id"] for r in everyone.json()} == {mine, theirs}
        only_bbb = await http.get(
            "/v1/rejections", params={"agency": "BBB"}, headers={"X-API-Key": server.keys["operator"]}
        )
        assert [r["submission_id"] for r in only_bbb.json()] == [theirs]
        # Nothing an agency key can read names the other agency's submission.
        for path in READ_ENDPOINTS:
            if path == "/ops/api/stream":
                continue
            body = (await http.get(path, headers=aaa)).text
            assert theirs not in body, path

"""The ingest gateway over real HTTP (uvicorn), a real key store (SQLite) and real Apache Kafka.

Every status code of the API, read back from `wire.raw` where a write is expected (or must not happen).
"""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
import pytest

from pipeline.broker.embedded import free_port
from pipeline.ingest.idempotency import derive_submission_id
from tests.integration.ingest.conftest import GatewayFactory, GatewayUnderTest
from tests.paths import SAMPLES, SEED

pytestmark = pytest.mark.kafka


def load(path: Path) -> bytes:
    return path.read_bytes()


def error_code(response: object) -> str:
    return str(response.json()["error"]["code"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("sample", "content_type", "hint", "agency"),
    [
        (SEED, "text/plain; charset=utf-8", "text", "TCA"),
        (SAMPLES / "NTB_nitf_sample.xml", "application/xml", "auto", "NTB"),
        (SAMPLES / "TT_newsmlg2_sample.xml", "application/vnd.iptc.g2.newsmessage+xml", "newsml-g2", "TT"),
        (SAMPLES / "004_simple_text_article.json", "application/json", "ninjs", "TCA"),
    ],
)
async def test_202_only_once_the_envelope_is_on_wire_raw(
    gateway: GatewayUnderTest, sample: Path, content_type: str, hint: str, agency: str
) -> None:
    if agency != "TCA":
        gateway.key = await gateway.new_key(agency)  # the sample names its agency: send it with that key
    payload = load(sample)
    response = await gateway.post(payload, content_type)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["agency"] == agency and body["format_hint"] == hint and not body["flagged"]
    (raw,) = await gateway.raw_messages()
    assert raw.submission_id == body["submission_id"]
    assert raw.agency == agency and raw.format_hint == hint and raw.content_type == content_type
    assert raw.payload == payload and raw.claimed_agency is None


async def test_bearer_token_works_like_x_api_key(gateway: GatewayUnderTest) -> None:
    response = await gateway.http.post(
        "/v1/stories",
        content=SEED.read_bytes(),
        headers={"Authorization": f"Bearer {gateway.key}", "Content-Type": "text/plain"},
    )
    assert response.status_code == 202
    assert [r.submission_id for r in await gateway.raw_messages()] == [response.json()["submission_id"]]


@pytest.mark.parametrize(
    ("body", "content_type", "headers", "code"),
    [
        (b"", "text/plain", {}, "empty_body"),
        (b"\xff\xfe not utf-8 \xfa", "text/plain; charset=utf-8", {}, "undecodable"),
        (b'{"uri": "x", ', "application/json", {}, "malformed_json"),
        (b"<nitf><head></nitf>", "application/xml", {}, "malformed_xml"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "application/xml", {}, "unsafe_xml"),
        (b"HEADLINE\n\nBody.", "text/plain", {"Idempotency_Key": "has spaces in it"}, "bad_idempotency_key"),
    ],
)
async def test_400_malformed_writes_nothing(
    gateway: GatewayUnderTest, body: bytes, content_type: str, headers: dict[str, str], code: str
) -> None:
    response = await gateway.post(body, content_type, **headers)
    assert response.status_code == 400
    assert error_code(response) == code and response.json()["error"]["retryable"] is False
    assert await gateway.raw_messages() == []


async def test_401_without_key_with_garbage_unknown_or_wrong_secret(gateway: GatewayUnderTest) -> None:
    body = SEED.read_bytes()
    no_key = await gateway.http.post("/v1/stories", content=body, headers={"Content-Type": "text/plain"})
    assert no_key.status_code == 401 and error_code(no_key) == "missing_api_key"
    prefix, key_id, secret = gateway.key.split("_", 2)
    wrong_secret = f"{prefix}_{key_id}_{secret[::-1]}"
    unknown_id = f"{prefix}_{'a' * 16}_{secret}"
    for token in ("not-a-key", unknown_id, wrong_secret):
        response = await gateway.http.post(
            "/v1/stories", content=body, headers={"X-API-Key": token, "Content-Type": "text/plain"}
        )
        assert response.status_code == 401 and error_code(response) == "invalid_api_key", token
    assert await gateway.raw_messages() == []


async def test_403_after_the_agency_is_revoked(kafka_bootstrap: str, gateway_factory: GatewayFactory) -> None:
    gw = await gateway_factory(kafka_bootstrap, gateway_key_cache_seconds=0)
    assert (await gw.post(SEED.read_bytes())).status_code == 202
    assert await gw.store.revoke_agency("TCA") == 1
    response = await gw.post(SEED.read_bytes())
    assert response.status_code == 403 and error_code(response) == "revoked_api_key"
    assert len(await gw.raw_messages()) == 1


async def test_413_too_large_single_and_batch(kafka_bootstrap: str, gateway_factory: GatewayFactory) -> None:
    gw = await gateway_factory(kafka_bootstrap, max_payload_bytes=1000)
    ok = await gw.post(b"HEADLINE\n\n" + b"x" * 900)
    assert ok.status_code == 202
    too_big = await gw.post(b"HEADLINE\n\n" + b"x" * 1000)
    assert too_big.status_code == 413 and error_code(too_big) == "too_large"
    batch = await gw.http.post(
        "/v1/stories:batch",
        json={"items": [{"content_type": "text/plain", "body": "H\n\n" + "x" * 9000}]},
        headers={"X-API-Key": gw.key},
    )
    assert batch.status_code == 413
    item_too_big = await gw.http.post(
        "/v1/stories:batch",
        json={"items": [{"content_type": "text/plain", "body": "H\n\n" + "x" * 1500}]},
        headers={"X-API-Key": gw.key},
    )
    assert item_too_big.status_code == 200 and item_too_big.json()["items"][0]["status"] == 413
    assert [r.submission_id for r in await gw.raw_messages()] == [ok.json()["submission_id"]]


@pytest.mark.parametrize("content_type", [None, "image/png", "application/octet-stream"])
async def test_415_unknown_or_missing_type(gateway: GatewayUnderTest, content_type: str | None) -> None:
    response = await gateway.post(SEED.read_bytes(), content_type)
    assert response.status_code == 415 and error_code(response) == "unsupported_media_type"
    assert await gateway.raw_messages() == []


async def test_429_over_the_agency_rate_with_retry_after(kafka_bootstrap: str, gateway_factory: GatewayFactory) -> None:
    gw = await gateway_factory(kafka_bootstrap, gateway_rate_per_second=0.01, gateway_rate_burst=2)
    statuses = [(await gw.post(SEED.read_bytes())).status_code for _ in range(2)]
    refused = await gw.post(SEED.read_bytes())
    assert statuses == [202, 202]
    assert refused.status_code == 429 and error_code(refused) == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1 and refused.json()["error"]["retryable"] is True
    # Another agency has its own bucket.
    gw.key = await gw.new_key("AFP")
    assert (await gw.post(b"PARIS (AFP) - Headline\n\nBody.")).status_code == 202
    assert len(await gw.raw_messages()) == 3


async def test_503_when_the_broker_is_unreachable(gateway_factory: GatewayFactory) -> None:
    dead = f"127.0.0.1:{free_port()}"
    gw = await gateway_factory(dead, create_topics=False, gateway_publish_timeout_ms=500)
    response = await gw.post(SEED.read_bytes(), Idempotency_Key="k-503")
    assert response.status_code == 503 and error_code(response) == "broker_unavailable"
    assert response.json()["error"]["retryable"] is True
    assert (await gw.http.get("/readyz")).status_code == 503
    assert (await gw.http.get("/healthz")).status_code == 200


async def test_spoofed_agency_is_flagged_and_stored_under_the_key_agency(gateway: GatewayUnderTest) -> None:
    spoof = b"PARIS (AFP) - Somebody else's story\n\nBody text."
    response = await gateway.post(spoof)
    assert response.status_code == 202
    assert response.json()["flagged"] is True and response.json()["claimed_agency"] == "AFP"
    (raw,) = await gateway.raw_messages()
    assert raw.agency == "TCA" and raw.claimed_agency == "AFP"
    own = await gateway.post(SEED.read_bytes())  # names TCA itself: not flagged
    assert own.status_code == 202 and own.json()["flagged"] is False


async def test_spoofed_agency_is_refused_under_refuse_policy(
    kafka_bootstrap: str, gateway_factory: GatewayFactory
) -> None:
    gw = await gateway_factory(kafka_bootstrap, spoof_policy="refuse")
    ninjs = orjson.dumps({"uri": "urn:x:1", "headline": "H", "body_text": "B", "copyrightHolder": "Reuters"})
    response = await gw.post(ninjs, "application/json")
    assert response.status_code == 403 and error_code(response) == "agency_mismatch"
    assert await gw.raw_messages() == []


async def test_idempotency_key_replays_and_409_on_a_different_body(gateway: GatewayUnderTest) -> None:
    first = await gateway.post(SEED.read_bytes(), Idempotency_Key="story-1")
    again = await gateway.post(SEED.read_bytes(), Idempotency_Key="story-1")
    other = await gateway.post(b"OTHER\n\nbody", Idempotency_Key="story-1")
    assert first.status_code == again.status_code == 202
    assert first.json()["submission_id"] == again.json()["submission_id"] == derive_submission_id("TCA", "story-1")
    assert again.json()["replayed"] is True and first.json()["replayed"] is False
    assert other.status_code == 409 and error_code(other) == "idempotency_key_reused"
    assert [r.submission_id for r in await gateway.raw_messages()] == [first.json()["submission_id"]]


async def test_batch_gives_a_result_per_item_and_writes_only_the_good_ones(gateway: GatewayUnderTest) -> None:
    items = [
        {"content_type": "text/plain", "body": SEED.read_text(), "idempotency_key": "b-1"},
        {"content_type": "image/png", "body_base64": "iVBORw0KGgo="},
        {"content_type": "application/json", "body": "{broken"},
        {
            "content_type": "application/xml",
            "body_base64": base64.b64encode((SAMPLES / "afp.com_newsml1.2_sample.xml").read_bytes()).decode(),
        },
        {"content_type": "text/plain", "body": "x", "body_base64": "eA=="},
    ]
    response = await gateway.http.post("/v1/stories:batch", json={"items": items}, headers={"X-API-Key": gateway.key})
    assert response.status_code == 200, response.text
    result = response.json()
    assert [i["status"] for i in result["items"]] == [202, 415, 400, 202, 400]
    assert result["accepted"] == 2 and result["rejected"] == 3
    assert result["items"][0]["result"]["submission_id"] == derive_submission_id("TCA", "b-1")
    assert result["items"][3]["result"]["flagged"] is True  # an AFP document sent with TCA's key
    on_topic = {r.submission_id: r for r in await gateway.raw_messages()}
    assert set(on_topic) == {
        result["items"][0]["result"]["submission_id"],
        result["items"][3]["result"]["submission_id"],
    }
    assert on_topic[result["items"][3]["result"]["submission_id"]].claimed_agency == "afp.com"


async def test_batch_422_401_and_429_refuse_the_whole_request(
    kafka_bootstrap: str, gateway_factory: GatewayFactory
) -> None:
    gw = await gateway_factory(kafka_bootstrap, gateway_rate_per_second=0.01, gateway_rate_burst=3)
    headers = {"X-API-Key": gw.key}
    bad = await gw.http.post("/v1/stories:batch", content=b'{"items": "no"}', headers=headers)
    assert bad.status_code == 422 and error_code(bad) == "bad_batch"
    anon = await gw.http.post("/v1/stories:batch", json={"items": [{"content_type": "text/plain", "body": "x"}]})
    assert anon.status_code == 401
    four = [{"content_type": "text/plain", "body": f"H{i}\n\nbody"} for i in range(4)]
    first = await gw.http.post("/v1/stories:batch", json={"items": four[:3]}, headers=headers)
    assert first.status_code == 200 and first.json()["accepted"] == 3
    limited = await gw.http.post("/v1/stories:batch", json={"items": four[3:]}, headers=headers)
    assert limited.status_code == 429
    assert len(await gw.raw_messages()) == 3


async def test_health_ready_and_openapi_documents_auth_and_every_error(gateway: GatewayUnderTest) -> None:
    assert (await gateway.http.get("/healthz")).json() == {"status": "ok"}
    assert (await gateway.http.get("/readyz")).status_code == 200
    assert (await gateway.http.get("/openapi.json")).status_code == 401
    docs = await gateway.http.get("/docs", headers={"X-API-Key": gateway.key})
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = (await gateway.http.get("/openapi.json", headers={"X-API-Key": gateway.key})).json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": schemes["ApiKey"]["description"],
    }
    assert schemes["Bearer"]["scheme"] == "bearer"
    for path, codes in {
        "/v1/stories": {"202", "400", "401", "403", "409", "413", "415", "429", "503"},
        "/v1/stories:batch": {"200", "401", "403", "413", "422", "429"},
    }.items():
        op = spec["paths"][path]["post"]
        assert {"ApiKey": []} in op["security"] and {"Bearer": []} in op["security"]
        assert codes <= set(op["responses"]), path
        for code in codes - {"200", "202"}:
            ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorResponse")
    story_body = spec["paths"]["/v1/stories"]["post"]["requestBody"]["content"]
    assert {"text/plain", "application/json", "application/xml"} <= set(story_body)

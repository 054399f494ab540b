"""The HTTP read API over a real store (SQLite and PostgreSQL), through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from store_factory import T0, duplicate, kill, story

from pipeline.api.read import read_router
from pipeline.sinks.store import Store
from schemas import EnrichedStory
from tests.apikeys import authenticator, issue_key


@pytest.fixture
async def client(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    await store.write_batch(
        [
            story("urn:tca:kg-1", minutes=0, agency="TCA", countries=("KG", "RU"), focus="KG", blocs=("EAEU",),
                  headline="Kyrgyz president vows partnership with Russia"),
            story("urn:tass:ru-1", minutes=10, agency="TASS", countries=("RU", "KG"), focus="RU", blocs=("EAEU",),
                  verdict="near_duplicate", cluster="cl-urn:tca:kg-1", headline="Russia welcomes Kyrgyz pledge"),
            story("https://dpa.example/de/1", minutes=20, agency="DPA", countries=("DE",), focus="DE", blocs=("EU",),
                  headline="Berlin budget talks", verdict="update"),
            story("urn:tca:kg-1", 2, minutes=30, agency="TCA", countries=("KG", "RU"), focus="KG", blocs=("EAEU",),
                  headline="Kyrgyz president vows strategic partnership with Russia", verdict="update"),
            story("urn:aki:gone", minutes=40, agency="AKI", countries=("KG",), focus="KG", blocs=()),
            kill("urn:aki:gone", 2, minutes=45, agency="AKI"),
        ]
    )  # fmt: skip
    await store.write_duplicates([duplicate("urn:afp:copy", "cl-urn:tca:kg-1", minutes=1)])
    app = FastAPI()
    app.include_router(read_router(lambda: store, authenticator(store)))
    headers = {"X-API-Key": await issue_key(store, "newsroom", "reader")}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers) as c:
        yield c


async def listed(client: httpx.AsyncClient, **params: Any) -> list[str]:
    r = await client.get("/stories", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["next_cursor"] is None
    return [EnrichedStory.model_validate(s).uri for s in body["items"]]


async def test_list_newest_first_without_withdrawn(client: httpx.AsyncClient) -> None:
    assert await listed(client) == ["urn:tca:kg-1", "https://dpa.example/de/1", "urn:tass:ru-1"]
    assert (await listed(client, include_withdrawn="true"))[0] == "urn:aki:gone"


async def test_every_filter(client: httpx.AsyncClient) -> None:
    assert await listed(client, country="KG") == ["urn:tca:kg-1", "urn:tass:ru-1"]
    assert await listed(client, country="kg", focus_only="true") == ["urn:tca:kg-1"]
    assert await listed(client, country=["DE", "RU"], focus_only="true") == [
        "https://dpa.example/de/1",
        "urn:tass:ru-1",
    ]
    assert await listed(client, bloc="EU") == ["https://dpa.example/de/1"]
    assert await listed(client, agency=["TASS", "DPA"]) == ["https://dpa.example/de/1", "urn:tass:ru-1"]
    assert await listed(client, verdict="near_duplicate") == ["urn:tass:ru-1"]
    assert await listed(client, cluster="cl-urn:tca:kg-1") == ["urn:tca:kg-1", "urn:tass:ru-1"]
    since = (T0 + timedelta(minutes=10)).isoformat()
    until = (T0 + timedelta(minutes=30)).isoformat()
    assert await listed(client, since=since, until=until) == ["https://dpa.example/de/1", "urn:tass:ru-1"]
    assert await listed(client, q="strategic partnership") == ["urn:tca:kg-1"]
    assert await listed(client, q="kyrgyz", agency="TASS") == ["urn:tass:ru-1"]


async def test_pagination_follows_next_cursor(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 1, "include_withdrawn": "true"}
    for _ in range(10):
        r = await client.get("/stories", params=params)
        assert r.status_code == 200
        body = r.json()
        seen += [s["uri"] for s in body["items"]]
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == ["urn:aki:gone", "urn:tca:kg-1", "https://dpa.example/de/1", "urn:tass:ru-1"]


async def test_bad_requests(client: httpx.AsyncClient) -> None:
    assert (await client.get("/stories", params={"cursor": "garbage"})).status_code == 400
    first = (await client.get("/stories", params={"limit": 1})).json()
    r = await client.get("/stories", params={"limit": 1, "agency": "TCA", "cursor": first["next_cursor"]})
    assert r.status_code == 400
    assert (await client.get("/stories", params={"limit": 0})).status_code == 422
    assert (await client.get("/stories", params={"verdict": "maybe"})).status_code == 422
    assert (await client.get("/stories", params={"since": "2017-11-28T09:00:00"})).status_code == 422  # naive


async def test_get_story_with_history(client: httpx.AsyncClient) -> None:
    r = await client.get("/stories/urn:tca:kg-1")
    assert r.status_code == 200
    body = r.json()
    assert body["story"]["version"] == 2 and body["withdrawn"] is False
    assert [v["version"] for v in body["versions"]] == [1, 2]
    EnrichedStory.model_validate(body["story"])
    r = await client.get("/stories/https://dpa.example/de/1")  # a uri with slashes
    assert r.status_code == 200 and r.json()["story"]["agency"] == "DPA"
    gone = (await client.get("/stories/urn:aki:gone")).json()
    assert gone["withdrawn"] is True and gone["withdrawn_at"].startswith("2017-11-28T09:45")
    assert (await client.get("/stories/urn:nope")).status_code == 404


async def test_get_cluster(client: httpx.AsyncClient) -> None:
    r = await client.get("/clusters/cl-urn:tca:kg-1")
    assert r.status_code == 200
    body = r.json()
    assert body["cluster_id"] == "cl-urn:tca:kg-1"
    assert [(m["kind"], m["uri"]) for m in body["members"]] == [
        ("duplicate", "urn:afp:copy"),
        ("story", "urn:tass:ru-1"),
        ("story", "urn:tca:kg-1"),
    ]
    assert (await client.get("/clusters/cl-nothing")).status_code == 404


async def test_openapi_lists_the_endpoints(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    paths = doc["paths"]
    assert set(paths) >= {"/stories", "/stories/{uri}", "/clusters/{cluster_id}"}
    params = {p["name"] for p in paths["/stories"]["get"]["parameters"]}
    assert params >= {"country", "focus_only", "bloc", "agency", "verdict", "cluster", "since", "until", "q",
                      "include_withdrawn", "limit", "cursor"}  # fmt: skip
    assert "StoryPage" in doc["components"]["schemas"]
    assert "EnrichedStory" in doc["components"]["schemas"]
    assert (await client.get("/docs")).status_code == 200

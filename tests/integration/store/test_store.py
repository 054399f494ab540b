"""The storage suite. Every test runs against SQLite and against a real PostgreSQL server (fixture ``store``)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_factory import T0, duplicate, kill, rejection, story

from pipeline.sinks.store import (
    AgencyKeyExistsError,
    InvalidCursorError,
    Store,
    StoryQuery,
    open_store,
    upgrade,
)
from pipeline.sinks.store.migrations import migrations
from schemas import EnrichedStory


async def snapshot(store: Store) -> dict[str, Any]:
    """Everything the read side can see, as plain data."""
    page = await store.query(StoryQuery(include_withdrawn=True, limit=500))
    out: dict[str, Any] = {"count": await store.count_stories(), "list": [s.model_dump() for s in page.items]}
    for s in page.items:
        h = await store.get_story(s.uri)
        assert h is not None
        out[s.uri] = h.model_dump()
    return out


async def uris(store: Store, **filters: Any) -> list[str]:
    page = await store.query(StoryQuery(limit=500, **filters))
    assert page.next_cursor is None
    return [s.uri for s in page.items]


# --- migrations ----------------------------------------------------------------------------------------------


async def test_migrations_run_once(store: Store, store_url: str) -> None:
    backend = "sqlite" if store_url.startswith("sqlite") else "postgres"
    assert migrations(backend), "no migrations found"
    assert await upgrade(store_url) == []  # open_store already applied them all
    again = await open_store(store_url)
    await again.close()


# --- writes --------------------------------------------------------------------------------------------------


async def test_round_trip_returns_the_contract(store: Store) -> None:
    assert isinstance(store, Store)
    s = story("urn:tca:1", body=("First paragraph.", "Second “quoted” paragraph."))
    res = await store.write_batch([s])
    assert (res.inserted, res.ignored, res.superseded, res.replaced, res.withdrawn) == (1, 0, 0, 0, 0)
    got = await store.get_story("urn:tca:1")
    assert got is not None
    assert got.story == s
    assert got.versions == [s]
    assert got.withdrawn is False and got.withdrawn_at is None
    assert await store.count_stories() == 1


async def test_empty_batch(store: Store) -> None:
    res = await store.write_batch([])
    assert res.inserted == res.ignored == 0
    assert await store.count_stories() == 0


async def test_replay_changes_nothing(store: Store) -> None:
    batch = [
        story("a", 1, minutes=1),
        story("a", 2, minutes=2, headline="Update on the president"),
        story("b", 1, minutes=3, countries=("DE",), focus="DE", blocs=("EU",)),
        kill("b", 2, minutes=4),
        story("c", 3, minutes=5),
        story("c", 1, minutes=0),
    ]
    first = await store.write_batch(batch)
    assert first.inserted == 6 and first.ignored == 0
    before = await snapshot(store)
    again = await store.write_batch(batch)
    assert (again.inserted, again.ignored, again.replaced, again.superseded, again.withdrawn) == (0, 6, 0, 0, 0)
    one_by_one = [await store.write_batch([s]) for s in reversed(batch)]
    assert sum(r.ignored for r in one_by_one) == 6
    assert await snapshot(store) == before


async def test_same_version_twice_in_one_batch(store: Store) -> None:
    res = await store.write_batch([story("a", 1), story("a", 1)])
    assert (res.inserted, res.ignored) == (1, 1)


async def test_newer_version_replaces_current_and_its_tags(store: Store) -> None:
    await store.write_batch([story("a", 1, headline="Quake hits Bishkek", countries=("KG",), blocs=("EAEU",))])
    res = await store.write_batch(
        [story("a", 2, minutes=5, headline="Floods in Berlin", countries=("DE",), focus="DE", blocs=("EU",))]
    )
    assert (res.inserted, res.replaced, res.superseded) == (1, 1, 0)
    got = await store.get_story("a")
    assert got is not None and got.story.version == 2 and got.story.headline == "Floods in Berlin"
    assert [v.version for v in got.versions] == [1, 2]
    assert await uris(store, countries=["KG"]) == []
    assert await uris(store, countries=["DE"]) == ["a"]
    assert await uris(store, blocs=["EAEU"]) == []
    assert await uris(store, blocs=["EU"]) == ["a"]
    assert await uris(store, text="quake") == []
    assert await uris(store, text="floods") == ["a"]


async def test_older_version_never_replaces_newer(store: Store) -> None:
    await store.write_batch([story("a", 3, minutes=30, headline="Third version")])
    res = await store.write_batch([story("a", 1, headline="First version"), story("a", 2, headline="Second")])
    assert (res.inserted, res.superseded, res.replaced) == (2, 2, 0)
    got = await store.get_story("a")
    assert got is not None
    assert got.story.version == 3 and got.story.headline == "Third version"
    assert [v.version for v in got.versions] == [1, 2, 3]
    assert [v.headline for v in got.versions] == ["First version", "Second", "Third version"]
    assert await uris(store, text="first") == []


@pytest.mark.parametrize("how", ["verdict", "signal", "pubstatus"])
async def test_kill_marks_current_story_withdrawn(store: Store, how: str) -> None:
    await store.write_batch([story("a", 1, headline="Original headline"), story("b", 1, minutes=1)])
    res = await store.write_batch([kill("a", 2, minutes=10, how=how)])
    assert (res.inserted, res.withdrawn) == (1, 1)
    got = await store.get_story("a")
    assert got is not None
    assert got.withdrawn is True
    assert got.withdrawn_at == T0 + timedelta(minutes=10)
    assert got.story.headline == "Original headline"  # content stays; the kill notice is in the history
    assert [v.version for v in got.versions] == [1, 2]
    assert await uris(store) == ["b"]
    assert await uris(store, include_withdrawn=True) == ["b", "a"]
    assert await store.count_stories() == 2


async def test_kill_before_the_story_arrives(store: Store) -> None:
    res = await store.write_batch([kill("a", 2)])
    assert res.withdrawn == 1
    got = await store.get_story("a")
    assert got is not None and got.withdrawn
    res = await store.write_batch([story("a", 1, headline="The real story")])
    assert res.replaced == 1 and res.withdrawn == 0
    got = await store.get_story("a")
    assert got is not None
    assert got.withdrawn and got.story.headline == "The real story" and got.story.version == 1


async def test_a_newer_version_after_a_kill_reinstates(store: Store) -> None:
    await store.write_batch([story("a", 1), kill("a", 2)])
    await store.write_batch([story("a", 3, minutes=90, headline="Reissued")])
    got = await store.get_story("a")
    assert got is not None
    assert not got.withdrawn and got.withdrawn_at is None and got.story.headline == "Reissued"
    assert await uris(store) == ["a"]


async def test_final_state_does_not_depend_on_arrival_order(store: Store) -> None:
    versions = [story("x", 1, headline="v one"), story("x", 2, headline="v two", minutes=5), kill("x", 3)]
    states = []
    for i, perm in enumerate(itertools.permutations(versions)):
        uri = f"perm-{i}"
        batch = [v.model_copy(update={"uri": uri}) for v in perm]
        for s in batch:  # one story per batch: every arrival order is a different write sequence
            await store.write_batch([s])
        got = await store.get_story(uri)
        assert got is not None
        states.append((got.story.version, got.story.headline, got.withdrawn, [v.version for v in got.versions]))
    assert states == [(2, "v two", True, [1, 2, 3])] * 6


# --- filters -------------------------------------------------------------------------------------------------


@pytest.fixture
async def corpus(store: Store) -> Store:
    await store.write_batch(
        [
            story("kg-1", minutes=0, agency="TCA", countries=("KG", "RU"), focus="KG", blocs=("EAEU",)),
            story("ru-1", minutes=10, agency="TASS", countries=("RU", "KG"), focus="RU", blocs=("EAEU",),
                  verdict="near_duplicate", cluster="cl-kg-1"),
            story("de-1", minutes=20, agency="DPA", countries=("DE", "FR"), focus="DE", blocs=("EU",)),
            story("cn-1", minutes=30, agency="Xinhua", countries=("CN", "KZ", "RU"), focus="CN", blocs=("SCO",),
                  verdict="update"),
            story("br-1", minutes=40, agency="TCA", countries=("BR",), focus="BR", blocs=()),
            story("none-1", minutes=50, agency="AKI", countries=(), focus=None, blocs=(), verdict="correction"),
        ]
    )  # fmt: skip
    return store


async def test_filter_country_any_mention(corpus: Store) -> None:
    assert await uris(corpus, countries=["KG"]) == ["ru-1", "kg-1"]
    assert await uris(corpus, countries=["RU"]) == ["cn-1", "ru-1", "kg-1"]
    assert await uris(corpus, countries=["kg", "de"]) == ["de-1", "ru-1", "kg-1"]
    assert await uris(corpus, countries=["US"]) == []


async def test_filter_country_focus_only(corpus: Store) -> None:
    assert await uris(corpus, countries=["KG"], focus_only=True) == ["kg-1"]
    assert await uris(corpus, countries=["RU"], focus_only=True) == ["ru-1"]
    assert await uris(corpus, countries=["KZ"], focus_only=True) == []
    assert await uris(corpus, countries=["KZ"]) == ["cn-1"]


async def test_filter_bloc(corpus: Store) -> None:
    assert await uris(corpus, blocs=["EAEU"]) == ["ru-1", "kg-1"]
    assert await uris(corpus, blocs=["EU", "SCO"]) == ["cn-1", "de-1"]
    assert await uris(corpus, blocs=["ASEAN"]) == []


async def test_filter_agency(corpus: Store) -> None:
    assert await uris(corpus, agencies=["TCA"]) == ["br-1", "kg-1"]
    assert await uris(corpus, agencies=["DPA", "AKI"]) == ["none-1", "de-1"]


async def test_filter_verdict_and_cluster(corpus: Store) -> None:
    assert await uris(corpus, verdicts=["update", "correction"]) == ["none-1", "cn-1"]
    assert await uris(corpus, verdicts=["near_duplicate"]) == ["ru-1"]
    assert await uris(corpus, cluster="cl-kg-1") == ["ru-1", "kg-1"]
    assert await uris(corpus, cluster="cl-nothing") == []


async def test_filter_since_until(corpus: Store) -> None:
    t = T0 + timedelta(minutes=20)
    assert await uris(corpus, since=t) == ["none-1", "br-1", "cn-1", "de-1"]  # since is inclusive
    assert await uris(corpus, until=t) == ["ru-1", "kg-1"]  # until is exclusive
    assert await uris(corpus, since=t, until=t + timedelta(minutes=20)) == ["cn-1", "de-1"]


async def test_filters_combine(corpus: Store) -> None:
    assert await uris(corpus, countries=["RU"], agencies=["TASS", "Xinhua"], blocs=["EAEU"]) == ["ru-1"]
    assert await uris(corpus, countries=["RU"], text="president", since=T0 + timedelta(minutes=5)) == [
        "cn-1",
        "ru-1",
    ]


# --- full-text search ----------------------------------------------------------------------------------------


async def test_text_search_ranks_headline_and_frequency(store: Store) -> None:
    await store.write_batch(
        [
            story("body-once", minutes=3, headline="Markets close higher", body=("Talks on uranium exports.",)),
            story("headline", minutes=1, headline="Uranium deal signed in Astana", body=("Kazakhstan uranium.",)),
            story("unrelated", minutes=2, headline="Football results", body=("Nothing about that metal.",)),
            story("body-many", minutes=4, headline="Mining report",
                  body=("Uranium output rose.", "Uranium prices fell.", "Uranium mines reopened.")),
        ]
    )  # fmt: skip
    ranked = await uris(store, text="uranium")
    assert set(ranked) == {"headline", "body-many", "body-once"}
    assert ranked[0] == "headline"
    assert ranked.index("body-many") < ranked.index("body-once")


async def test_text_search_words_and_phrases(store: Store) -> None:
    await store.write_batch(
        [
            story("a", headline="Strategic partnership with Russia", body=("Signed today.",)),
            story("b", minutes=1, headline="Partnership talks", body=("A strategic review of Russia ties.",)),
            story("c", minutes=2, headline="Weather", body=("Snow in Bishkek.",)),
        ]
    )
    assert set(await uris(store, text="strategic russia")) == {"a", "b"}
    assert await uris(store, text='"strategic partnership"') == ["a"]
    assert await uris(store, text="BISHKEK") == ["c"]
    assert await uris(store, text="bishkek moscow") == []


@pytest.mark.parametrize("text", ['AND OR NOT "', "-foo* (bar", "NEAR(a b)", "*", "'; DROP TABLE stories; --"])
async def test_text_search_accepts_any_input(store: Store, text: str) -> None:
    await store.write_batch([story("a", headline="foo bar and stories")])
    page = await store.query(StoryQuery(text=text))
    assert all(isinstance(s, EnrichedStory) for s in page.items)
    assert await store.count_stories() == 1


# --- pagination ----------------------------------------------------------------------------------------------


async def walk(store: Store, q: StoryQuery) -> list[list[str]]:
    pages: list[list[str]] = []
    while True:
        page = await store.query(q)
        pages.append([s.uri for s in page.items])
        if page.next_cursor is None:
            return pages
        q = q.model_copy(update={"cursor": page.next_cursor})


@pytest.mark.parametrize("text", [None, "president"])
async def test_pagination_has_no_gaps_or_repeats(store: Store, text: str | None) -> None:
    # 23 stories, in groups of 3 sharing a versioncreated (ties are broken by uri).
    await store.write_batch([story(f"s-{i:02d}", minutes=i // 3) for i in range(23)])
    full = (await store.query(StoryQuery(text=text, limit=500))).items
    assert len(full) == 23
    pages = await walk(store, StoryQuery(text=text, limit=5))
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    flat = [u for p in pages for u in p]
    assert flat == [s.uri for s in full]
    assert len(set(flat)) == 23
    if text is None:
        times = [s.versioncreated for s in full]
        assert times == sorted(times, reverse=True)


async def test_pagination_exact_multiple_and_new_arrivals(store: Store) -> None:
    await store.write_batch([story(f"s-{i}", minutes=i) for i in range(10)])
    first = await store.query(StoryQuery(limit=5))
    assert [s.uri for s in first.items] == [f"s-{i}" for i in range(9, 4, -1)]
    # a newer story arriving between pages does not shift the next page
    await store.write_batch([story("late", minutes=100)])
    second = await store.query(StoryQuery(limit=5, cursor=first.next_cursor))
    assert [s.uri for s in second.items] == [f"s-{i}" for i in range(4, -1, -1)]
    assert second.next_cursor is None


async def test_cursor_is_checked(store: Store) -> None:
    await store.write_batch([story(f"s-{i}", minutes=i) for i in range(3)])
    page = await store.query(StoryQuery(limit=1, agencies=["TCA"]))
    assert page.next_cursor
    with pytest.raises(InvalidCursorError):
        await store.query(StoryQuery(limit=1, agencies=["DPA"], cursor=page.next_cursor))
    with pytest.raises(InvalidCursorError):
        await store.query(StoryQuery(limit=1, text="president", agencies=["TCA"], cursor=page.next_cursor))
    with pytest.raises(InvalidCursorError):
        await store.query(StoryQuery(cursor="not-a-cursor"))


# --- clusters, duplicates, rejections ------------------------------------------------------------------------


async def test_cluster_lists_stories_and_duplicates(store: Store) -> None:
    await store.write_batch(
        [story("orig", minutes=0, cluster="cl-1"), story("near", minutes=5, cluster="cl-1", verdict="near_duplicate"),
         story("other", minutes=1, cluster="cl-2")]
    )  # fmt: skip
    dups = [duplicate("copy-1", "cl-1", minutes=2), duplicate("copy-2", "cl-1", minutes=3, agency="AFP")]
    await store.write_duplicates(dups)
    await store.write_duplicates(dups)  # idempotent
    members = await store.get_cluster("cl-1")
    assert [(m.kind, m.uri) for m in members] == [
        ("story", "orig"),
        ("duplicate", "copy-1"),
        ("duplicate", "copy-2"),
        ("story", "near"),
    ]
    assert members[1].duplicate_of == "cl-1@1" and members[1].similarity == 1.0
    assert members[3].verdict == "near_duplicate"
    assert await store.get_cluster("cl-none") == []
    await store.write_batch([kill("orig", 2)])
    assert (await store.get_cluster("cl-1"))[0].withdrawn is True


async def test_rejections_are_idempotent_and_queryable(store: Store) -> None:
    rs = [
        rejection("sub-1", minutes=1),
        rejection("sub-1", stage="normalise", reason="unsafe_xml", minutes=2),
        rejection(None, stage="ingest", reason="bad_envelope", original=b"\x00garbage", minutes=3),
    ]
    await store.write_rejections(rs)
    await store.write_rejections(rs)
    await store.write_rejections([rejection(None, stage="ingest", reason="bad_envelope", original=b"\x00garbage")])
    got = await store.list_rejections()
    assert [(r.submission_id, r.reason) for r in got] == [(None, "bad_envelope"), ("sub-1", "unsafe_xml"),
                                                          ("sub-1", "malformed_xml")]  # fmt: skip
    assert got[0].original == b"\x00garbage"
    assert got[2] == rs[0]
    assert [r.reason for r in await store.list_rejections(stage="ingest")] == ["bad_envelope"]
    assert [r.stage for r in await store.list_rejections(reason="unsafe_xml")] == ["normalise"]
    assert len(await store.list_rejections(limit=1)) == 1
    other = rejection("sub-9", minutes=4).model_copy(update={"agency": "AFP"})
    await store.write_rejections([other])
    assert [r.submission_id for r in await store.list_rejections(agency="AFP")] == ["sub-9"]
    assert "sub-9" not in {r.submission_id for r in await store.list_rejections(agency="TCA")}


# --- agency keys ---------------------------------------------------------------------------------------------


async def test_agency_keys(store: Store) -> None:
    assert await store.find_agency_key("k1") is None
    await store.add_agency_key("TCA", "k1", "hash-1")
    await store.add_agency_key("TCA", "k2", "hash-2")
    await store.add_agency_key("AKI", "k3", "hash-3")
    await store.add_agency_key("TCA", "k1", "hash-1")  # same call again: no-op
    with pytest.raises(AgencyKeyExistsError):
        await store.add_agency_key("AKI", "k1", "hash-x")
    key = await store.find_agency_key("k1")
    assert key is not None
    assert (key.agency, key.key_id, key.key_hash, key.revoked_at) == ("TCA", "k1", "hash-1", None)
    assert key.created_at.tzinfo is not None and key.active
    assert [(k.agency, k.key_id) for k in await store.list_agencies()] == [("AKI", "k3"), ("TCA", "k1"), ("TCA", "k2")]
    assert await store.revoke_agency("TCA") == 2
    assert await store.revoke_agency("TCA") == 0
    assert await store.revoke_agency("nobody") == 0
    revoked = await store.find_agency_key("k2")
    assert revoked is not None and revoked.revoked_at is not None and not revoked.active
    assert revoked.revoked_at >= revoked.created_at
    still = await store.find_agency_key("k3")
    assert still is not None and still.active


# --- the write rules against a reference model -----------------------------------------------------------------

_counter = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.lists(st.tuples(st.integers(1, 6), st.booleans()), min_size=1, max_size=8),
    batch_size=st.integers(1, 4),
)
async def test_write_rules_match_the_model(store: Store, events: list[tuple[int, bool]], batch_size: int) -> None:
    """Any arrival order and batching of versions and kills ends in the state the rules describe."""
    uri = f"prop-{next(_counter)}"  # the store is shared by the examples; each example uses its own uri
    items = [kill(uri, v, minutes=v) if k else story(uri, v, headline=f"version {v}", minutes=v) for v, k in events]
    seen: dict[int, EnrichedStory] = {}
    for s in items:
        seen.setdefault(s.version, s)  # the first arrival of a version wins; later ones are replays
    inserted = 0
    for i in range(0, len(items), batch_size):
        res = await store.write_batch(items[i : i + batch_size])
        assert res.inserted + res.ignored == len(items[i : i + batch_size])
        inserted += res.inserted
    assert inserted == len(seen)

    content = [v for v, s in seen.items() if s.dedupe.verdict != "kill"]
    kills = [v for v, s in seen.items() if s.dedupe.verdict == "kill"]
    current = max(content) if content else max(kills)
    got = await store.get_story(uri)
    assert got is not None
    assert got.story == seen[current]
    assert got.withdrawn == (bool(kills) and max(kills) >= current)
    assert [v.version for v in got.versions] == sorted(seen)
    assert got.versions == [seen[v] for v in sorted(seen)]


# --- several processes on one database -------------------------------------------------------------------------


async def test_concurrent_openers_migrate_once(store_url: str) -> None:
    """Several workers starting at once on a fresh database: every one opens, migrations apply once."""
    stores = await asyncio.gather(*(open_store(store_url) for _ in range(3)))
    try:
        assert await upgrade(store_url) == []
        await stores[0].write_batch([story("a")])
        assert [await s.count_stories() for s in stores] == [1, 1, 1]
    finally:
        for s in stores:
            await s.close()


async def test_a_second_store_sees_committed_writes(store: Store, store_url: str) -> None:
    """The sink writes through one store and the read API reads through another (another process in production)."""
    reader = await open_store(store_url)
    try:
        assert await reader.get_story("a") is None
        await store.write_batch([story("a", 1), story("b", 1, minutes=1)])
        assert [s.uri for s in (await reader.query(StoryQuery())).items] == ["b", "a"]
        await store.write_batch([kill("a", 2)])
        got = await reader.get_story("a")
        assert got is not None and got.withdrawn
    finally:
        await reader.close()


async def test_control_characters_are_stored_as_received(store: Store) -> None:
    """NUL and other control characters (PostgreSQL text and jsonb refuse raw NUL) must not block a batch."""
    s = story("nul", headline="Head\x00line \x01 with controls", body=("Body \x00 text about uranium.",))
    r = rejection("sub-nul", original=b"\x00\xff")
    r.message = "bad \x00 byte"
    assert (await store.write_batch([s])).inserted == 1
    await store.write_rejections([r])
    await store.write_duplicates([duplicate("dup-nul", "cl-d").model_copy(update={"headline": "a\x00b"})])
    got = await store.get_story("nul")
    assert got is not None and got.story == s
    assert await uris(store, text="uranium") == ["nul"]
    assert (await store.list_rejections())[0] == r
    assert (await store.get_cluster("cl-d"))[0].headline == "a\x00b"


async def test_a_very_large_story_is_stored_and_searchable(store: Store) -> None:
    """A body near the gateway's 2 MB limit (PostgreSQL caps a tsvector at 1 MB): stored whole, still found."""
    words = [f"w{i:x}q" for i in range(250_000)]
    body = [" ".join(words[i : i + 1000]) for i in range(0, len(words), 1000)]
    s = story("big", headline="Giant report on uranium", body=body)
    assert (await store.write_batch([s])).inserted == 1
    got = await store.get_story("big")
    assert got is not None and got.story == s
    assert await uris(store, text="uranium") == ["big"]
    assert await uris(store, text="w10q") == ["big"]  # a word near the start of the body

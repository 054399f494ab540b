"""The gazetteer snapshot and its cache file: the same gazetteer back, never a stale or broken one."""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
import threading
from pathlib import Path

import pytest

from pipeline import gazetteer_cache
from pipeline.config import Settings
from pipeline.stages.enrich import snapshot, tag
from pipeline.stages.enrich.gazetteer import DATA_DIR, Entry, Gazetteer, load_gazetteer
from tests.unit.enrich.enrich_support import make_story

SNIPPETS = [
    make_story("Ministers meet in Bishkek", "Kyrgyzstan and Kazakhstan signed a transit deal with China."),
    make_story("Georgia votes", "Voters in Tbilisi went to the polls; Jordan Smith reported from Atlanta."),
    make_story("EU talks", "The European Union and Mercosur resumed talks in Brussels on Monday."),
    make_story("Россия и Казахстан", "Министры России и Казахстана встретились в Астане.", language="ru"),
]


def _same(a: Gazetteer, b: Gazetteer) -> None:
    assert a.keys == b.keys
    assert a.key_entries == b.key_entries
    assert a.entries_by_surface == b.entries_by_surface
    assert a.plans == b.plans
    assert (a.surfaces, a.longest, a.country_names, a.rules) == (b.surfaces, b.longest, b.country_names, b.rules)
    assert a.blocs.keys() == b.blocs.keys()
    for code, bloc in a.blocs.items():  # Bloc compares by identity
        assert dataclasses.astuple(bloc) == dataclasses.astuple(b.blocs[code])


@pytest.fixture(scope="module")
def packaged() -> Gazetteer:
    return load_gazetteer()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A small data dir of a few names (the packaged rules and blocs): what the cache does does not depend on the
    gazetteer's size, and it builds in milliseconds."""
    small = tmp_path / "data"
    small.mkdir()
    for name in ("rules.yaml", "blocs.yaml"):
        shutil.copy(DATA_DIR / name, small / name)
    (small / "countries.tsv").write_text(
        "# code\tname\taliases\tdemonyms\n"
        "KG\tKyrgyzstan\tKyrgyz Republic|ru:Киргизия\tKyrgyz\n"
        "KZ\tKazakhstan\t\tKazakh\n",
        "utf-8",
    )
    (small / "places.tsv").write_text("Bishkek\tKG\tcapital\n", "utf-8")
    (small / "not_places.tsv").write_text("Kazakh Khanate\tthing\n", "utf-8")
    (small / "geonames_places.tsv").write_text("Osh\tKG\tcity\t300000\n", "utf-8")
    return small


def test_snapshot_gives_the_same_gazetteer_and_tags(packaged: Gazetteer) -> None:
    loaded = snapshot.loads(snapshot.dumps(packaged))
    _same(loaded, packaged)
    assert not loaded.views and not loaded.automata
    entry = loaded.key_entries[0][0]
    assert type(entry) is Entry and entry == packaged.key_entries[0][0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.surface = "x"  # type: ignore[misc]
    for story in SNIPPETS:
        assert tag(story, loaded) == tag(story, packaged)


def test_snapshot_refuses_other_classes() -> None:
    import pickle
    import struct

    names = tuple(f.name for f in dataclasses.fields(Entry))
    head = pickle.dumps((names, tuple([] for _ in names)))
    body = pickle.dumps(Path("/"))
    with pytest.raises(pickle.UnpicklingError, match="pathlib"):
        snapshot.loads(struct.pack("<Q", len(head)) + head + body)


def test_fingerprint_follows_the_data(tmp_path: Path) -> None:
    before = snapshot.fingerprint(DATA_DIR)
    other = tmp_path / "data"
    shutil.copytree(DATA_DIR, other, ignore=shutil.ignore_patterns("__pycache__"))
    assert snapshot.fingerprint(other) == before  # the same content, wherever it is
    (other / "rules.yaml").write_text((other / "rules.yaml").read_text("utf-8") + "\n# changed\n", "utf-8")
    assert snapshot.fingerprint(other) != before
    (other / "rules.yaml").unlink()
    assert snapshot.fingerprint(other) != before


def test_hit_after_a_build(data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = gazetteer_cache.load(cache, data)
    assert first.source == "built"
    assert [p.name for p in cache.iterdir()] == [f"gazetteer-{snapshot.fingerprint(data)}.bin"]
    second = gazetteer_cache.load(cache, data)
    assert second.source == "cache"
    _same(second.gazetteer, first.gazetteer)
    assert second.gazetteer.lookup("Bishkek")[0].code == "KG"


def test_prime_makes_it_the_stages_gazetteer(packaged: Gazetteer, tmp_path: Path) -> None:
    from pipeline.stages.enrich import gazetteer

    (tmp_path / f"gazetteer-{snapshot.fingerprint()}.bin").write_bytes(b"")  # corrupt: built again, not read
    try:
        loaded = gazetteer_cache.prime(tmp_path)
        assert loaded.source == "built"
        assert load_gazetteer() is loaded.gazetteer
        cached = gazetteer_cache.prime(tmp_path)
        assert cached.source == "cache" and load_gazetteer() is cached.gazetteer
        _same(cached.gazetteer, packaged)
    finally:
        gazetteer.use_gazetteer(packaged)


def test_changed_data_is_rebuilt_not_read_from_the_cache(data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert gazetteer_cache.load(cache, data).source == "built"
    assert gazetteer_cache.load(cache, data).source == "cache"
    with (data / "countries.tsv").open("a", encoding="utf-8") as fh:
        fh.write("ZQ\tZedland\t\tZedlander\n")
    changed = gazetteer_cache.load(cache, data)
    assert changed.source == "built"
    assert changed.gazetteer.country_names["ZQ"] == "Zedland"
    assert changed.gazetteer.lookup("Zedlanders")[0].code == "ZQ"
    assert changed.gazetteer.lookup("Bishkek")[0].code == "KG"
    again = gazetteer_cache.load(cache, data)
    assert again.source == "cache" and again.gazetteer.country_names["ZQ"] == "Zedland"
    assert len(list(cache.glob("gazetteer-*.bin"))) == 2


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="truncated"),
        pytest.param(lambda b: b[:-10] + bytes(10), id="bytes-changed"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b"not a cache file at all", id="garbage"),
    ],
)
def test_a_corrupt_file_is_logged_rebuilt_and_rewritten(
    damage: object, data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    good = gazetteer_cache.load(cache, data)
    assert good.source == "built"
    path = gazetteer_cache.cache_file(cache, snapshot.fingerprint(data))
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="pipeline.gazetteer_cache"):
        loaded = gazetteer_cache.load(cache, data)
    assert loaded.source == "built"
    assert "gazetteer cache unusable" in caplog.text and str(path) in caplog.text
    _same(loaded.gazetteer, good.gazetteer)
    assert gazetteer_cache.load(cache, data).source == "cache"


def test_a_snapshot_that_does_not_load_is_corrupt(data: Path, tmp_path: Path) -> None:
    """A whole file, its digest right, whose snapshot this code cannot read (written by a bug, say)."""
    import hashlib

    key = snapshot.fingerprint(data)
    path = gazetteer_cache.cache_file(tmp_path, key)
    payload = b"\x08\x00\x00\x00\x00\x00\x00\x00not a pickle"
    path.write_bytes(gazetteer_cache.MAGIC + bytes.fromhex(key) + hashlib.sha256(payload).digest() + payload)
    with pytest.raises(gazetteer_cache.CorruptCache, match=re.escape(str(path))):
        gazetteer_cache.read(path, key)
    assert gazetteer_cache.load(tmp_path, data).source == "built"


def test_an_unreadable_and_unwritable_cache_still_gives_the_gazetteer(
    data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gazetteer_cache.cache_file(tmp_path, snapshot.fingerprint(data)).mkdir()  # a directory where the file goes
    with caplog.at_level(logging.WARNING, logger="pipeline.gazetteer_cache"):
        loaded = gazetteer_cache.load(tmp_path, data)
    assert loaded.source == "built, not cached"
    assert "unusable" in caplog.text and "not written" in caplog.text
    assert loaded.gazetteer.lookup("Bishkek")


def test_concurrent_writers_leave_one_whole_file(data: Path, tmp_path: Path) -> None:
    built = gazetteer_cache.load(None, data).gazetteer
    key = snapshot.fingerprint(data)
    cache = tmp_path / "cache"
    path = gazetteer_cache.cache_file(cache, key)
    errors: list[BaseException] = []
    seen: list[bool] = []
    stop = threading.Event()

    def writer() -> None:
        try:
            for _ in range(20):
                gazetteer_cache.write(path, key, built)
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.append(gazetteer_cache.read(path, key) is not None)  # None before the first rename
            except BaseException as exc:
                errors.append(exc)

    writers = [threading.Thread(target=writer) for _ in range(4)]
    watch = threading.Thread(target=reader)
    watch.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    watch.join()
    assert not errors
    assert any(seen)
    assert [p.name for p in cache.iterdir()] == [path.name]  # no temporary file left
    loaded = gazetteer_cache.read(path, key)
    assert loaded is not None
    _same(loaded, built)


def test_only_the_newest_files_are_kept(data: Path, tmp_path: Path) -> None:
    import os

    cache = tmp_path / "cache"
    cache.mkdir()
    for i in range(6):  # other gazetteers' files, oldest first
        old = cache / f"gazetteer-{i:064x}.bin"
        old.write_bytes(b"x")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    stale_tmp = cache / ".gazetteer-abc.bin.123.tmp"
    stale_tmp.write_bytes(b"x")
    os.utime(stale_tmp, (1_000_000, 1_000_000))
    key = snapshot.fingerprint(data)
    path = gazetteer_cache.cache_file(cache, key)
    gazetteer_cache.write(path, key, gazetteer_cache.load(None, data).gazetteer)
    kept = sorted(p.name for p in cache.iterdir())
    assert kept == sorted([path.name] + [f"gazetteer-{i:064x}.bin" for i in (3, 4, 5)])
    assert len(kept) == gazetteer_cache.KEEP


def test_cache_directory_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert Settings().resolved_gazetteer_cache_dir == tmp_path / "xdg" / "wirefeed"
    monkeypatch.setenv("WIREFEED_GAZETTEER_CACHE_DIR", str(tmp_path / "here"))
    assert Settings().resolved_gazetteer_cache_dir == tmp_path / "here"
    monkeypatch.setenv("WIREFEED_GAZETTEER_CACHE", "false")
    assert Settings().resolved_gazetteer_cache_dir is None
    assert Settings(gazetteer_cache_dir=tmp_path).resolved_gazetteer_cache_dir is None

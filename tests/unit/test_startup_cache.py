"""The stages' cache files (gazetteer snapshot, language model): the same data back, never stale or broken."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from pipeline import startup_cache
from pipeline.config import Settings
from pipeline.stages.enrich import snapshot, tag
from pipeline.stages.enrich.gazetteer import DATA_DIR, Entry, Gazetteer, load_gazetteer
from pipeline.stages.normalise import language
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
    first = startup_cache.gazetteer(cache, data)
    assert first.source == "built"
    assert [p.name for p in cache.iterdir()] == [f"gazetteer-{snapshot.fingerprint(data)}.bin"]
    second = startup_cache.gazetteer(cache, data)
    assert second.source == "cache"
    _same(second.value, first.value)
    assert second.value.lookup("Bishkek")[0].code == "KG"


def test_prime_makes_them_the_stages_own(packaged: Gazetteer, tmp_path: Path) -> None:
    from pipeline.stages.enrich import gazetteer

    (tmp_path / f"gazetteer-{snapshot.fingerprint()}.bin").write_bytes(b"")  # corrupt: built again, not read
    detector = language._detector()
    try:
        said = startup_cache.prime(tmp_path)
        assert [line.split(" in ")[0] for line in said] == ["gazetteer built", "language model built"]
        built_gazetteer, built_detector = load_gazetteer(), language._detector()
        assert built_gazetteer is not packaged and built_detector is not detector
        said = startup_cache.prime(tmp_path)
        assert [line.split(" in ")[0] for line in said] == ["gazetteer cache", "language model cache"]
        assert load_gazetteer() is not built_gazetteer and language._detector() is not built_detector
        _same(load_gazetteer(), packaged)
    finally:
        gazetteer.use_gazetteer(packaged)
        language.use_detector(detector)


def _equal(ours: object, theirs: object) -> bool:
    """Same type and value; arrays of the same dtype and elements, tuples item by item."""
    if type(ours) is not type(theirs):
        return False
    if isinstance(theirs, np.ndarray):
        return ours.dtype == theirs.dtype and np.array_equal(ours, theirs)  # type: ignore[attr-defined]
    if isinstance(theirs, tuple):
        return len(ours) == len(theirs) and all(map(_equal, ours, theirs))  # type: ignore[arg-type]
    return ours == theirs


def test_the_cached_language_model_is_the_packaged_one(tmp_path: Path) -> None:
    reference = language._identifier()
    built = startup_cache.language_model(tmp_path)
    cached = startup_cache.language_model(tmp_path)
    assert built is not None and cached is not None
    assert (built.source, cached.source) == ("built", "cache")
    assert cached.value.depth == built.value.depth == language._detector().depth
    for attr in reference.__slots__:
        assert _equal(getattr(cached.value.identifier, attr), getattr(reference, attr)), attr
    for text in ("Ministers of Kyrgyzstan and Kazakhstan met in Bishkek on Monday to discuss transit.",
                 "Die Minister trafen sich am Montag in Bischkek, um über den Transit zu sprechen.",
                 "Министры встретились в понедельник в Бишкеке, чтобы обсудить транзит."):
        assert cached.value.classify(text) == reference.classify(text)
    assert startup_cache.language_model(None) is None


def test_changed_data_is_rebuilt_not_read_from_the_cache(data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert startup_cache.gazetteer(cache, data).source == "built"
    assert startup_cache.gazetteer(cache, data).source == "cache"
    with (data / "countries.tsv").open("a", encoding="utf-8") as fh:
        fh.write("ZQ\tZedland\t\tZedlander\n")
    changed = startup_cache.gazetteer(cache, data)
    assert changed.source == "built"
    assert changed.value.country_names["ZQ"] == "Zedland"
    assert changed.value.lookup("Zedlanders")[0].code == "ZQ"
    assert changed.value.lookup("Bishkek")[0].code == "KG"
    again = startup_cache.gazetteer(cache, data)
    assert again.source == "cache" and again.value.country_names["ZQ"] == "Zedland"
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
    good = startup_cache.gazetteer(cache, data)
    assert good.source == "built"
    path = startup_cache.cache_file(cache, "gazetteer", snapshot.fingerprint(data))
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="pipeline.startup_cache"):
        loaded = startup_cache.gazetteer(cache, data)
    assert loaded.source == "built"
    assert "gazetteer cache unusable" in caplog.text and str(path) in caplog.text
    _same(loaded.value, good.value)
    assert startup_cache.gazetteer(cache, data).source == "cache"


def test_a_whole_file_that_does_not_load_is_logged_and_rebuilt(
    data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole file, its digest right, whose snapshot this code cannot read (written by a bug, say)."""
    key = snapshot.fingerprint(data)
    path = startup_cache.cache_file(tmp_path, "gazetteer", key)
    startup_cache.write(path, key, b"\x08\x00\x00\x00\x00\x00\x00\x00not a pickle")
    assert startup_cache.read(path, key) is not None
    with caplog.at_level(logging.WARNING, logger="pipeline.startup_cache"):
        assert startup_cache.gazetteer(tmp_path, data).source == "built"
    assert "gazetteer cache unusable" in caplog.text
    assert startup_cache.gazetteer(tmp_path, data).source == "cache"


def test_an_unreadable_and_unwritable_cache_still_gives_the_gazetteer(
    data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A directory where the file goes: it can be neither read nor replaced.
    startup_cache.cache_file(tmp_path, "gazetteer", snapshot.fingerprint(data)).mkdir()
    with caplog.at_level(logging.WARNING, logger="pipeline.startup_cache"):
        loaded = startup_cache.gazetteer(tmp_path, data)
    assert loaded.source == "built, not cached"
    assert "unusable" in caplog.text and "not written" in caplog.text
    assert loaded.value.lookup("Bishkek")


def test_concurrent_writers_leave_one_whole_file(data: Path, tmp_path: Path) -> None:
    built = startup_cache.gazetteer(None, data).value
    payload = snapshot.dumps(built)
    key = snapshot.fingerprint(data)
    cache = tmp_path / "cache"
    path = startup_cache.cache_file(cache, "gazetteer", key)
    errors: list[BaseException] = []
    seen: list[bool] = []
    stop = threading.Event()

    def writer() -> None:
        try:
            for _ in range(20):
                startup_cache.write(path, key, payload)
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.append(startup_cache.read(path, key) is not None)  # None before the first rename
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
    loaded = startup_cache.read(path, key)
    assert loaded is not None
    _same(snapshot.loads(loaded), built)


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
    path = startup_cache.cache_file(cache, "gazetteer", key)
    startup_cache.write(path, key, b"payload")
    kept = sorted(p.name for p in cache.iterdir())
    assert kept == sorted([path.name] + [f"gazetteer-{i:064x}.bin" for i in (3, 4, 5)])
    assert len(kept) == startup_cache.KEEP


def test_cache_directory_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert Settings().resolved_stage_cache_dir == tmp_path / "xdg" / "wirefeed"
    monkeypatch.setenv("WIREFEED_STAGE_CACHE_DIR", str(tmp_path / "here"))
    assert Settings().resolved_stage_cache_dir == tmp_path / "here"
    monkeypatch.setenv("WIREFEED_STAGE_CACHE", "false")
    assert Settings().resolved_stage_cache_dir is None
    assert Settings(stage_cache_dir=tmp_path).resolved_stage_cache_dir is None

"""What the pure stages derive from their packaged data at start, kept in files so that a worker loads it instead
of deriving it again: the enrich stage's built gazetteer, and the normalise stage's language model decompressed,
with its automaton's depth.

Each file is named by a fingerprint of everything its content derives from (for the gazetteer
``snapshot.fingerprint``: the data files' content, the code that builds it, the Python version; for the language
model: the model file, ``language.py``, the py3langid and Python versions), so a change to any of them makes a new
name and the old file is never read for it. A file's layout: ``MAGIC``, the fingerprint (32 bytes), the sha256 of
the rest (32 bytes), the payload. A file that is unreadable, truncated, or does not match its own digest is logged
and the data derived as if there were none, then written again. Writes go to a temporary file in the same
directory that is renamed over the final name, so readers see a whole file or none, and workers that start
together and all write it leave one whole file. Per kind the newest ``KEEP`` files are kept (those of other
checkouts or versions that share the directory); older ones are deleted when a new one is written.

The gazetteer's payload is a pickle: whoever can write the cache directory can run code in the worker. The default
directory is the user's own cache directory (``Settings.resolved_stage_cache_dir``).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import lzma
import os
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from pipeline.stages.enrich import snapshot
from pipeline.stages.enrich.gazetteer import DATA_DIR, Gazetteer, build_gazetteer, use_gazetteer
from pipeline.stages.normalise import language

log = logging.getLogger(__name__)

T = TypeVar("T")

MAGIC = b"wirefeed cache 1\n"
_SUFFIX = ".bin"
#: Cache files kept in the directory per kind (one per fingerprint).
KEEP = 4
#: A temporary file older than this was left by a writer that died: deleted by the next write.
_STALE_TMP_S = 3600.0
_HEAD = len(MAGIC) + 64


class CorruptCache(Exception):
    """The cache file is not a whole cache file of the fingerprint its name says."""


@dataclass(frozen=True, slots=True)
class Loaded(Generic[T]):
    value: T
    source: str  # "cache", "built" (and written), "built, not cached" (no cache, or it could not be written)
    cpu_s: float  # CPU time of this thread spent getting it


def cache_file(directory: Path, kind: str, key: str) -> Path:
    return directory / f"{kind}-{key}{_SUFFIX}"


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection for the block, and every object alive at its end moved out of the collector's
    generations (``gc.freeze``). Building or loading the gazetteer creates ~1M objects that live as long as the
    process and no garbage: the collections their allocations set off took as long as the rest, and each later
    full collection would walk them all again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def read(path: Path, key: str) -> memoryview | None:
    """The payload of the cache file at ``path`` made under fingerprint ``key``; None if there is no such file.
    Raises :class:`CorruptCache` for a file that is there but is not whole (``OSError`` if it cannot be read)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if len(data) < _HEAD or not data.startswith(MAGIC):
        raise CorruptCache(f"{path}: not a wirefeed cache file")
    view = memoryview(data)
    if bytes(view[len(MAGIC) : len(MAGIC) + 32]) != bytes.fromhex(key):
        raise CorruptCache(f"{path}: made for other data")
    if hashlib.sha256(view[_HEAD:]).digest() != bytes(view[len(MAGIC) + 32 : _HEAD]):
        raise CorruptCache(f"{path}: truncated or damaged (digest mismatch)")
    return view[_HEAD:]


def write(path: Path, key: str, payload: bytes | memoryview) -> None:
    """Write ``payload`` to ``path`` atomically (a temporary file renamed over it), then prune the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + bytes.fromhex(key) + hashlib.sha256(payload).digest())
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _prune(path, kind=path.name.partition("-")[0])


def _prune(keep: Path, kind: str) -> None:
    """Delete all but the newest :data:`KEEP` files of ``kind`` (``keep`` always stays) and dead writers'
    temporary files. Another process may be deleting the same files: a file already gone is no error."""
    now = time.time()
    files: list[tuple[float, Path]] = []
    for entry in keep.parent.iterdir():
        with contextlib.suppress(OSError):
            mtime = entry.stat().st_mtime
            if entry.name.startswith(f".{kind}-") and entry.name.endswith(".tmp"):
                if now - mtime > _STALE_TMP_S:
                    entry.unlink()
            elif entry.name.startswith(f"{kind}-") and entry.name.endswith(_SUFFIX) and entry != keep:
                files.append((mtime, entry))
    files.sort(reverse=True)
    for _, old in files[KEEP - 1 :]:
        with contextlib.suppress(OSError):
            old.unlink()


def _cached(
    directory: Path | None, kind: str, key: Callable[[], str], build: Callable[[], T],
    dumps: Callable[[T], bytes], loads: Callable[[memoryview], T],
) -> Loaded[T]:  # fmt: skip
    """``loads`` of the cache file of ``kind`` and fingerprint ``key()`` in ``directory``; when there is none or it
    cannot be used, ``build()``, written there with ``dumps``. Never fails for the cache's sake: a cache that cannot
    be read or written is logged and the value built."""
    cpu = time.thread_time()
    if directory is None:
        return Loaded(build(), "built, not cached", time.thread_time() - cpu)
    fingerprint = key()
    path = cache_file(directory, kind, fingerprint)
    try:
        payload = read(path, fingerprint)
        value = None if payload is None else loads(payload)
    except Exception as exc:  # unreadable, damaged, or a whole file this code cannot load
        log.warning("%s cache unusable, building it instead: %s: %s", kind, type(exc).__name__, exc)
        value = None
    if value is not None:
        with contextlib.suppress(OSError):
            os.utime(path)  # the newest files are the ones kept
        return Loaded(value, "cache", time.thread_time() - cpu)
    value = build()
    source = "built"
    try:
        write(path, fingerprint, dumps(value))
    except Exception as exc:  # a read-only or full disk: the worker runs as without a cache
        log.warning("%s cache not written to %s: %s: %s", kind, directory, type(exc).__name__, exc)
        source = "built, not cached"
    return Loaded(value, source, time.thread_time() - cpu)


def gazetteer(directory: Path | None, data_dir: Path = DATA_DIR) -> Loaded[Gazetteer]:
    """The gazetteer of ``data_dir`` (the packaged one by default), from the cache in ``directory`` (None: built)."""

    def build() -> Gazetteer:
        with _gc_paused():
            return build_gazetteer(data_dir)

    def loads(payload: memoryview) -> Gazetteer:
        with _gc_paused():
            return snapshot.loads(payload)

    return _cached(directory, "gazetteer", lambda: snapshot.fingerprint(data_dir), build, snapshot.dumps, loads)


_DEPTH = struct.Struct("<I")


def language_fingerprint() -> str:
    from py3langid import __version__ as py3langid_version

    digest = hashlib.sha256(language.model_path().read_bytes())
    digest.update(Path(language.__file__).read_bytes())
    digest.update(f"{py3langid_version}\0{sys.version}".encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class _Model:
    npz: bytes | memoryview  # the model's npz archive, decompressed
    detector: language._Detector


def language_model(directory: Path | None) -> Loaded[language._Detector] | None:
    """The normalise stage's language detector, its model from the cache in ``directory`` (None: nothing, the
    stage loads the model on first use)."""
    if directory is None:
        return None

    def build() -> _Model:
        npz = lzma.decompress(language.model_path().read_bytes())
        return _Model(npz, language.detector_from_npz(npz))

    def loads(payload: memoryview) -> _Model:
        (depth,) = _DEPTH.unpack_from(payload)
        return _Model(payload, language.detector_from_npz(payload[_DEPTH.size :], depth))

    def dumps(model: _Model) -> bytes:
        return _DEPTH.pack(model.detector.depth) + bytes(model.npz)

    got = _cached(directory, "language", language_fingerprint, build, dumps, loads)
    return Loaded(got.value.detector, got.source, got.cpu_s)


def prime(directory: Path | None) -> list[str]:
    """Load what the stages derive at start through the cache in ``directory`` (None: no cache) and make them the
    ones the stages use. Returns one line per item: where it came from and its CPU time."""
    said = []
    gaz = gazetteer(directory)
    use_gazetteer(gaz.value)
    said.append(f"gazetteer {gaz.source} in {gaz.cpu_s:.2f} s of CPU")
    model = language_model(directory)
    if model is not None:
        language.use_detector(model.value)
        said.append(f"language model {model.source} in {model.cpu_s:.2f} s of CPU")
    return said

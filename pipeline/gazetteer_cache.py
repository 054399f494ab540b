"""The enrich stage's built gazetteer kept in a file, so that a worker loads it at start instead of building it.

The file is named by the gazetteer's fingerprint (``snapshot.fingerprint``: the data files' content, the code that
builds it, the Python version), so a change to any of them makes a new name and the old file is never read for it.
Its layout: ``MAGIC``, the fingerprint (32 bytes), the sha256 of the rest (32 bytes), the snapshot
(``snapshot.dumps``). A file that is unreadable, truncated, or does not match its own digest is logged and the
gazetteer is built as if there were none, then written again. Writes go to a temporary file in the same directory
that is renamed over the final name, so readers see a whole file or none, and workers that start together and all
write it leave one whole file. The newest ``KEEP`` files are kept (the gazetteers of other checkouts or versions
that share the directory); older ones are deleted when a new one is written.

The snapshot is a pickle: whoever can write the cache directory can run code in the worker. The default
directory is the user's own cache directory (``Settings.resolved_gazetteer_cache_dir``).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.stages.enrich import snapshot
from pipeline.stages.enrich.gazetteer import DATA_DIR, Gazetteer, build_gazetteer, use_gazetteer

log = logging.getLogger(__name__)

MAGIC = b"wirefeed gazetteer 1\n"
_PREFIX, _SUFFIX = "gazetteer-", ".bin"
#: Cache files kept in the directory (one per gazetteer fingerprint).
KEEP = 4
#: A temporary file older than this was left by a writer that died: deleted by the next write.
_STALE_TMP_S = 3600.0


class CorruptCache(Exception):
    """The cache file is not a whole cache file of the fingerprint its name says."""


@dataclass(frozen=True, slots=True)
class Loaded:
    gazetteer: Gazetteer
    source: str  # "cache", "built" (and written), "built, not cached" (no cache, or it could not be written)
    cpu_s: float  # CPU time of this thread spent getting it


def cache_file(directory: Path, key: str) -> Path:
    return directory / f"{_PREFIX}{key}{_SUFFIX}"


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection for the block: building or loading creates ~1M objects and no garbage, and the
    collections their allocations set off took as long as the rest."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read(path: Path, key: str) -> Gazetteer | None:
    """The cached gazetteer of fingerprint ``key`` at ``path``; None if there is no such file. Raises
    :class:`CorruptCache` for a file that is there but cannot be used (``OSError`` if it cannot be read)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    head = len(MAGIC) + 64
    if len(data) < head or not data.startswith(MAGIC):
        raise CorruptCache(f"{path}: not a wirefeed gazetteer cache file")
    view = memoryview(data)
    if bytes(view[len(MAGIC) : len(MAGIC) + 32]) != bytes.fromhex(key):
        raise CorruptCache(f"{path}: made for another gazetteer")
    if hashlib.sha256(view[head:]).digest() != bytes(view[len(MAGIC) + 32 : head]):
        raise CorruptCache(f"{path}: truncated or damaged (digest mismatch)")
    try:
        with _gc_paused():
            return snapshot.loads(view[head:])
    except Exception as exc:  # the digest matched, so this is a snapshot this code cannot read
        raise CorruptCache(f"{path}: {type(exc).__name__}: {exc}") from exc


def write(path: Path, key: str, gaz: Gazetteer) -> None:
    """Write ``gaz`` to ``path`` atomically (a temporary file renamed over it), then prune the directory."""
    payload = snapshot.dumps(gaz)
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
    _prune(path.parent, keep=path)


def _prune(directory: Path, keep: Path) -> None:
    """Delete all but the newest :data:`KEEP` cache files (``keep`` always stays) and dead writers' temporary
    files. Another process may be deleting the same files: a file already gone is no error."""
    now = time.time()
    files: list[tuple[float, Path]] = []
    for entry in directory.iterdir():
        with contextlib.suppress(OSError):
            mtime = entry.stat().st_mtime
            if entry.name.startswith(f".{_PREFIX}") and entry.name.endswith(".tmp"):
                if now - mtime > _STALE_TMP_S:
                    entry.unlink()
            elif entry.name.startswith(_PREFIX) and entry.name.endswith(_SUFFIX) and entry != keep:
                files.append((mtime, entry))
    files.sort(reverse=True)
    for _, old in files[KEEP - 1 :]:
        with contextlib.suppress(OSError):
            old.unlink()


def load(directory: Path | None, data_dir: Path = DATA_DIR) -> Loaded:
    """The gazetteer of ``data_dir`` (the packaged one by default): from the cache in ``directory`` when it holds
    one for the current fingerprint, else built (and written there). ``directory`` None: built, no cache. Never
    fails for the cache's sake: a cache that cannot be read or written is logged and the gazetteer built."""
    cpu = time.thread_time()
    if directory is None:
        with _gc_paused():
            gaz = build_gazetteer(data_dir)
        return Loaded(gaz, "built, not cached", time.thread_time() - cpu)
    key = snapshot.fingerprint(data_dir)
    path = cache_file(directory, key)
    try:
        cached = read(path, key)
    except (OSError, CorruptCache) as exc:
        log.warning("gazetteer cache unusable, building the gazetteer instead: %s", exc)
        cached = None
    if cached is not None:
        with contextlib.suppress(OSError):
            os.utime(path)  # the newest files are the ones kept
        return Loaded(cached, "cache", time.thread_time() - cpu)
    with _gc_paused():
        gaz = build_gazetteer(data_dir)
    source = "built"
    try:
        write(path, key, gaz)
    except Exception as exc:  # a read-only or full disk: the worker runs as without a cache
        log.warning("gazetteer cache not written to %s: %s: %s", directory, type(exc).__name__, exc)
        source = "built, not cached"
    return Loaded(gaz, source, time.thread_time() - cpu)


def prime(directory: Path | None) -> Loaded:
    """:func:`load`, made the gazetteer the enrich stage uses (``load_gazetteer``)."""
    loaded = load(directory)
    use_gazetteer(loaded.gazetteer)
    return loaded

"""The built gazetteer as bytes and back, so that a process can load it instead of building it
(``pipeline/startup_cache.py`` keeps the bytes in a file).

Building reads 125k names and decides each one's plan in Python; loading a snapshot rebuilds the same objects
with C loops. Two pickles: the :class:`Entry` objects column by column (one list per field), and the rest of the
gazetteer with every entry replaced by its index in those columns (pickle's persistent ids). An ``Entry`` is
created with ``object.__new__`` and its slots filled field by field over all entries at once; its dataclass
``__init__``, once per entry, took about as long as the rest of the load. The other objects (tuples, plans, blocs,
rules) are pickled as they are.

A snapshot holds no automata (ahocorasick-rs cannot pickle them; they are built on first use) and no per-language
views. :func:`fingerprint` names everything the built gazetteer depends on; a snapshot is only valid for the
fingerprint it was made under.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
import struct
import sys
from collections import deque
from itertools import repeat
from pathlib import Path
from typing import Any

import yaml

from pipeline.stages.enrich import gazetteer
from pipeline.stages.enrich.gazetteer import DATA_DIR, Entry, Gazetteer

#: Modules a snapshot may name classes from (anything else is refused on load).
_MODULES = frozenset({"builtins", "datetime", gazetteer.__name__})
_PROTOCOL = 5
_HEAD = struct.Struct("<Q")  # the length of the entry columns' pickle


def fingerprint(data_dir: Path = DATA_DIR) -> str:
    """sha256 (hex) over what ``build_gazetteer(data_dir)`` depends on: the name and content of every file in
    ``data_dir``, the source of ``gazetteer.py`` and of this module, and the Python and PyYAML versions."""
    digest = hashlib.sha256()
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        content = path.read_bytes()
        digest.update(f"{path.relative_to(data_dir).as_posix()}\0{len(content)}\0".encode())
        digest.update(content)
    for module in (gazetteer.__file__, __file__):
        digest.update(Path(module).read_bytes())
    digest.update(f"{sys.version}\0{yaml.__version__}".encode())
    return digest.hexdigest()


def _entry_fields() -> tuple[str, ...]:
    """The fields of :class:`Entry`, checked to be all its slots and all it needs (no ``__post_init__``)."""
    names = tuple(f.name for f in dataclasses.fields(Entry))
    if getattr(Entry, "__slots__", None) != names or hasattr(Entry, "__post_init__"):
        raise TypeError("Entry is no longer a plain slots dataclass: snapshot.py cannot rebuild it field by field")
    return names


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=_PROTOCOL)
        self.entries: list[Entry] = []
        self._index: dict[int, int] = {}

    def persistent_id(self, obj: Any) -> int | None:
        if type(obj) is not Entry:
            return None
        i = self._index.get(id(obj))
        if i is None:
            i = self._index[id(obj)] = len(self.entries)
            self.entries.append(obj)
        return i


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module not in _MODULES:
            raise pickle.UnpicklingError(f"a gazetteer snapshot does not name {module}.{name}")
        return super().find_class(module, name)


def dumps(gaz: Gazetteer) -> bytes:
    """``gaz`` (as ``build_gazetteer`` returns it) as bytes, without its automata and language views."""
    names = _entry_fields()
    body = io.BytesIO()
    pickler = _Pickler(body)
    pickler.dump(dataclasses.replace(gaz, views={}, automata={}))
    columns = tuple([getattr(e, name) for e in pickler.entries] for name in names)
    head = pickle.dumps((names, columns), protocol=_PROTOCOL)
    return _HEAD.pack(len(head)) + head + body.getvalue()


def loads(data: bytes | memoryview) -> Gazetteer:
    """The gazetteer of :func:`dumps`. Raises ``ValueError`` (or ``pickle.UnpicklingError``, a subclass of
    ``Exception``) when ``data`` is not a snapshot of this code's gazetteer."""
    (size,) = _HEAD.unpack_from(data)
    view = memoryview(data)
    names, columns = _Unpickler(io.BytesIO(view[_HEAD.size : _HEAD.size + size])).load()
    if tuple(names) != _entry_fields():
        raise ValueError("the snapshot's entries have other fields than Entry")
    count = len(columns[0])
    entries: list[Entry] = list(map(object.__new__, repeat(Entry, count)))
    for name, column in zip(names, columns, strict=True):
        if len(column) != count:
            raise ValueError("the snapshot's entry columns differ in length")
        # The slot's own setter: Entry is frozen, its __setattr__ refuses.
        deque(map(getattr(Entry, name).__set__, entries, column), maxlen=0)
    unpickler = _Unpickler(io.BytesIO(view[_HEAD.size + size :]))
    unpickler.persistent_load = entries.__getitem__  # type: ignore[assignment]
    gaz = unpickler.load()
    if not isinstance(gaz, Gazetteer):
        raise ValueError(f"the snapshot holds a {type(gaz).__name__}, not a Gazetteer")
    return gaz

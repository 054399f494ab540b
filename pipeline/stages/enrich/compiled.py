"""Which tagger runs: the C extension mypyc builds from ``tagger.py`` at install time, or ``tagger.py`` itself.

Both are the same source, so they give the same tags (``tests/unit/enrich/test_enrich_compiled.py`` runs them side
by side); the extension is about 1.5 times as fast. Python would import the extension whenever it sits beside the
source, even one built from another ``tagger.py``, so the package's ``__init__`` calls :func:`load_tagger` first,
and that loads the source instead when

- the extension is missing (an install with ``WIREFEED_PURE_PYTHON=1``, or a checkout never installed),
- it was built from another ``tagger.py`` than the one beside it (the source was edited after the last
  ``pip install -e .``): the build (``setup.py``) records the digest of the source it compiled in
  ``tagger.build.json``; a warning says how to rebuild,
- ``WIREFEED_PURE_PYTHON`` is set to anything but ``0`` in the environment (to compare or debug).

File times cannot tell: an install from a wheel may write the source after the extension.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType

TAGGER = "pipeline.stages.enrich.tagger"
SOURCE = Path(__file__).with_name("tagger.py")
RECORD = "tagger.build.json"  # written by setup.py beside the extension
ENV = "WIREFEED_PURE_PYTHON"


def extension() -> Path | None:
    """The compiled tagger beside the source, if one is built."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = SOURCE.with_name(SOURCE.stem + suffix)
        if path.exists():
            return path
    return None


def built_from_this_source() -> bool:
    """Whether the build record says the extension was compiled from ``tagger.py`` as it is now."""
    try:
        record = json.loads(SOURCE.with_name(RECORD).read_text())
    except (OSError, ValueError):
        return False
    return bool(record.get("source_sha256") == hashlib.sha256(SOURCE.read_bytes()).hexdigest())


def forced_source() -> bool:
    """Whether the environment asks for the source (``WIREFEED_PURE_PYTHON`` set to anything but ``0``)."""
    return os.environ.get(ENV, "") not in ("", "0")


def choose() -> tuple[Path | None, str]:
    """The extension to load (None: the source) and why, in words for logs and benchmark tables."""
    built = extension()
    if forced_source():
        return None, f"Python source ({ENV} is set)"
    if built is None:
        return None, "Python source (the compiled tagger is not built)"
    if not built_from_this_source():
        return None, "Python source (the compiled tagger was built from another tagger.py)"
    return built, "compiled (mypyc)"


#: What :func:`load_tagger` loaded, e.g. ``"compiled (mypyc)"``.
TAGGER_BUILD = ""


def load_tagger() -> str:
    """Import the tagger as :func:`choose` says, before anything else imports it; returns :data:`TAGGER_BUILD`."""
    global TAGGER_BUILD
    if TAGGER_BUILD:
        return TAGGER_BUILD
    built, TAGGER_BUILD = choose()
    present = extension()
    if built is None and TAGGER not in sys.modules and present is not None:
        if not forced_source():  # so the extension is stale
            warnings.warn(
                f"{present} was built from another tagger.py, so the tagger runs from its source, about two "
                "thirds as fast; rebuild it with `pip install -e .` (or `bash scripts/setup.sh`)",
                RuntimeWarning,
                stacklevel=2,
            )
        sys.modules[TAGGER] = load_source(TAGGER)
    return TAGGER_BUILD


def load_source(name: str) -> ModuleType:
    """``tagger.py`` run as Python, as module ``name``: the tagger itself when the extension must not load, or a
    second copy beside the compiled one, to compare the two (tests, benchmarks). The module is in ``sys.modules``
    while it runs (its dataclasses look it up) and stays there only under the tagger's own name."""
    spec = importlib.util.spec_from_file_location(name, SOURCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if name != TAGGER:
            del sys.modules[name]
    return module

"""Build of the compiled part of wirefeed; everything else about the distribution is in pyproject.toml.

The enrich stage's tagger (``pipeline/stages/enrich/tagger.py``) runs on every story, so it is compiled to a C
extension with mypyc, from the same source: the module stays plain, typed Python and runs as such wherever the
extension is missing or older than the source (``pipeline/stages/enrich/__init__.py`` decides which one loads).
``WIREFEED_PURE_PYTHON=1`` at install time skips the compilation.
"""

from __future__ import annotations

import os

from setuptools import setup

COMPILED = ["pipeline/stages/enrich/tagger.py"]

ext_modules = []
if os.environ.get("WIREFEED_PURE_PYTHON", "") in ("", "0"):
    from mypyc.build import mypycify

    # The build environment holds only the build requirements: the tagger's imports from other distributions
    # (pydantic, ahocorasick-rs, PyYAML) are typed as Any there, which compiles to the same calls, and what mypy
    # would say of the modules it imports from this repository (typed against those Anys) is not the build's
    # business: only the tagger is compiled.
    ext_modules = mypycify(["--ignore-missing-imports", "--follow-imports=silent", *COMPILED], opt_level="3")

setup(ext_modules=ext_modules)

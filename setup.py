"""Build of the compiled part of wirefeed; everything else about the distribution is in pyproject.toml.

The enrich stage's tagger (``pipeline/stages/enrich/tagger.py``) runs on every story, so it is compiled to a C
extension with mypyc, from the same source: the module stays plain, typed Python and runs as such wherever the
extension is missing or was built from another version of the source (``pipeline/stages/enrich/compiled.py``
decides which one loads, from the record this build writes beside the extension). ``WIREFEED_PURE_PYTHON=1`` at
install time skips the compilation.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

COMPILED = "pipeline/stages/enrich/tagger.py"
#: Written beside the built extension: the digest of the source it was compiled from.
RECORD = "tagger.build.json"


class BuildExtWithRecord(build_ext):
    def run(self) -> None:
        super().run()
        if not self.extensions:
            return
        source = Path(COMPILED).read_bytes()
        built = Path(self.get_ext_fullpath("pipeline.stages.enrich.tagger")).parent
        record = {"source_sha256": hashlib.sha256(source).hexdigest()}
        (built / RECORD).write_text(json.dumps(record) + "\n")


#: Commands that only read the distribution's metadata (the build backend runs this file for them before it builds):
#: the extension is not built for them, and translating the tagger to C for nothing costs seconds each time.
METADATA_ONLY = ("egg_info", "dist_info")

command = sys.argv[1] if len(sys.argv) > 1 else ""
ext_modules = []
if os.environ.get("WIREFEED_PURE_PYTHON", "") in ("", "0") and command not in METADATA_ONLY:
    from mypyc.build import mypycify

    # The build environment holds only the build requirements: the tagger's imports from other distributions
    # (pydantic, ahocorasick-rs, PyYAML) are typed as Any there, which compiles to the same calls, and what mypy
    # would say of the modules it imports from this repository (typed against those Anys) is not the build's
    # business: only the tagger is compiled.
    # ``--config-file ""``: not the project's mypy configuration (pyproject.toml), whose pydantic plugin is not
    # installed in the build environment.
    ext_modules = mypycify(
        ["--config-file", "", "--ignore-missing-imports", "--follow-imports=silent", COMPILED], opt_level="3"
    )

setup(ext_modules=ext_modules, cmdclass={"build_ext": BuildExtWithRecord})

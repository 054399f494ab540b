"""Where the evaluation corpora are, and their files checked against the committed manifests.

The corpora of published documents are committed under ``tests/data/third_party/<name>/`` (sources and licences in the
README there). ``$WIREFEED_CORPORA/<name>/`` is looked at first when set (an explicit choice wins), e.g. to score
a larger private copy. Every file is read only after its sha256 matches the one its manifest records.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV = "WIREFEED_CORPORA"
#: The corpora's folder inside the repository (third-party documents, kept apart from the project's own data).
IN_REPO = Path("tests/data/third_party")


class CorpusMissing(RuntimeError):
    """The corpus folder is in none of the places the code looks."""


class CorpusCorrupt(RuntimeError):
    """A corpus file is missing or its sha256 differs from the manifest."""


def candidates(name: str, env: Mapping[str, str] | None = None, repo: Path | None = None) -> list[Path]:
    """Where corpus ``name`` may be, in the order looked at: ``$WIREFEED_CORPORA/name``, then the repository's."""
    env = os.environ if env is None else env
    out = []
    if env.get(ENV):
        out.append(Path(env[ENV]) / name)
    out.append((repo or REPO) / IN_REPO / name)
    return out


def find(name: str, env: Mapping[str, str] | None = None, repo: Path | None = None) -> Path | None:
    """The first folder of :func:`candidates` that exists (resolved), or None."""
    for path in candidates(name, env, repo):
        if path.is_dir():
            return path.resolve()
    return None


def require(name: str, manifest: Path, env: Mapping[str, str] | None = None, repo: Path | None = None) -> Path:
    """Like :func:`find`, but raises :class:`CorpusMissing` saying where it looked and what to do."""
    found = find(name, env, repo)
    if found is not None:
        return found
    looked = ", ".join(str(p.resolve()) for p in candidates(name, env, repo))
    shown = manifest.relative_to(repo or REPO) if manifest.is_relative_to(repo or REPO) else manifest
    raise CorpusMissing(
        f"the {name} corpus was not found (looked in: {looked}); it is committed under {IN_REPO}/{name}/ "
        f"(restore it with `git checkout -- {IN_REPO}/{name}`), or set {ENV} to a folder holding {name}/ with "
        f"the documents listed in {shown}"
    )


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_checked(folder: Path, file: str, sha256: str) -> bytes:
    """The bytes of ``folder/file`` after checking them against the manifest's sha256."""
    path = folder / file
    if not path.is_file():
        raise CorpusCorrupt(f"{path} is missing: copy it from the repository and commit named in the manifest")
    data = path.read_bytes()
    got = sha256_of(data)
    if got != sha256:
        raise CorpusCorrupt(f"{path} has sha256 {got}, the manifest says {sha256}: fetch the listed commit again")
    return data

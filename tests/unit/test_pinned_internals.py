"""The private parts of third-party libraries the shell relies on are still there, in the pinned versions.

The shell reaches past the public API of faust-streaming, mode-streaming, aiokafka, py3langid and prometheus-client
in a few places (the bounded worker, the numpy language walk, the metric family names). Those
libraries are pinned to exact versions in pyproject.toml; when an upgrade moves one of these names, this test says
which name, in which version, and which of our files to review. Edit :data:`INTERNALS` when the code starts or
stops using one.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import pytest


@dataclass(frozen=True)
class Internal:
    distribution: str
    #: ``module:Class`` (or ``module:Class.nested``) that must hold the name.
    owner: str
    name: str
    #: Where the name is used: the file to review when it moves.
    used_in: str
    #: "method" (callable on the class), "attribute" (declared, or set on ``self`` by the class), "property",
    #: "function" (a module-level callable; ``owner`` is then ``module:`` with nothing after the colon).
    kind: str = "attribute"


#: The one module of the app shell that reads private names of its frameworks.
ADAPTER = "pipeline/app/worker.py"

#: Every private (or internal) name of another library the code relies on. One place: edit it with the code.
INTERNALS: tuple[Internal, ...] = (
    Internal("mode-streaming", "mode.worker:Worker", "_schedule_shutdown", ADAPTER, "method"),
    Internal("py3langid", "py3langid.langid:LanguageIdentifier", "_rowbase", "pipeline/stages/normalise/language.py"),
    Internal("py3langid", "py3langid.langid:LanguageIdentifier", "_encode", "pipeline/stages/normalise/language.py",
             "method"),
    Internal("py3langid", "py3langid.langid:LanguageIdentifier", "_alias_pairs",
             "pipeline/stages/normalise/language.py"),
    Internal("py3langid", "py3langid.modelio:", "_to_array", "pipeline/stages/normalise/language.py", "function"),
    Internal("prometheus-client", "prometheus_client.metrics:MetricWrapperBase", "_name", "pipeline/ops/metrics.py"),
)

#: Distributions pinned to the exact version these names were checked against (see pyproject.toml).
PINNED = ("faust-streaming", "mode-streaming", "aiokafka")


def _owner(spec: str) -> type[Any]:
    module, _, path = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in path.split("."):
        obj = getattr(obj, part)
    assert inspect.isclass(obj), f"{spec} is not a class"
    return obj  # type: ignore[no-any-return]


def _declared(cls: type[Any], name: str) -> bool:
    """The class (or a base) declares ``name``: a class attribute, an annotation, or ``self.<name> = ...``."""
    assignment = re.compile(rf"\bself\.{re.escape(name)}\s*(?::[^=\n]+)?=(?!=)")
    for klass in inspect.getmro(cls):
        if name in vars(klass) or name in getattr(klass, "__annotations__", {}):
            return True
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        if assignment.search(source):
            return True
    return False


def _present(item: Internal) -> bool:
    if item.kind == "function":
        module = importlib.import_module(item.owner.partition(":")[0])
        return inspect.isfunction(getattr(module, item.name, None))
    cls = _owner(item.owner)
    if item.kind == "method":
        return callable(getattr(cls, item.name, None))
    if item.kind == "property":
        return isinstance(inspect.getattr_static(cls, item.name, None), property)
    return _declared(cls, item.name)


def _id(item: Internal) -> str:
    module, _, owner = item.owner.partition(":")
    return f"{item.distribution}:{owner or module}.{item.name}"


@pytest.mark.parametrize("item", INTERNALS, ids=_id)
def test_internal_is_still_there(item: Internal) -> None:
    try:
        present = _present(item)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{item.distribution} {version(item.distribution)} no longer has {item.owner} ({exc}); "
                    f"review {item.used_in}")
    assert present, (f"{item.distribution} {version(item.distribution)} changed `{item.name}` of {item.owner} "
                     f"(expected a {item.kind}); review {item.used_in}")


def test_the_libraries_whose_internals_are_used_are_pinned_exactly() -> None:
    import tomllib

    from tests.paths import REPO

    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for dist in PINNED:
        pins = [d for d in deps if re.match(rf"^{re.escape(dist)}\s*==", d)]
        assert pins, f"{dist} must be pinned with == in pyproject.toml: {ADAPTER} uses its internals"
        assert pins[0].split("==")[1].strip() == version(dist), (
            f"pyproject.toml pins {pins[0]} but {version(dist)} is installed: reinstall (scripts/setup.sh)"
        )


def test_every_named_file_exists() -> None:
    from tests.paths import REPO

    missing = sorted({i.used_in for i in INTERNALS if not (REPO / i.used_in).is_file()})
    assert not missing, f"INTERNALS names files that do not exist: {missing}"


def test_every_listed_name_is_still_used_where_named() -> None:
    """The table stays the list of what the code relies on: a name the code no longer uses is taken out of it."""
    from tests.paths import REPO

    stale = [f"{i.name} ({i.used_in})" for i in INTERNALS if i.name not in (REPO / i.used_in).read_text()]
    assert not stale, f"INTERNALS lists names its files no longer use; remove them: {stale}"


def test_the_framework_internals_are_read_in_one_module() -> None:
    """The private parts of faust-streaming, mode-streaming and aiokafka are read in one module of the app shell
    only: the one seam to review when any of them is upgraded."""
    elsewhere = [f"{i.name} ({i.used_in})" for i in INTERNALS if i.distribution in PINNED and i.used_in != ADAPTER]
    assert not elsewhere, f"read outside {ADAPTER}: {elsewhere}"

"""Every benchmark and evaluation answers ``--help`` with its usage and runs nothing; an unknown option is refused."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
#: Run by other benchmarks with positional arguments, not by hand.
INTERNAL = {"bench_normalise_worker"}
RUNNABLE = sorted(p.stem for p in BENCHMARKS.glob("*.py") if p.stem.startswith(("bench_", "eval_")))
MODULES = ["benchmarks", *(f"benchmarks.{name}" for name in RUNNABLE if name not in INTERNAL)]


# runpy warns that the module is imported already (the package imports some); running it again is what is meant.
pytestmark = pytest.mark.filterwarnings("ignore:.*found in sys.modules after import of package:RuntimeWarning")


def _run(module: str, option: str, monkeypatch: pytest.MonkeyPatch) -> int | str | None:
    """Run ``python -m module option`` in this process; its exit code."""
    monkeypatch.setattr(sys, "argv", [module, option])
    with pytest.raises(SystemExit) as done:
        runpy.run_module(module, run_name="__main__", alter_sys=False)
    return done.value.code


@pytest.mark.parametrize("module", MODULES)
def test_help_prints_the_usage_and_runs_nothing(module: str, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(module, "--help", monkeypatch) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m {module}"), out[:200]


@pytest.mark.parametrize("module", ["benchmarks.bench_enrich", "benchmarks.eval_dedupe"])
def test_an_unknown_option_is_refused(module: str, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(module, "--quik", monkeypatch) == 2
    assert "unrecognized arguments: --quik" in capsys.readouterr().err

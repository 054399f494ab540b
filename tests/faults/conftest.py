"""Prints the fault suite's results table at the end of the session."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table

from tests.faults.common import FULL, RESULTS


def results_table() -> Table:
    table = Table(title=f"wirefeed fault suite ({'full' if FULL else 'CI'} size)")
    for col in ("scenario", "sent", "stored", "lost", "duplicate rows", "max lag", "recovery s", "note"):
        table.add_column(col, justify="left" if col in ("scenario", "note") else "right")
    for r in RESULTS:
        table.add_row(
            r.scenario, str(r.sent), str(r.stored), str(r.lost), str(r.duplicate_rows),
            "-" if r.max_lag is None else str(r.max_lag),
            "-" if r.recovery_s is None else f"{r.recovery_s:.1f}", r.note,
        )  # fmt: skip
    return table


#: Seconds a fault scenario may run (CI size takes 1–3 minutes; the full size up to half an hour).
SCENARIO_TIMEOUT = 2400 if FULL else 600


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is None and "tests/faults/" in item.nodeid:
            item.add_marker(pytest.mark.timeout(SCENARIO_TIMEOUT))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    buf = io.StringIO()
    Console(file=buf, width=160, force_terminal=False).print(results_table())
    terminalreporter.write_line("")
    for line in buf.getvalue().splitlines():
        terminalreporter.write_line(line)

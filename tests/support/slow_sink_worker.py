"""A pipeline worker whose store writes take N times as long (the back-pressure fault test).

    WIREFEED_TEST_STORE_SLOWDOWN=10 python -m tests.support.slow_sink_worker [worker options]

Runs ``wirefeed worker`` unchanged, except that the store agent opens its store through
:func:`tests.support.throttle.open_throttled`.
"""

from __future__ import annotations

import os
import sys

from pipeline.app import store_agent
from pipeline.cli import main
from pipeline.sinks.store import Store
from tests.support.throttle import open_throttled

#: The slowdown factor (>= 1).
ENV = "WIREFEED_TEST_STORE_SLOWDOWN"


def run() -> None:
    try:
        factor = float(os.environ[ENV])
    except (KeyError, ValueError):
        sys.exit(f"slow_sink_worker: set {ENV} to the slowdown factor (a number >= 1)")

    async def open_slow_store(url: str) -> Store:
        return await open_throttled(url, factor)

    store_agent.open_store = open_slow_store
    sys.argv[1:1] = ["worker"]
    main()


if __name__ == "__main__":
    run()

"""Run one worker process of the pipeline (all agents; partitions are shared among workers of the same app id)."""

from __future__ import annotations

import asyncio

from pipeline.broker.admin import ensure_topics
from pipeline.config import Settings


def run_worker(settings: Settings) -> None:
    """Create missing topics, then run the Faust worker until SIGINT/SIGTERM."""
    from faust import Worker

    from pipeline.app import create_wirefeed
    from pipeline.app.dedupe_agent import changelog_topics

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(ensure_topics(settings, compacted=changelog_topics(settings)))
    if settings.metrics_port:
        from pipeline.ops.metrics import start_metrics_server

        start_metrics_server(settings.metrics_port, settings.metrics_host)
    wf = create_wirefeed(settings)
    worker = Worker(wf.app, loglevel=settings.log_level.upper(), quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()

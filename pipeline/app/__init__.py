"""The shell: stage loops, hosted in a Faust app, that move bytes between topics and call the pure stages."""

from __future__ import annotations

from pipeline.app.base import Wirefeed
from pipeline.app.ready import ReadyFile
from pipeline.config import Settings
from pipeline.stages.notify import Router


def create_wirefeed(settings: Settings, ready: ReadyFile | None = None, router: Router | None = None) -> Wirefeed:
    """The app with every stage registered: normalise, dedupe+enrich, store+notify, DLQ/duplicate sinks.
    ``router``: the subscriptions (None: loaded from ``settings.subscriptions_file``)."""
    from pipeline.app import dedupe_agent, normalise_agent, store_agent

    wf = Wirefeed.create(settings, ready)
    normalise_agent.register(wf)
    dedupe_agent.register(wf)
    store_agent.register(wf, router)
    return wf


__all__ = ["Wirefeed", "create_wirefeed"]

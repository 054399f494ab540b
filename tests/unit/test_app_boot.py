"""What the worker starts with the app: not Faust's own consumer, producer, conductor and tables (the stage loops
have their own clients), unless an app with Faust agents asks for them."""

from __future__ import annotations

from pathlib import Path

from pipeline.app import create_wirefeed
from pipeline.app.base import Wirefeed
from pipeline.config import Settings


def test_the_app_starts_no_faust_consumer_producer_or_tables(tmp_path: Path) -> None:
    wf = create_wirefeed(Settings(broker="127.0.0.1:9", data_dir=tmp_path))
    started = list(wf.app.boot_strategy.server())
    for idle in (wf.app.consumer, wf.app.producer, wf.app.topics, wf.app.tables):
        assert all(idle is not service for service in started), idle


def test_a_faust_agent_app_still_gets_them(tmp_path: Path) -> None:
    wf = Wirefeed.create(Settings(broker="127.0.0.1:9", data_dir=tmp_path), faust_clients=True)
    started = list(wf.app.boot_strategy.server())
    for needed in (wf.app.consumer, wf.app.producer):
        assert any(needed is service for service in started), needed

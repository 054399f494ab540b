"""deploy/ monitoring config: alert rules (promtool when installed, structure always), Grafana dashboard, compose."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.ops import metrics

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
SUFFIXES = ("_total", "_bucket", "_sum", "_count")


def families_in(expr: str) -> set[str]:
    names = set()
    for name in re.findall(r"\b(wirefeed_[a-z0-9_]+)", expr):
        for suffix in SUFFIXES:
            if name.endswith(suffix) and name[: -len(suffix)] in metrics.FAMILIES:
                name = name[: -len(suffix)]
        names.add(name)
    return names


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_rules_structure_and_metric_names() -> None:
    doc = load(RULES)
    alerts = [r for g in doc["groups"] for r in g["rules"]]
    for group in doc["groups"]:
        assert set(group) <= {"name", "rules", "interval"} and group["name"] and group["rules"]
    names = {r["alert"] for r in alerts}
    documented = set(re.findall(r"^\| `(Wirefeed\w+)` \|", (REPO / "docs" / "operations.md").read_text(), re.M))
    assert names == documented
    for rule in alerts:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        used = families_in(rule["expr"])
        assert used, rule["alert"]
        assert used <= set(metrics.FAMILIES), (rule["alert"], used - set(metrics.FAMILIES))
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", rule["for"])


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing: run deploy/chromium/setup.sh")
def test_promtool_checks_and_unit_tests_rules() -> None:
    check = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    unit = subprocess.run(
        ["promtool", "test", "rules", "alerts_test.yml"],
        cwd=RULES.parent, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert unit.returncode == 0, unit.stdout + unit.stderr


def test_scrape_config_loads_the_rules() -> None:
    cfg = load(DEPLOY / "prometheus" / "prometheus.yml")
    assert cfg["rule_files"] == ["/etc/prometheus/alerts.yml"]
    jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
    assert jobs["wirefeed-gateway"]["metrics_path"] == "/metrics"


def test_grafana_dashboard_uses_known_metrics_and_the_provisioned_datasource() -> None:
    dash = json.loads((DEPLOY / "grafana" / "dashboards" / "wirefeed.json").read_text(encoding="utf-8"))
    ds = load(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")["datasources"][0]
    assert dash["uid"] == "wirefeed"
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids)) >= 10
    used: set[str] = set()
    for panel in dash["panels"]:
        assert panel["datasource"]["uid"] == ds["uid"]
        for target in panel["targets"]:
            used |= families_in(target["expr"])
    assert used <= set(metrics.FAMILIES)
    # the panels cover lag, lag seconds, status, throughput, e2e latency, DLQ, dedupe, sinks and the gateway
    for family in ("wirefeed_consumer_lag", "wirefeed_consumer_lag_seconds", "wirefeed_consumer_group_status",
                   "wirefeed_stage_messages", "wirefeed_e2e_latency_seconds", "wirefeed_dlq_messages",
                   "wirefeed_dedupe_verdicts", "wirefeed_sink_write_seconds", "wirefeed_gateway_requests"):  # fmt: skip
        assert family in used, family


def test_compose_mounts_existing_files() -> None:
    compose = load(DEPLOY / "compose-monitoring.yml")
    assert {"prometheus", "grafana"} <= set(compose["services"])
    for svc in compose["services"].values():
        for vol in svc.get("volumes", []):
            src = vol.split(":", 1)[0]
            if src.startswith("."):
                assert (DEPLOY / src).exists(), src

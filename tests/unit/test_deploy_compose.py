"""docker-compose.yml: no Docker engine runs here, so its structure and its settings are checked directly."""

from __future__ import annotations

import yaml

from pipeline.config import KafkaSecurity, Settings
from tests.paths import REPO


def load(name: str) -> dict:
    return yaml.safe_load((REPO / name).read_text())


def env_names() -> set[str]:
    fields = {f"WIREFEED_{n.upper()}" for n in Settings.model_fields}
    return fields | {f"WIREFEED_KAFKA_{n.upper()}" for n in KafkaSecurity.model_fields}


def test_compose_runs_kafka_postgres_workers_and_gateway() -> None:
    compose = load("docker-compose.yml")
    services = compose["services"]
    assert {"kafka", "postgres", "topics", "worker", "gateway"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    for name in ("topics", "worker", "gateway"):
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (REPO / services[name]["build"]["dockerfile"]).is_file()


def test_the_image_builds_from_everything_the_build_reads() -> None:
    """The build stage copies what ``pip wheel .`` reads: the project files (``setup.py`` compiles the tagger) and
    both packages, has a C compiler, and keeps extensions built in place out of the context."""
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    _, build_stage, _runtime = dockerfile.split("\nFROM ")
    copied = {part for line in build_stage.splitlines() if line.startswith("COPY ") for part in line.split()[1:-1]}
    assert {"pyproject.toml", "setup.py", "README.md", "pipeline", "schemas"} <= copied
    assert "gcc" in build_stage and "pip wheel" in build_stage
    assert "**/*.so" in (REPO / ".dockerignore").read_text().splitlines()


def test_every_wirefeed_variable_in_compose_is_a_setting() -> None:
    known = env_names()
    for name, service in load("docker-compose.yml")["services"].items():
        env = service.get("environment") or {}
        for key in env:
            if key.startswith("WIREFEED_"):
                assert key in known, f"{name}: {key} is not a wirefeed setting"


def test_monitoring_is_included_and_its_files_exist() -> None:
    compose = load("docker-compose.yml")
    [included] = compose["include"]
    monitoring = yaml.safe_load((REPO / included).read_text())
    assert {"prometheus", "grafana"} <= set(monitoring["services"])
    for service in monitoring["services"].values():
        for volume in service.get("volumes", []):
            host = volume.split(":", 1)[0]
            if host.startswith("./"):
                assert (REPO / "deploy" / host[2:]).exists(), volume


def test_worker_metrics_port_matches_the_prometheus_scrape_config() -> None:
    worker = load("docker-compose.yml")["services"]["worker"]["environment"]
    prometheus = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    job = next(j for j in prometheus["scrape_configs"] if j["job_name"] == "wirefeed-worker")
    assert str(job["dns_sd_configs"][0]["port"]) == worker["WIREFEED_METRICS_PORT"]
    assert worker["WIREFEED_METRICS_HOST"] == "0.0.0.0"

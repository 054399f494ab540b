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


def test_every_published_port_is_bound_to_loopback() -> None:
    """Nothing is served on the host's public interfaces by default (the gateway needs keys, Kafka has none)."""
    compose = load("docker-compose.yml")
    monitoring = yaml.safe_load((REPO / compose["include"][0]).read_text())
    for name, service in {**compose["services"], **monitoring["services"]}.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_gateway_metrics_port_matches_the_prometheus_scrape_config_and_is_not_published() -> None:
    gateway = load("docker-compose.yml")["services"]["gateway"]
    prometheus = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    job = next(j for j in prometheus["scrape_configs"] if j["job_name"] == "wirefeed-gateway")
    port = gateway["environment"]["WIREFEED_API_METRICS_PORT"]
    assert job["static_configs"][0]["targets"] == [f"gateway:{port}"]
    assert not any(str(p).endswith(f":{port}") for p in gateway.get("ports", []))


def test_the_image_is_pinned_by_digest_installs_the_lock_and_runs_unprivileged() -> None:
    import re

    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    header, build_stage, runtime = dockerfile.split("\nFROM ")
    [image] = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", header, flags=re.M)
    assert re.fullmatch(r"python:3\.11[\w.-]*-slim[\w.-]*@sha256:[0-9a-f]{64}", image), image
    assert build_stage.startswith("${PYTHON_IMAGE} ") and runtime.startswith("${PYTHON_IMAGE}\n")
    # The lock, when present, is installed with hashes, then the wheel without resolving anything else.
    assert "requirements.lock" in build_stage
    assert "--require-hashes -r /wheels/requirements.lock" in runtime and "--no-deps /wheels/*.whl" in runtime
    # The last USER is a fixed non-root uid, set after every install step.
    users = re.findall(r"^USER (\S+)$", runtime, flags=re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert runtime.rindex("\nUSER ") > runtime.rindex("\nRUN ")
    assert "requirements.lock" not in (REPO / ".dockerignore").read_text()

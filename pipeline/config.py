"""The one settings object. Every value can be set with a ``WIREFEED_*`` environment variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSecurity(BaseSettings):
    """Client security for every Kafka connection (workers, gateway, lag monitor, CLI)."""

    model_config = SettingsConfigDict(env_prefix="WIREFEED_KAFKA_", extra="ignore")

    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: str | None = Field(None, repr=False)
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIREFEED_", extra="ignore")

    broker: str | None = Field(
        None, description="Kafka bootstrap servers 'host:port[,host:port]'. Unset: start the embedded broker."
    )
    data_dir: Path = Field(Path("var"), description="Where the store, worker state and logs live")
    store_url: str | None = Field(
        None, description="sqlite:///path or postgresql://... Unset: SQLite file in the data dir"
    )
    app_id: str = Field("wirefeed", description="Faust app id: prefix of consumer groups and state topics")
    topic_prefix: str = Field("", description="Prefix for every topic name (e.g. 'staging.')")
    partitions: int = Field(4, ge=1, description="Partitions for pipeline topics created by wirefeed")
    replication_factor: int = Field(1, ge=1)
    producer_idempotence: bool | None = Field(
        None,
        description="Idempotent producers (acks=all). Unset: on, unless the broker cannot issue producer ids "
        "(the embedded broker); true: required; false: off",
    )
    worker_session_timeout_s: float = Field(
        60.0, ge=1, description="A worker silent this long (crashed, killed) leaves the group; its partitions wait. "
        "Apache Kafka refuses less than its group.min.session.timeout.ms (6 s by default)",
    )
    consumer_fetch_max_wait_ms: int = Field(
        100, ge=0, description="Longest a worker's fetch waits for new messages. It also bounds how long records "
        "can wait behind a fetch in flight: aiokafka keeps one fetch per broker, and while some partitions' records "
        "wait in its buffer it fetches the others, so records arriving on the first ones wait for that fetch to "
        "return (Apache Kafka returns it once any of its partitions has records, else after this wait; the "
        "embedded broker holds a fetch for the whole wait)",
    )
    worker_shutdown_timeout_s: float = Field(
        30.0, gt=0, description="After SIGTERM/SIGINT a worker stops cleanly within this long or exits hard "
        "(anything uncommitted is redelivered)",
    )
    web_port: int = Field(6066, description="Faust worker web port (0 disables the worker web server)")
    metrics_port: int = Field(0, ge=0, description="Worker Prometheus /metrics port (0: off)")
    metrics_host: str = Field("127.0.0.1", description="Bind address of the worker /metrics server")
    api_host: str = "127.0.0.1"
    api_port: int = Field(8080, description="Gateway / read API / operator pages")
    api_metrics_port: int = Field(
        0, ge=0, description="Also serve the server's /metrics without a key on this port (0: off; /metrics on "
        "the API port needs an operator key either way)",
    )
    api_metrics_host: str = Field("127.0.0.1", description="Bind address of the keyless /metrics port")
    max_payload_bytes: int = Field(2_000_000, ge=1, description="Largest accepted submission")
    max_nesting_depth: int = Field(64, ge=1, description="Deepest JSON/XML nesting accepted")
    normalise_cpu_budget_s: float = Field(
        2.0, ge=0, description="CPU seconds normalise may spend on one message before rejecting it as too_slow "
        "(0: no budget)",
    )
    max_message_bytes: int = Field(
        1_000_000, ge=1024, description="Largest message the pipeline produces; set as max.message.bytes on "
        "every topic (below Kafka's default 1 MiB). A larger output goes to wire.dlq as too_large",
    )
    gateway_rate_per_second: float = Field(50.0, gt=0, description="Sustained submissions/s allowed per agency")
    gateway_rate_burst: int = Field(200, ge=1, description="Submissions an agency may send at once above the rate")
    gateway_max_batch_items: int = Field(500, ge=1, description="Most stories in one batch request")
    gateway_publish_timeout_ms: int = Field(5000, ge=100, description="Wait for the broker ack before a 503")
    gateway_key_cache_seconds: float = Field(
        1.0, ge=0, description="How long the gateway reuses a looked-up API key (a revocation takes that long)"
    )
    spoof_policy: Literal["flag", "refuse"] = Field(
        "flag", description="A payload naming another agency: store under the key's agency and flag, or refuse"
    )
    dedupe_window_days: float = Field(7.0, gt=0, description="How long dedupe remembers a story")
    dedupe_evict_seconds: float = Field(3600.0, gt=0, description="How often expired dedupe state is deleted")
    near_duplicate_policy: Literal["pass", "drop"] = "pass"
    store_batch_size: int = Field(500, ge=1)
    embargo_check_seconds: float = Field(
        1.0, gt=0, description="How often stored stories whose embargo ended are released (notified)"
    )
    subscriptions_file: Path | None = Field(None, description="YAML/TOML subscriptions; unset: one 'all' topic")
    notification_link_template: str | None = Field(
        None, description="Notification.link, e.g. 'https://wire.example/stories/{uri}' ({uri}, {version}, {agency})"
    )
    default_timezone: str = Field("UTC", description="Timezone for feed timestamps that carry none")
    stage_cache: bool = Field(
        True, description="Workers load what the stages derive from their data at start (the built gazetteer, "
        "the decompressed language model) from cache files, written on the first start after that data or its "
        "code changed, instead of deriving it at every start",
    )
    stage_cache_dir: Path | None = Field(
        None, description="Where those cache files live. Unset: $XDG_CACHE_HOME/wirefeed (~/.cache/wirefeed), "
        "shared by every data dir of the user, or <data dir>/cache when there is no home directory",
    )
    log_level: str = "info"
    kafka: KafkaSecurity = Field(default_factory=KafkaSecurity)

    @property
    def resolved_store_url(self) -> str:
        return self.store_url or f"sqlite:///{(self.data_dir / 'wirefeed.sqlite3').resolve()}"

    @property
    def resolved_stage_cache_dir(self) -> Path | None:
        """The stages' cache directory (None: no cache)."""
        if not self.stage_cache:
            return None
        if self.stage_cache_dir is not None:
            return self.stage_cache_dir
        if xdg := os.environ.get("XDG_CACHE_HOME"):
            return Path(xdg) / "wirefeed"
        try:
            return Path.home() / ".cache" / "wirefeed"
        except RuntimeError:  # no home directory (a container's user without one)
            return self.data_dir / "cache"


#: Worker settings for the embedded broker, which `wirefeed run` (and the benchmarks) give its workers unless the
#: environment sets them. Tansu answers a consumer's JoinGroup only after half the session timeout (30 s at the
#: 60 s default) and answers a fetch only at the end of its wait (a story waits about half the wait at each of
#: three hops), so both are short here: 20 ms keeps a warm story under 50 ms (p50) for ~6 % of a core while idle
#: (100 ms: ~100 ms and ~2 %); see docs/performance.md.
EMBEDDED_WORKER_ENV: dict[str, str] = {
    "WIREFEED_WORKER_SESSION_TIMEOUT_S": "2",
    "WIREFEED_CONSUMER_FETCH_MAX_WAIT_MS": "20",
}


def embedded_worker_env(environ: Mapping[str, str]) -> dict[str, str]:
    """:data:`EMBEDDED_WORKER_ENV` minus what ``environ`` already sets."""
    return {k: v for k, v in EMBEDDED_WORKER_ENV.items() if k not in environ}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

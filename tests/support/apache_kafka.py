"""Run a local Apache Kafka (KRaft) cluster from the Maven Central jars fetched by ``deploy/kafka/fetch.sh``.

For tests and local operation only: every listener is on 127.0.0.1, ports are picked free at start, and each
cluster lives in its own work directory (node properties, data and logs), so several processes on one machine
can each run their own.

    with ApacheKafkaCluster(nodes=1) as cluster:
        print(cluster.bootstrap)          # "127.0.0.1:PORT"

Each node is ``java -cp '<libs>/*' kafka.Kafka node.properties`` in its own session (process group). The JVMs
are stopped by :meth:`ApacheKafkaCluster.stop`, by the context manager, at interpreter exit, and (via the
Linux parent-death signal) with SIGTERM when the Python thread that started them dies. A Python process killed
so hard that the kernel signal is not delivered can still leave one: ``deploy/kafka/stop-all.sh`` kills every
JVM started from this repository.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
import zipfile
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pipeline.broker.embedded import free_port

if TYPE_CHECKING:
    from pipeline.config import KafkaSecurity, Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPO_ROOT / "deploy" / "kafka"
FETCH_SCRIPT = DEPLOY_DIR / "fetch.sh"

#: Newest Apache Kafka version verified with aiokafka and faust-streaming here (see docs/kafka-versions.md).
DEFAULT_VERSION = "4.4.0"
READY_LINE = "Kafka Server started"
#: JVM system property that marks a broker as started from this repository (used by stop-all.sh).
REPO_MARK = f"-Dwirefeed.repo={REPO_ROOT}"

CONSUMER_GROUPS = "consumer-groups"
_TOOL_CLASSES: dict[str, tuple[str, ...]] = {
    # 3.7+ and 4.x moved the command to kafka-tools; 3.6 and older had it in the core jar.
    CONSUMER_GROUPS: (
        "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
        "kafka.admin.ConsumerGroupCommand",
    ),
}

T = TypeVar("T")

SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
#: Users of the SASL_SSL listener, one per mechanism (test credentials for a loopback-only broker).
SASL_USERS: dict[SaslMechanism, tuple[str, str]] = {
    "PLAIN": ("wirefeed-plain", "plain-secret"),
    "SCRAM-SHA-256": ("wirefeed-scram256", "scram256-secret"),
    "SCRAM-SHA-512": ("wirefeed-scram512", "scram512-secret"),
}


class KafkaSetupError(RuntimeError):
    """Java, Maven or the broker jars are missing, or a node failed to start."""


# --------------------------------------------------------------------------------------------------- jars


def libs_root() -> Path:
    """Folder holding one sub-folder of jars per version (``$WIREFEED_KAFKA_LIBS``, default deploy/kafka/lib)."""
    env = os.environ.get("WIREFEED_KAFKA_LIBS")
    return Path(env) if env else DEPLOY_DIR / "lib"


def ensure_libs(version: str = DEFAULT_VERSION) -> Path:
    """Return the jar folder for ``version``, fetching it with ``deploy/kafka/fetch.sh`` on first use."""
    if not shutil.which("java"):
        raise KafkaSetupError(
            "java not found: Apache Kafka needs a JDK 17+ on PATH "
            "(Debian/Ubuntu: 'apt-get install -y openjdk-17-jdk-headless maven')"
        )
    dest = libs_root() / version
    if (dest / ".complete").exists():
        return dest
    if not shutil.which("mvn"):
        raise KafkaSetupError(
            f"Kafka {version} jars are not in {dest} and Maven is not on PATH to fetch them "
            "(Debian/Ubuntu: 'apt-get install -y maven', then run deploy/kafka/fetch.sh)"
        )
    proc = subprocess.run(
        ["bash", str(FETCH_SCRIPT), version], capture_output=True, text=True, timeout=900, check=False
    )
    if proc.returncode != 0 or not (dest / ".complete").exists():
        raise KafkaSetupError(f"deploy/kafka/fetch.sh {version} failed:\n{proc.stderr[-4000:]}")
    return dest


def _classpath(libs: Path) -> str:
    return str(libs / "*")


def find_tool_class(name: str, libs: Path) -> str:
    """Resolve a tool alias (e.g. :data:`CONSUMER_GROUPS`) to the main class present in ``libs``."""
    candidates = _TOOL_CLASSES.get(name, (name,))
    for jar in sorted(libs.glob("kafka*.jar")):
        with zipfile.ZipFile(jar) as zf:
            names = set(zf.namelist())
        for cls in candidates:
            if cls.replace(".", "/") + ".class" in names:
                return cls
    raise KafkaSetupError(f"none of {candidates} found in the jars of {libs}")


def kafka_tool(tool: str, args: Sequence[str], *, version: str = DEFAULT_VERSION, timeout: float = 120.0) -> str:
    """Run a Kafka tools main class (or alias such as ``"consumer-groups"``) and return its stdout.

    Raises :class:`subprocess.CalledProcessError` (with stderr) when the tool exits non-zero.
    """
    libs = ensure_libs(version)
    cls = find_tool_class(tool, libs)
    cmd = ["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", _classpath(libs), cls, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd, proc.stdout, proc.stderr)
    return proc.stdout


@dataclass(frozen=True, slots=True)
class GroupLagRow:
    topic: str
    partition: int
    current_offset: int | None
    log_end_offset: int
    lag: int | None


def parse_consumer_group_describe(text: str) -> list[GroupLagRow]:
    """Parse ``consumer-groups --describe --group G`` output (a '-' offset or lag means none committed)."""
    rows: list[GroupLagRow] = []
    header: list[str] | None = None
    for line in text.splitlines():
        cols = line.split()
        if not cols:
            continue
        if cols[0] == "GROUP":
            header = cols
            continue
        if header is None or len(cols) < len(header):
            continue
        rec = dict(zip(header, cols, strict=False))

        def num(key: str, rec: dict[str, str] = rec) -> int | None:
            value = rec.get(key, "-")
            return None if value == "-" else int(value)

        end = num("LOG-END-OFFSET")
        rows.append(GroupLagRow(rec["TOPIC"], int(rec["PARTITION"]), num("CURRENT-OFFSET"), end or 0, num("LAG")))
    return rows


# --------------------------------------------------------------------------------------------------- helpers


def random_cluster_id() -> str:
    """Same format and rules as ``kafka-storage random-uuid`` (22 chars url-safe base64, no leading '-')."""
    while True:
        raw = uuid.uuid4().bytes
        text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        if not text.startswith("-") and raw != bytes(16):
            return text


def _run_coro(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, also when called inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    t = threading.Thread(target=target, name="kafka-ready-check")
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _parent_death_preexec(parent_pid: int) -> Any:
    """preexec_fn: SIGTERM the child when the parent thread dies (Linux prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        # The signal fires when the *thread* that forked dies; only the main thread lives as long as Python.
        return None

    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent_pid:  # parent already gone before prctl took effect
            os._exit(1)

    return preexec


def _terminate(procs: Mapping[int, subprocess.Popen[bytes]], grace: float = 20.0) -> None:
    """SIGTERM every live process group, wait up to ``grace`` s, then SIGKILL what is left."""
    live = [p for p in procs.values() if p.poll() is None]
    for p in live:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in live:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


# --------------------------------------------------------------------------------------------------- cluster


@dataclass(slots=True)
class _Node:
    index: int
    node_id: int
    port: int
    controller_port: int
    dir: Path
    sasl_port: int = 0

    @property
    def properties_file(self) -> Path:
        return self.dir / "node.properties"

    @property
    def log_file(self) -> Path:
        return self.dir / "kafka.log"

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"


class ApacheKafkaCluster:
    """A local KRaft cluster of ``nodes`` combined broker+controller JVMs.

    ``extra_props`` are added to (and override) every node's properties. ``heap`` is the JVM -Xmx.
    ``sasl_ssl=True`` adds a SASL_SSL listener (PLAIN and SCRAM users, self-signed CA made with openssl); see
    :attr:`sasl_bootstrap`, :meth:`client_security` and :meth:`client_settings`.
    ``workdir`` defaults to a fresh temporary folder (kept after stop for the logs, unless ``cleanup=True``).
    """

    def __init__(
        self,
        nodes: int = 1,
        version: str = DEFAULT_VERSION,
        workdir: Path | str | None = None,
        extra_props: Mapping[str, str | int] | None = None,
        sasl_ssl: bool = False,
        heap: str = "512m",
        ready_timeout: float = 90.0,
        cleanup: bool = False,
    ) -> None:
        if nodes < 1:
            raise ValueError("nodes must be >= 1")
        self.nodes = nodes
        self.version = version
        self.sasl_ssl = sasl_ssl
        self.extra_props = {k: str(v) for k, v in (extra_props or {}).items()}
        self.heap = heap
        self.ready_timeout = ready_timeout
        self.cleanup = cleanup
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="wirefeed-kafka-"))
        self.cluster_id: str | None = None
        self._libs: Path | None = None
        self._nodes: list[_Node] = []
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._finalizer = weakref.finalize(self, _terminate, self._procs, 10.0)
        self.start_seconds: list[float] = []

    # ------------------------------------------------------------------ public API

    @property
    def bootstrap(self) -> str:
        """Bootstrap servers of every node: ``"127.0.0.1:p1,127.0.0.1:p2,..."``."""
        if not self._nodes:
            raise RuntimeError("cluster not started")
        return ",".join(f"127.0.0.1:{n.port}" for n in self._nodes)

    @property
    def sasl_bootstrap(self) -> str:
        """Bootstrap servers of the SASL_SSL listener (``sasl_ssl=True`` only)."""
        if not self.sasl_ssl:
            raise RuntimeError("cluster was created without sasl_ssl=True")
        if not self._nodes:
            raise RuntimeError("cluster not started")
        return ",".join(f"127.0.0.1:{n.sasl_port}" for n in self._nodes)

    @property
    def tls_dir(self) -> Path:
        return self.workdir / "tls"

    @property
    def ca_file(self) -> Path:
        """PEM file of the self-signed CA that signed the broker certificate (``sasl_ssl=True`` only)."""
        return self.tls_dir / "ca.pem"

    def client_security(self, mechanism: SaslMechanism = "SCRAM-SHA-512") -> KafkaSecurity:
        """Client security settings that authenticate to the SASL_SSL listener with ``mechanism``."""
        from pipeline.config import KafkaSecurity

        user, password = SASL_USERS[mechanism]
        return KafkaSecurity(
            security_protocol="SASL_SSL",
            sasl_mechanism=mechanism,
            sasl_username=user,
            sasl_password=password,
            ssl_cafile=self.ca_file,
        )

    def client_settings(self, mechanism: SaslMechanism = "SCRAM-SHA-512", **overrides: Any) -> Settings:
        """A full :class:`pipeline.config.Settings` for the SASL_SSL listener (for ``client_kwargs``)."""
        from pipeline.config import Settings

        return Settings(broker=self.sasl_bootstrap, kafka=self.client_security(mechanism), **overrides)

    @property
    def libs(self) -> Path:
        if self._libs is None:
            self._libs = ensure_libs(self.version)
        return self._libs

    def node_bootstrap(self, i: int) -> str:
        return f"127.0.0.1:{self._nodes[i].port}"

    def log_path(self, i: int) -> Path:
        return self._nodes[i].log_file

    def pid(self, i: int) -> int | None:
        p = self._procs.get(i)
        return p.pid if p is not None and p.poll() is None else None

    def is_running(self, i: int) -> bool:
        return self.pid(i) is not None

    def start(self) -> ApacheKafkaCluster:
        """Format storage (first time), start every node, wait until all are ready. Idempotent."""
        libs = self.libs
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self._nodes:
            self._layout()
        if self.sasl_ssl:
            self._make_tls()
        last_error: Exception | None = None
        for _attempt in range(3):
            self._write_properties()
            self._format(libs)
            offsets = {}
            for n in self._nodes:
                if not self.is_running(n.index):
                    offsets[n.index] = self._spawn(n)
            try:
                t0 = time.monotonic()
                for i, off in offsets.items():
                    self._wait_log_ready(self._nodes[i], off)
                    self.start_seconds.append(time.monotonic() - t0)
                self._wait_metadata(expected_brokers=self.nodes)
                self._write_state()
                return self
            except KafkaSetupError as exc:
                last_error = exc
                _terminate(self._procs)
                self._procs.clear()
                if not any(
                    "Address already in use" in self._log_since(self._nodes[i], off) for i, off in offsets.items()
                ):
                    raise
                # A port picked free was taken meanwhile by another process: choose new ports and retry.
                self._pick_ports()
        raise KafkaSetupError(f"could not start Kafka after 3 attempts: {last_error}")

    def stop(self) -> None:
        """SIGTERM every node (clean shutdown), wait, then SIGKILL what is left. Several nodes are killed at once:
        stopped together, none can finish a clean shutdown (each waits for a controller quorum that is stopping
        too, until the grace time runs out), and the cluster is thrown away."""
        _terminate(self._procs, grace=20.0 if len(self._procs) == 1 else 0.0)
        self._procs.clear()
        if self.cleanup and self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def kill_node(self, i: int) -> None:
        """SIGKILL node ``i`` (no clean shutdown); its data stays for :meth:`start_node`."""
        p = self._procs.pop(i, None)
        if p is not None and p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)

    def stop_node(self, i: int) -> None:
        """SIGTERM node ``i`` and wait for its clean shutdown."""
        p = self._procs.pop(i, None)
        if p is not None:
            _terminate({i: p})

    def start_node(self, i: int) -> None:
        """(Re)start node ``i`` with its existing data and ports; wait until it is back in the cluster."""
        if self.is_running(i):
            return
        node = self._nodes[i]
        off = self._spawn(node)
        self._wait_log_ready(node, off)
        self._wait_metadata(expected_brokers=sum(self.is_running(n.index) for n in self._nodes))

    def tool(self, tool: str, *args: str, timeout: float = 120.0) -> str:
        """Run a Kafka tool against this cluster's version (pass ``--bootstrap-server`` yourself)."""
        return kafka_tool(tool, args, version=self.version, timeout=timeout)

    def describe_group(self, group: str) -> list[GroupLagRow]:
        """Per-partition committed offset, end offset and lag of ``group`` as the Kafka CLI reports them."""
        out = self.tool(CONSUMER_GROUPS, "--bootstrap-server", self.bootstrap, "--describe", "--group", group)
        return parse_consumer_group_describe(out)

    def rss_bytes(self, i: int) -> int | None:
        """Resident memory of node ``i``'s JVM (Linux /proc), or None if it is not running."""
        pid = self.pid(i)
        if pid is None:
            return None
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return None

    def __enter__(self) -> ApacheKafkaCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ internals

    def _layout(self) -> None:
        self._nodes = [
            _Node(index=i, node_id=i + 1, port=0, controller_port=0, dir=self.workdir / f"node-{i + 1}")
            for i in range(self.nodes)
        ]
        for n in self._nodes:
            n.dir.mkdir(parents=True, exist_ok=True)
        self._pick_ports()

    def _pick_ports(self) -> None:
        for n in self._nodes:
            n.port, n.controller_port = free_port(), free_port()
            n.sasl_port = free_port() if self.sasl_ssl else 0

    def properties(self, i: int) -> dict[str, str]:
        """The server properties of node ``i`` (see deploy/kafka/README.md for why each is set)."""
        n = self._nodes[i]
        rf = min(3, self.nodes)
        min_isr = min(2, self.nodes)
        voters = ",".join(f"{m.node_id}@127.0.0.1:{m.controller_port}" for m in self._nodes)
        props = {
            "process.roles": "broker,controller",
            "node.id": str(n.node_id),
            "controller.quorum.voters": voters,
            "listeners": self._plain_listeners(n),
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{n.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(n.data_dir),
            "offsets.topic.replication.factor": str(rf),
            "transaction.state.log.replication.factor": str(rf),
            "transaction.state.log.min.isr": str(min_isr),
            "default.replication.factor": str(rf),
            "min.insync.replicas": str(min_isr),
            "offsets.topic.num.partitions": "5",
            "transaction.state.log.num.partitions": "5",
            "share.coordinator.state.topic.replication.factor": str(rf),
            "share.coordinator.state.topic.min.isr": str(min_isr),
            "share.coordinator.state.topic.num.partitions": "3",
            "group.initial.rebalance.delay.ms": "0",
            "log.cleaner.dedupe.buffer.size": "4194304",
            "num.network.threads": "2",
            "num.io.threads": "4",
            "num.recovery.threads.per.data.dir": "1",
            "broker.heartbeat.interval.ms": "1000",
            "broker.session.timeout.ms": "6000",
            "auto.create.topics.enable": "true",
        }
        if self.sasl_ssl:
            props.update(self._sasl_ssl_properties(n))
        props.update(self.extra_props)
        return props

    def _sasl_ssl_properties(self, n: _Node) -> dict[str, str]:
        plain_user, plain_password = SASL_USERS["PLAIN"]
        return {
            "listeners": f"{self._plain_listeners(n)},SASL_SSL://127.0.0.1:{n.sasl_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{n.port},SASL_SSL://127.0.0.1:{n.sasl_port}",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL",
            "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
            "listener.name.sasl_ssl.plain.sasl.jaas.config": (
                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                f'user_{plain_user}="{plain_password}";'
            ),
            "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.tls_dir / "broker-keystore.pem"),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.ca_file),
            "ssl.client.auth": "none",
        }

    def _plain_listeners(self, n: _Node) -> str:
        return f"PLAINTEXT://127.0.0.1:{n.port},CONTROLLER://127.0.0.1:{n.controller_port}"

    def _make_tls(self) -> None:
        """Self-signed CA and a broker certificate for 127.0.0.1/localhost (PEM, unencrypted PKCS#8 keys)."""
        d = self.tls_dir
        if (d / "broker-keystore.pem").exists():
            return
        if not shutil.which("openssl"):
            raise KafkaSetupError("openssl not found: needed for sasl_ssl=True ('apt-get install -y openssl')")
        d.mkdir(parents=True, exist_ok=True)
        (d / "broker.ext").write_text(
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n"
        )
        steps = [
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
             "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=wirefeed local test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", "broker.key",
             "-out", "broker.csr", "-subj", "/CN=localhost"],
            ["openssl", "x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-sha256", "-days", "30", "-out", "broker.pem", "-extfile", "broker.ext"],
        ]  # fmt: skip
        for cmd in steps:
            proc = subprocess.run(cmd, cwd=d, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise KafkaSetupError(f"{' '.join(cmd[:2])} failed: {proc.stderr[-2000:]}")
        # Kafka's PEM key store: the private key and the certificate chain in one file.
        keystore = (d / "broker.key").read_text() + (d / "broker.pem").read_text() + (d / "ca.pem").read_text()
        (d / "broker-keystore.pem").write_text(keystore)

    def _write_properties(self) -> None:
        for n in self._nodes:
            lines = [f"{k}={v}" for k, v in self.properties(n.index).items()]
            n.properties_file.write_text("\n".join(lines) + "\n")

    def _format(self, libs: Path) -> None:
        todo = [n for n in self._nodes if not (n.data_dir / "meta.properties").exists()]
        if not todo:
            return
        if self.cluster_id is None:
            self.cluster_id = random_cluster_id()
        scram: list[str] = []
        if self.sasl_ssl:
            scram_mechs: tuple[SaslMechanism, ...] = ("SCRAM-SHA-256", "SCRAM-SHA-512")
            for mech in scram_mechs:
                user, password = SASL_USERS[mech]
                scram += ["--add-scram", f"{mech}=[name={user},password={password}]"]
        procs = [
            (
                n,
                subprocess.Popen(
                    [
                        "java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", _classpath(libs),
                        "kafka.tools.StorageTool", "format", "-t", self.cluster_id,
                        "-c", str(n.properties_file), "--ignore-formatted", *scram,
                    ],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                ),
            )
            for n in todo
        ]  # fmt: skip
        for n, p in procs:
            out, _ = p.communicate(timeout=120)
            if p.returncode != 0:
                raise KafkaSetupError(f"formatting node {n.node_id} failed:\n{out.decode()[-4000:]}")

    def _jvm_flags(self, n: _Node) -> list[str]:
        return [
            f"-Xmx{self.heap}",
            "-Xms64m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
            REPO_MARK,
            f"-Dwirefeed.kafka.workdir={self.workdir}",
        ]

    def _spawn(self, n: _Node) -> int:
        """Start node ``n``; return the log offset from which to look for the ready line."""
        offset = n.log_file.stat().st_size if n.log_file.exists() else 0
        cmd = ["java", *self._jvm_flags(n), "-cp", _classpath(self.libs), "kafka.Kafka", str(n.properties_file)]
        with open(n.log_file, "ab") as log:
            self._procs[n.index] = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=n.dir,
                start_new_session=True,
                preexec_fn=_parent_death_preexec(os.getpid()),
            )
        return offset

    def _wait_log_ready(self, n: _Node, offset: int) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            with open(n.log_file, "rb") as f:
                f.seek(offset)
                if READY_LINE.encode() in f.read():
                    return
            p = self._procs.get(n.index)
            if p is None or p.poll() is not None:
                raise KafkaSetupError(
                    f"Kafka node {n.node_id} exited (code {p.returncode if p else '?'}) before it was ready; "
                    f"log {n.log_file}:\n{self._tail(n)}"
                )
            time.sleep(0.1)
        raise KafkaSetupError(
            f"Kafka node {n.node_id} not ready after {self.ready_timeout}s; log {n.log_file}:\n{self._tail(n)}"
        )

    def _wait_metadata(self, expected_brokers: int) -> None:
        """A real client request: metadata through aiokafka must list ``expected_brokers`` brokers."""
        deadline = time.monotonic() + self.ready_timeout
        last: object = None
        while time.monotonic() < deadline:
            try:
                count = _run_coro(count_brokers(self.bootstrap))
                if count >= expected_brokers:
                    return
                last = f"{count} of {expected_brokers} brokers in metadata"
            except Exception as exc:
                last = exc
            time.sleep(0.25)
        raise KafkaSetupError(f"Kafka metadata not ready after {self.ready_timeout}s: {last!r}")

    def _log_since(self, n: _Node, offset: int) -> str:
        try:
            with open(n.log_file, "rb") as f:
                f.seek(offset)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def _tail(self, n: _Node, lines: int = 40) -> str:
        try:
            return "\n".join(n.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _write_state(self) -> None:
        state = {
            "version": self.version,
            "cluster_id": self.cluster_id,
            "bootstrap": self.bootstrap,
            "nodes": [
                {
                    "node_id": n.node_id,
                    "port": n.port,
                    "controller_port": n.controller_port,
                    "sasl_ssl_port": n.sasl_port or None,
                    "pid": self.pid(n.index),
                }
                for n in self._nodes
            ],
        }
        (self.workdir / "cluster.json").write_text(json.dumps(state, indent=2) + "\n")


async def count_brokers(bootstrap: str) -> int:
    """Number of brokers in the cluster metadata, by a real aiokafka request (describe_cluster)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        desc = await admin.describe_cluster()
        return len(desc["brokers"])
    finally:
        await admin.close()


# --------------------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tests.support.apache_kafka start|stop|fetch``: a foreground local cluster for development."""
    ap = argparse.ArgumentParser(prog="python -m tests.support.apache_kafka")
    sub = ap.add_subparsers(dest="cmd", required=True)
    st = sub.add_parser("start", help="start a cluster and keep it running until Ctrl-C / SIGTERM")
    st.add_argument("--nodes", type=int, default=1)
    st.add_argument("--version", default=DEFAULT_VERSION)
    st.add_argument("--workdir", type=Path, default=None)
    st.add_argument("--sasl-ssl", action="store_true", help="add a SASL_SSL listener; print its client settings")
    sp = sub.add_parser("stop", help="stop the cluster whose workdir is given (SIGTERM, then SIGKILL)")
    sp.add_argument("workdir", type=Path)
    fe = sub.add_parser("fetch", help="fetch the jars of a version")
    fe.add_argument("--version", default=DEFAULT_VERSION)
    args = ap.parse_args(argv)

    if args.cmd == "fetch":
        print(ensure_libs(args.version))
        return 0
    if args.cmd == "stop":
        state = json.loads((args.workdir / "cluster.json").read_text())
        for node in state["nodes"]:
            if node.get("pid"):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node["pid"], signal.SIGTERM)
        return 0
    cluster = ApacheKafkaCluster(nodes=args.nodes, version=args.version, workdir=args.workdir, sasl_ssl=args.sasl_ssl)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with cluster:
        if args.sasl_ssl:
            sec = cluster.client_security("SCRAM-SHA-512")
            print(f"WIREFEED_BROKER={cluster.sasl_bootstrap}")
            for key, value in sec.model_dump(exclude_none=True).items():
                print(f"WIREFEED_KAFKA_{key.upper()}={value}")
            print(f"# PLAINTEXT listener: {cluster.bootstrap}", flush=True)
        else:
            print(f"WIREFEED_BROKER={cluster.bootstrap}", flush=True)
        print(f"workdir: {cluster.workdir}", file=sys.stderr, flush=True)
        try:
            while all(cluster.is_running(i) for i in range(cluster.nodes)):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

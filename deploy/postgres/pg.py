"""Start and stop a throwaway PostgreSQL cluster on 127.0.0.1 and a free port (stdlib only).

Usage::

    python deploy/postgres/pg.py start [--dir DIR] [--port N]   # prints the connection URL
    python deploy/postgres/pg.py stop --dir DIR                  # stops it (keeps the files)
    python deploy/postgres/pg.py destroy --dir DIR               # stops it and removes DIR

The server binaries come from Debian's ``postgresql`` package (``deploy/postgres/setup.sh`` installs it). The
server refuses to run as root, so when this runs as root every server command runs as the ``postgres`` user via
``runuser``. The cluster listens on 127.0.0.1 only, with password (SCRAM) authentication, and durability
settings turned off: it is for tests and local runs, never for data that matters.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

USER = "wirefeed"
PASSWORD = "wirefeed"
DATABASE = "wirefeed"
RUN_AS = "postgres"
SETUP = Path(__file__).resolve().parent / "setup.sh"


class PostgresNotInstalled(RuntimeError):
    pass


def find_bindir() -> Path:
    """Directory holding initdb/pg_ctl: $WIREFEED_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin."""
    if env := os.environ.get("WIREFEED_PG_BINDIR"):
        return Path(env)
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    if not found:
        raise PostgresNotInstalled(f"PostgreSQL server not installed: run {SETUP}")
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One throwaway cluster in ``root`` (data/, sock/, server.log, cluster.json)."""

    def __init__(self, root: Path | None = None, port: int | None = None) -> None:
        self.bindir = find_bindir()
        self.as_root = os.geteuid() == 0
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="wirefeed-pg-"))
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        meta = self.root / "cluster.json"
        saved = json.loads(meta.read_text()) if meta.exists() else {}
        self.port: int = port or saved.get("port") or free_port()
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.log = self.root / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{DATABASE}"

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd="/", check=False)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def _chown(self, path: Path) -> None:
        if self.as_root:
            pw = pwd.getpwnam(RUN_AS)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def init(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        self._chown(self.root)
        for d in (self.data, self.sock):
            d.mkdir(exist_ok=True)
            self._chown(d)
        pwfile = self.root / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        self._chown(pwfile)
        self._run(
            "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}", "--auth=scram-sha-256",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        pwfile.unlink()
        (self.root / "cluster.json").write_text(json.dumps({"port": self.port}))

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def start(self) -> str:
        """Initialise if needed, start, and create the ``wirefeed`` database. Returns its URL."""
        self.init()
        if not self.running():
            opts = (
                f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            if not self.log.exists():
                self.log.touch()
                self._chown(self.log)
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "-t", "60", "start")
        exists = self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", "postgres", "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'",
        ).stdout.strip()  # fmt: skip
        if exists != "1":
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, DATABASE)
        return self.url

    def create_database(self, name: str) -> str:
        """Create an empty database on the running server; returns its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name)
        return self.admin_url(name)

    def drop_database(self, name: str) -> None:
        self._run("dropdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "--force", "--if-exists", name)

    def stop(self) -> None:
        if self.data.exists() and self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"PostgreSQL on port {self.port} not ready after {timeout}s")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "destroy", "url"])
    parser.add_argument("--dir", type=Path, default=None, help="Cluster folder (default: a new temp folder)")
    parser.add_argument("--port", type=int, default=None, help="Port (default: a free one, kept in the folder)")
    args = parser.parse_args(argv)
    if args.action != "start" and args.dir is None:
        parser.error(f"{args.action} needs --dir")
    cluster = Cluster(args.dir, args.port)
    if args.action == "start":
        print(cluster.start())
        print(f"# folder: {cluster.root}", file=sys.stderr)
    elif args.action == "stop":
        cluster.stop()
    elif args.action == "destroy":
        cluster.destroy()
    else:
        print(cluster.url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""The README as a newcomer follows it: every command of every ``bash`` block, as written, from the root of a clean
clone (``git clone`` of this repository's HEAD, with ``../shared`` next to it) on the embedded default. Blocks
marked ``sh`` need Apache Kafka (:data:`KAFKA_ONLY`) and are not run here.

Each command exits 0 and its output contains what the README says it shows, or it is documented as long-running
("until Ctrl-C" in its comment, or the first block's ``run-local.sh``): then it is started in the background,
checked once its output shows it is up, and stopped as the README says (Ctrl-C), after which no process it started
may be left. :data:`EXPECTED` names every command the README has; a command added to the README without an entry
here fails the test, so the two stay in sync. ``bash scripts/test.sh`` is the suite this test is part of and is not
run from it.

Two departures from the letter, both for a shared test machine: ``WIREFEED_API_PORT`` is a free port (the README's
``127.0.0.1:8080`` is replaced by it in the commands), and ``WIREFEED_PURE_PYTHON=1`` skips compiling the tagger
during the clone's install (an option the README documents).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.broker.embedded import free_port
from tests.paths import REPO, SHARED

README = REPO / "README.md"
#: The README's first command; it installs, so it gets longer than the others to come up.
RUN_LOCAL = "bash scripts/run-local.sh"
NOT_RUN = "bash scripts/test.sh"

#: For each README command (as written, without its comment): what its output must contain. Long-running commands
#: must show it before they count as up.
EXPECTED: dict[str, tuple[str, ...]] = {
    RUN_LOCAL: ("pipeline ready in", "Kyrgyzstan", "countries KG(", "RU(", "CN(", "KZ(", "US(", "EAEU",
                "pipeline running; broker 127.0.0.1:"),
    NOT_RUN: (),
    "source .venv/bin/activate": (),
    "wirefeed run": ("(embedded, memory-only)", "store      sqlite:///", "pipeline ready in"),
    "export WIREFEED_BROKER=$(cat var/broker)": (),
    "wirefeed publish --agency TCA ../shared/fixtures/seed-story-tca.txt": ("published ../shared/fixtures/",),
    "wirefeed stories --country KG": ("Kyrgyzstan", "countries KG(", "RU(", "CN(", "KZ(", "US(", "EAEU"),
    "wirefeed tail wire.notifications --from-beginning --limit 1": ('"uri":"urn:wirefeed:TCA:',),
    "KEY=$(wirefeed agency add TCA)": (),
    'wirefeed publish --url http://127.0.0.1:8080 --key "$KEY" ../shared/fixtures/seed-story-tca.txt':
        ("(agency TCA)",),
    "wirefeed lag": ("wirefeed",),
    "wirefeed process ../shared/fixtures/seed-story-tca.txt --agency TCA --json": ('"focus_country":"KG"',),
    "wirefeed process ../shared/reference/samples/NTB_nitf_sample.xml --ninjs 3.1": ('"uri":',),
}
#: Shell blocks marked ``sh`` instead of ``bash``: they need Apache Kafka, which the embedded default is not.
KAFKA_ONLY = {"kcat -C -b \"$WIREFEED_BROKER\" -t wire.notifications -o beginning -e -f '%k\\t%s\\n'"}
#: What the default path must never print: warnings and errors a newcomer would have to interpret.
FORBIDDEN = ("Traceback", "publishing without idempotence", "ERROR")
#: Commands that read what the pipeline has not necessarily finished yet: retried for a while.
EVENTUAL = {"wirefeed stories --country KG"}


@dataclass(frozen=True)
class Command:
    block: int
    command: str
    comment: str

    @property
    def long_running(self) -> bool:
        return self.command == RUN_LOCAL or "until Ctrl-C" in self.comment


def readme_blocks(text: str) -> list[list[Command]]:
    """The ``bash`` blocks of the README, each a list of its commands (comment lines left out)."""
    blocks = []
    for i, body in enumerate(re.findall(r"^```bash\n(.*?)^```", text, re.S | re.M)):
        commands = []
        for line in body.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            match = re.match(r"^(.*?)(?:\s{2,}#\s?(.*))?$", line)
            assert match
            commands.append(Command(i, match.group(1).strip(), (match.group(2) or "").strip()))
        blocks.append(commands)
    return blocks


def test_every_readme_command_has_an_expectation() -> None:
    commands = [c.command for block in readme_blocks(README.read_text()) for c in block]
    assert commands, "no bash blocks found in README.md"
    assert set(commands) == set(EXPECTED), (set(commands) ^ set(EXPECTED))
    assert commands[0] == RUN_LOCAL and commands[1] == NOT_RUN
    others = re.findall(r"^```(\w+)\n(.*?)^```", README.read_text(), re.S | re.M)
    assert {body.strip() for fence, body in others if fence == "sh"} == KAFKA_ONLY
    assert not [fence for fence, _ in others if fence in ("shell", "console", "zsh")], "shell blocks must be bash or sh"


# --------------------------------------------------------------------------------------------- processes


def session_pids(sid: int) -> set[int]:
    """Live (not zombie) processes of session ``sid``."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                pids.add(int(stat.parent.name))
    return pids


def broker_pids(port: str) -> set[int]:
    """The embedded broker listening on ``port`` (it runs in a session of its own)."""
    pids = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if f"tcp://127.0.0.1:{port}" in cmdline.read_bytes().decode(errors="replace"):
                pids.add(int(cmdline.parent.name))
    return pids


def alive(pids: set[int]) -> set[int]:
    left = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                left.add(pid)
    return left


@dataclass
class Background:
    """A long-running README command, in a session of its own; ``started`` is every process it ran."""

    proc: subprocess.Popen[bytes]
    out: Path

    def text(self) -> str:
        return self.out.read_text(errors="replace")

    def started(self) -> set[int]:
        pids = session_pids(self.proc.pid)
        if match := re.search(r"broker\s+127\.0\.0\.1:(\d+)", self.text()):
            pids |= broker_pids(match.group(1))
        return pids

    def wait_for(self, expected: tuple[str, ...], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not all(e in self.text() for e in expected):
            assert self.proc.poll() is None, f"exited with {self.proc.returncode}:\n{self.text()[-4000:]}"
            assert time.monotonic() < deadline, f"not up after {timeout:.0f} s:\n{self.text()[-4000:]}"
            time.sleep(0.2)

    def stop(self, sig: signal.Signals, *, group: bool, timeout: float = 45) -> set[int]:
        """Send ``sig`` (to the whole session's group, as Ctrl-C does, or to the command alone, as ``kill`` does);
        return the processes still alive once the command has exited (or ``timeout`` passed)."""
        started = self.started()
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(self.proc.pid, sig)
            else:
                self.proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=timeout)
        deadline = time.monotonic() + 10
        while alive(started) and time.monotonic() < deadline:
            time.sleep(0.2)
        return alive(started)

    def kill(self) -> None:
        for pid in self.started():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)


class Shell:
    """Runs README commands one at a time in a clone, carrying the shell state the README relies on (activated
    venv, exported and assigned variables) from one command to the next."""

    def __init__(self, clone: Path, api_port: int) -> None:
        self.clone = clone
        self.api_port = api_port
        self.state = clone.parent / "shell-state.sh"
        self.state.write_text("")
        #: Variables the README's commands set so far (carried to every later command).
        self.names = {"PATH", "VIRTUAL_ENV"}
        venv_bin = str(Path(sys.prefix) / "bin")
        path = ":".join(p for p in os.environ["PATH"].split(":") if p != venv_bin)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("WIREFEED_", "VIRTUAL_ENV"))}
        self.env.update(PATH=path, WIREFEED_API_PORT=str(api_port), WIREFEED_PURE_PYTHON="1")

    def script(self, command: str, *, background: bool) -> str:
        command = command.replace("127.0.0.1:8080", f"127.0.0.1:{self.api_port}")
        if background:
            return f"source {shlex.quote(str(self.state))}\nexec {command}\n"
        self.names.update(re.findall(r"^(?:export\s+)?([A-Za-z_]\w*)=", command))
        state = shlex.quote(str(self.state))
        return (f"source {state}\n{command}\nrc=$?\n"
                f"declare -p {' '.join(sorted(self.names))} > {state}.new 2>/dev/null\nmv {state}.new {state}\n"
                "exit $rc\n")

    def run(self, command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", self.script(command, background=False)], cwd=self.clone, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def start(self, command: str, name: str) -> Background:
        out = self.clone.parent / f"{name}.out"
        with out.open("wb") as sink:
            proc = subprocess.Popen(["bash", "-c", self.script(command, background=True)], cwd=self.clone,
                                    env=self.env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        return Background(proc, out)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (SHARED / "fixtures" / "seed-story-tca.txt").is_file():
        pytest.skip(f"the README's commands read ../shared/ next to the repository; {SHARED} is missing")
    root = tmp_path_factory.mktemp("readme")
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(root / "wirefeed")], check=True, timeout=120)
    (root / "shared").symlink_to(SHARED)
    return root / "wirefeed"


@contextlib.contextmanager
def background(shell: Shell, command: str, name: str) -> Iterator[Background]:
    bg = shell.start(command, name)
    try:
        yield bg
    finally:
        bg.kill()  # only does anything when the test failed before stopping it


@pytest.mark.slow
@pytest.mark.embedded
@pytest.mark.timeout(1500)
def test_readme_runs_as_written_on_a_clean_clone(clone: Path) -> None:
    shell = Shell(clone, free_port())
    blocks = readme_blocks(README.read_text())
    running: list[Background] = []
    with contextlib.ExitStack() as stack:
        for block in blocks:
            for cmd in block:
                expected = EXPECTED[cmd.command]
                if cmd.command == NOT_RUN:
                    continue
                if cmd.long_running:
                    # The README says to stop the first command before the manual walk starts its own pipeline.
                    for bg in running:
                        left = bg.stop(signal.SIGINT, group=True)
                        assert not left, f"left running after Ctrl-C: {left}"
                    running.clear()
                    bg = stack.enter_context(background(shell, cmd.command, f"block{cmd.block}"))
                    bg.wait_for(expected, timeout=900 if cmd.command == RUN_LOCAL else 120)
                    assert not [f for f in FORBIDDEN if f in bg.text()], bg.text()
                    running.append(bg)
                    continue
                deadline = time.monotonic() + (60 if cmd.command in EVENTUAL else 0)
                while True:
                    done = shell.run(cmd.command)
                    output = done.stdout + done.stderr
                    if done.returncode == 0 and all(e in output for e in expected):
                        break
                    assert time.monotonic() < deadline, (
                        f"README block {cmd.block}: `{cmd.command}` exited {done.returncode}; expected "
                        f"{expected} in its output:\n{output[-3000:]}")
                    time.sleep(1)
                assert not [f for f in FORBIDDEN if f in output], output
        for bg in running:
            left = bg.stop(signal.SIGINT, group=True)
            assert not left, f"left running after Ctrl-C: {left}"
    broker_log = (clone / "var" / "broker.log").read_text()
    assert "ERROR" not in broker_log, broker_log


@pytest.mark.slow
@pytest.mark.embedded
@pytest.mark.timeout(1200)
def test_sigterm_to_run_local_stops_every_process_it_started(clone: Path) -> None:
    """Started with ``&`` from a script (SIGINT ignored), stopped with a plain ``kill``."""
    shell = Shell(clone, free_port())
    with background(shell, RUN_LOCAL, "sigterm") as bg:
        bg.wait_for(EXPECTED[RUN_LOCAL], timeout=900)
        started = bg.started()
        assert len(started) >= 5, started  # script, wirefeed run, worker, server, broker
        left = bg.stop(signal.SIGTERM, group=False)
        assert not left, f"left running after SIGTERM to run-local.sh: {left}"
        assert bg.proc.returncode == 128 + signal.SIGTERM, bg.text()
    assert "stopped" in (clone / "var" / "run.out").read_text()  # `wirefeed run` shut down, not killed

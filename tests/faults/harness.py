"""The fault tests' harness: an own Redis, and a supervisor of Celery workers and beat."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# The recovery settings of the workers and beat under test: short, so that a test waits seconds.
WATCHDOG_SECONDS = 2
RECOVERY_ENV = {
    "COMMISSION_CLOSE_WATCHDOG_SECONDS": str(WATCHDOG_SECONDS),
    "COMMISSION_CLOSE_STALL_SECONDS": "5",
    "COMMISSION_CLOSE_CLAIM_GRACE_SECONDS": "2",
}
# About ten chunks of the fault network (tests/faults/network.py): kills land between chunk writes.
CHUNK_DISTRIBUTORS = 120


# --- Redis ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of this test alone, without persistence: a restart loses every message, as a
    Redis without a volume does when its container is replaced."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with open(self.directory / f"redis-{self.starts}.log", "w") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.directory)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self.ping():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def kill(self) -> float:
        """SIGKILL, as a crash would; the time of the kill (time.time())."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        killed = time.time()
        self.process.wait()
        return killed

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


# --- the supervisor -------------------------------------------------------------------------------


@dataclass
class Managed:
    """One supervised program (a worker or beat) and every process started for it."""

    name: str
    command: list[str]
    env: dict[str, str]
    restart_env: dict[str, str]
    process: subprocess.Popen | None = None
    started: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    deaths: list[tuple[float, int]] = field(default_factory=list)  # (time.time(), return code)
    death_seen: bool = False
    own_host: bool = False


class Supervisor:
    """Starts Celery workers and beat against the test database and Redis and keeps them running:
    a worker that dies is started again (without its faults, unless asked), as systemd's
    Restart=always or a container's restart policy would. Nothing else is done for the close.

    Every process logs to its own file; `tail()` shows them when a test fails.
    """

    def __init__(self, *, directory: Path, database_url: str, broker_url: str) -> None:
        self.directory = directory
        self.state = directory / "faults-fired"  # BACKOFFICE_FAULTS_STATE: each fault fires once
        self.state.mkdir()
        base = {key: value for key, value in os.environ.items() if not key.startswith("BACKOFFICE_FAULTS")}
        self.env = {
            **base,
            **RECOVERY_ENV,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "DJANGO_SETTINGS_MODULE": "backoffice.settings",
            "COMMISSION_CLOSE_CHUNK_DISTRIBUTORS": str(CHUNK_DISTRIBUTORS),
            "PREVIEW_EVERY_MINUTES": "0",  # no scheduled previews of the open month during a test
            "BACKOFFICE_FAULTS_STATE": str(self.state),
            "PYTHONUNBUFFERED": "1",
        }
        self.programs: dict[str, Managed] = {}
        self.hold = False  # True: a dead worker stays dead until `release()`

    def worker(
        self, name: str = "worker", *, faults: str = "", pool: str = "solo", concurrency: int = 1,
        keep_faults: bool = False, own_host: bool = False, **env: str,
    ) -> None:  # fmt: skip
        """Start a worker; `faults` arms fault points (core/faults.py). A restarted worker runs
        without them unless `keep_faults` (the state directory still lets each fire only once).

        `own_host`: every start of the worker gets a host name of its own (a UTS namespace), as a
        replaced container or another machine would: the close cannot tell that a claim's process
        is gone by its pid, only by the chunk's row lock."""
        command = [
            sys.executable, "-m", "celery", "-A", "backoffice", "worker", f"--pool={pool}",
            f"--concurrency={concurrency}", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "--loglevel=INFO",
        ]  # fmt: skip
        started = {**self.env, **env, **({"BACKOFFICE_FAULTS": faults} if faults else {})}
        again = started if keep_faults else {k: v for k, v in started.items() if k != "BACKOFFICE_FAULTS"}
        self._start(Managed(name, command, started, again, own_host=own_host))

    def beat(self) -> None:
        """Celery beat with the project's scheduler (django-celery-beat's, in the test database):
        it sends the close watchdog every COMMISSION_CLOSE_WATCHDOG_SECONDS."""
        command = [
            sys.executable, "-m", "celery", "-A", "backoffice", "beat", "--loglevel=INFO",
            "--max-interval=1", f"--pidfile={self.directory / 'beat.pid'}",
        ]  # fmt: skip
        self._start(Managed("beat", command, self.env, self.env))

    def _start(self, program: Managed, *, again: bool = False) -> None:
        log = self.directory / f"{program.name}-{len(program.logs) + 1}.log"
        program.logs.append(log)
        command = list(program.command)
        if "worker" in command:  # a node name of its own: the log says which start took a task
            command += ["-n", f"{program.name}-{len(program.logs)}@%h"]
        if program.own_host:
            host = f"{program.name}-host-{len(program.logs)}"
            command = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', host, *command]
        with open(log, "w") as handle:
            program.process = subprocess.Popen(
                command, cwd=ROOT, env=program.restart_env if again else program.env,
                stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        program.started.append(program.process)
        program.death_seen = False
        self.programs[program.name] = program

    def supervise(self) -> None:
        """Record the programs that died; start them again unless held."""
        for program in list(self.programs.values()):
            assert program.process is not None
            code = program.process.poll()
            if code is None:
                continue
            if not program.death_seen:
                program.deaths.append((time.time(), code))
                program.death_seen = True
            if not self.hold:
                self._start(program, again=True)

    def release(self) -> None:
        self.hold = False
        self.supervise()

    def wait_for(self, what: str, check: Callable[[], Any], *, timeout: float, every: float = 0.1) -> Any:
        """Supervise until `check()` returns something true, and return it; fail with the logs after
        `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            self.supervise()
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout:.0f} s\n{self.tail()}")
            time.sleep(every)

    def carry_on(self, seconds: float) -> None:
        """Supervise for `seconds` (restarts, watchdog rounds) without waiting for anything."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.supervise()
            time.sleep(0.1)

    def fired(self) -> dict[str, float]:
        """The fault points that fired, with the time of their kill (the marker's mtime)."""
        return {marker.name: marker.stat().st_mtime for marker in self.state.iterdir()}

    def restarts(self, name: str = "worker") -> int:
        program = self.programs.get(name)
        return len(program.logs) - 1 if program else 0

    def tail(self, characters: int = 3000) -> str:
        parts = []
        for program in self.programs.values():
            for log in program.logs:
                text = log.read_text(errors="replace") if log.exists() else ""
                parts.append(f"----- {log.name} -----\n{text[-characters:]}")
        return "\n".join(parts)

    def stop(self, grace: float = 1.0) -> None:
        """Ask every program to stop (a warm shutdown), then kill what is left of the process groups
        this supervisor started: a worker still busy, pool children of a worker that was killed.
        The close has ended by then; a killed connection's locks go with it, so the test's database
        can be emptied."""
        running = [p.process for p in self.programs.values() if p.process and p.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + grace
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for program in self.programs.values():
            for process in program.started:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    credentials = f"{db['USER']}:{db['PASSWORD']}" if db.get("PASSWORD") else db["USER"]
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def own_hosts_possible() -> bool:
    """Whether this process may give a child a host name of its own (root, util-linux's unshare)."""
    try:
        done = subprocess.run(
            ["unshare", "--uts", "sh", "-c", "hostname fault-test-probe"], capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0

"""The fault tests: real Celery workers, Celery beat and Redis, killed in the middle of a close.

They take minutes, so the default run leaves them out: `make test-faults` runs them (CI does, after
`make test`), as does naming the directory (`pytest tests/faults`) or FAULT_TESTS=1. What each test
injects and checks, and the recovery times measured, are in RELIABILITY.md.

The pieces, per test: an own redis-server on a free port (so a test may kill and restart it), a
`Supervisor` that starts workers and beat as subprocesses against the test database and restarts a
worker that died, as systemd or a container's restart policy would (nothing else: no rerun of
close_period, no staff action), and the reference of an undisturbed close of the same data, computed
in-process before the final close starts.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import RedisServer, Supervisor, database_url

HERE = Path(__file__).resolve().parent


# --- collection: only when asked -----------------------------------------------------------------


def _asked_for(config: pytest.Config) -> bool:
    if os.environ.get("FAULT_TESTS") == "1":
        return True
    for arg in config.args:
        named = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if named == HERE or HERE in named.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # `pytest` and `make test` stay fast: this directory's tests run only when asked for.
    if collection_path.name.startswith("test_") and not _asked_for(config):
        return True
    return None


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    # Remembered for the supervisor's teardown: the processes' logs are printed for a failed test.
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


# --- Redis and the supervisor -----------------------------------------------------------------


@pytest.fixture
def fault_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed; the fault tests start their own")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _drop_connection_pools() -> None:
    # As tests/commissions/test_close_celery.py: kombu's pools are built for the broker URL of their
    # time; forget them so that the next task builds pools for the URL configured now.
    from kombu import pools

    from backoffice.celery import app

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def fault_broker(fault_redis: RedisServer) -> Iterator[RedisServer]:
    """This process sends its tasks to the test's Redis (close_start schedules the close there)."""
    from backoffice.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url)
    _drop_connection_pools()
    app.conf.task_always_eager = False
    app.conf.broker_url = fault_redis.url
    try:
        yield fault_redis
    finally:
        app.conf.task_always_eager, app.conf.broker_url = saved
        _drop_connection_pools()


@pytest.fixture
def supervisor(
    request: pytest.FixtureRequest, transactional_db: None, fault_broker: RedisServer, tmp_path: Path
) -> Iterator[Supervisor]:
    """Workers and beat of this test; stopped before its database is emptied."""
    directory = tmp_path / "processes"
    directory.mkdir()
    chief = Supervisor(directory=directory, database_url=database_url(), broker_url=fault_broker.url)
    try:
        yield chief
    finally:
        chief.stop()
        if request.node.stash.get(_FAILED, False):
            print(chief.tail(6000))


# --- the measured recovery times, printed at the end of the run (RELIABILITY.md quotes them) --------

_TIMES: list[dict[str, Any]] = []


@pytest.fixture
def recovery_times(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Append one dict per measurement; the test's name is added."""

    class Recorder(list):
        def append(self, entry: dict[str, Any]) -> None:
            _TIMES.append({"test": request.node.name, **entry})

    return Recorder()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _TIMES:
        return
    terminalreporter.section("recovery times (kill to period closed with its report)")
    for entry in _TIMES:
        shown = {key: value for key, value in entry.items() if key not in {"test", "from_kill"}}
        extra = ", ".join(
            f"{key}={value:.1f} s" if isinstance(value, float) else f"{key}={value}"
            for key, value in shown.items()
        )
        terminalreporter.write_line(f"{entry['from_kill']:6.1f} s  {entry['test']}  ({extra})")

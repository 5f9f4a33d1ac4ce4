"""The close through a real Celery worker on the local Redis gives the ledger of an in-process run."""

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from kombu import pools

from backoffice.celery import app
from commissions.models import CloseRun

from .closing import EXAMPLES, close, default_plan, ledger_tuples, period

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CLOSE_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def redis_reachable() -> bool:
    try:
        import redis

        client = redis.Redis.from_url(BROKER, socket_connect_timeout=1)
        client.flushdb()  # a database nobody else uses: start from an empty queue
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, tmp_path_factory):
    if not redis_reachable():
        pytest.skip(f"Redis is not reachable at {BROKER}; the Celery end-to-end test needs it")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": BROKER,
        "COMMISSION_CLOSE_CHUNK_DISTRIBUTORS": "3",
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--pool=prefork", "--concurrency=2",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
        "-n", "close-test@%h",
    ]  # fmt: skip
    with open(log, "w") as handle:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    yield worker, log
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _drop_connection_pools() -> None:
    # Pools are built for the broker URL of their time: close them all and forget them (kombu keeps
    # a global registry), so the next task builds pools for the URL configured now.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_configured():
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    _drop_connection_pools()
    app.conf.task_always_eager = False
    app.conf.broker_url = BROKER
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.broker_url = saved
        _drop_connection_pools()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_close_through_a_celery_worker_writes_the_ledger_of_an_in_process_run(
    celery_worker_process, broker_configured, settings
):
    worker, log = celery_worker_process
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    plan = default_plan()
    app.conf.task_always_eager = True
    settings.COMMISSION_CLOSE_CHUNK_DISTRIBUTORS = 3
    in_process = ledger_tuples(close("2026-10", preview=True))
    app.conf.task_always_eager = False

    from commissions.close import close_start

    run = close_start(period=period("2026-10"), plan=plan)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in ("succeeded", "failed") or worker.poll() is not None:
            break
        time.sleep(0.2)
    assert worker.poll() is None, log.read_text()[-3000:]
    assert run.status == "succeeded", f"{run.status} {run.error}\n{log.read_text()[-3000:]}"
    assert run.chunks_total == 4 and run.chunks_done == 4
    assert ledger_tuples(run) == in_process
    claimed_by = set(run.chunks.values_list("claimed_by", flat=True))
    assert all(name and not name.startswith(f"{os.uname().nodename}:{os.getpid()}") for name in claimed_by)
    assert CloseRun.objects.get(pk=run.pk).period.status == "closed"
    # The run's compliance report is its last task; a chunk task may still be returning from its
    # own check of the run. Let the worker go idle before the database is flushed (a TRUNCATE
    # under a task's row locks deadlocks).
    from compliance.models import ComplianceReport

    while time.monotonic() < deadline and not ComplianceReport.objects.filter(run=run).exists():
        time.sleep(0.2)
    assert ComplianceReport.objects.filter(run=run).exists(), log.read_text()[-3000:]
    wait_until_idle(time.monotonic() + 30)


def wait_until_idle(deadline: float) -> None:
    """Until the worker reports no active or reserved task (or the deadline passes)."""
    inspector = app.control.inspect(timeout=1.0)
    while time.monotonic() < deadline:
        active, reserved = inspector.active(), inspector.reserved()
        if active is not None and not any(active.values()) and not any((reserved or {}).values()):
            return
        time.sleep(0.2)

"""backoffice/celery.py: a Celery worker or beat without a broker refuses to start.

Without CELERY_BROKER_URL the settings give eager tasks kombu's in-process memory transport; a worker
or beat on it would start, and what beat sent (the monthly close) would be lost in its own memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery.signals import beat_init, celeryd_init

from backoffice.celery import refuse_without_broker

ROOT = Path(__file__).resolve().parents[2]
REFUSAL = "CELERY_BROKER_URL is not set: refusing to start a Celery {program} without a broker."


def celery(*args: str) -> subprocess.CompletedProcess:
    """`celery -A backoffice ARGS` with no broker configured (an empty variable wins over a .env)."""
    env = {**os.environ, "CELERY_BROKER_URL": ""}
    return subprocess.run(
        [sys.executable, "-m", "celery", "-A", "backoffice", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # before the refusal they ran until killed
    )


def test_a_worker_without_a_broker_refuses_to_start():
    result = celery("worker", "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat")
    assert result.returncode == 1
    assert REFUSAL.format(program="worker") in result.stderr


def test_beat_without_a_broker_refuses_to_start(tmp_path):
    # A file scheduler: the database scheduler would write the schedule before beat_init is sent.
    result = celery(
        "beat", "--scheduler=celery.beat:PersistentScheduler", f"--schedule={tmp_path / 'schedule'}"
    )
    assert result.returncode == 1
    assert REFUSAL.format(program="beat") in result.stderr


def test_the_refusal_gets_through_celerys_signal_dispatch():
    """Celery logs an Exception a signal handler raises and goes on starting: the refusal must not
    be one."""
    no_broker = SimpleNamespace(broker_url="memory://localhost//", task_always_eager=True)
    with pytest.raises(SystemExit, match="refusing to start a Celery worker"):
        celeryd_init.send(sender="w@host", instance=None, conf=no_broker, options={})

    class Beat:  # the sender of beat_init is beat's Service (hashable, unlike a SimpleNamespace)
        app = SimpleNamespace(conf=no_broker)

    with pytest.raises(SystemExit, match="refusing to start a Celery beat"):
        beat_init.send(sender=Beat())


@pytest.mark.parametrize(
    ("broker_url", "eager"),
    [("memory://localhost//", False), ("redis://127.0.0.1:6379/0", True), ("", True)],
)
def test_an_in_process_broker_or_eager_tasks_are_refused(broker_url, eager):
    with pytest.raises(SystemExit):
        refuse_without_broker(SimpleNamespace(broker_url=broker_url, task_always_eager=eager), "worker")


def test_a_real_broker_starts():
    conf = SimpleNamespace(broker_url="redis://redis:6379/0", task_always_eager=False)
    assert refuse_without_broker(conf, "worker") is None

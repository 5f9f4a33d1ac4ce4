"""The Celery app. With no CELERY_BROKER_URL configured, tasks run in-process (eager).

A worker or beat needs a real broker: without one they refuse to start (see `refuse_without_broker`).
"""

import os
from typing import Any

from celery import Celery
from celery.signals import beat_init, celeryd_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

NO_BROKER = (
    "CELERY_BROKER_URL is not set: refusing to start a Celery {program} without a broker. Without "
    "one, tasks run in-process in the web and command processes, and what this {program} sent or "
    "received would stay in its own memory and be lost (the monthly close among it). Set "
    "CELERY_BROKER_URL, e.g. redis://redis:6379/0, for the web, the worker and beat alike."
)


def refuse_without_broker(conf: Any, program: str) -> None:
    """Stop a worker or beat whose broker is the in-process memory transport (settings.py sets it
    when CELERY_BROKER_URL is empty, for eager tasks) or whose tasks run eagerly.

    SystemExit, not an Exception: Celery's signal dispatch logs an Exception and carries on starting.
    """
    in_process = str(conf.broker_url or "").startswith("memory://")
    if in_process or conf.task_always_eager:
        raise SystemExit(NO_BROKER.format(program=program))


@celeryd_init.connect
def _worker_needs_a_broker(sender: str, conf: Any, **kwargs: Any) -> None:
    refuse_without_broker(conf, "worker")


@beat_init.connect
def _beat_needs_a_broker(sender: Any, **kwargs: Any) -> None:
    refuse_without_broker(sender.app.conf, "beat")

"""Celery beat starts the close of the previous month on the 1st, as a preview or a final close."""

import io

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import TestCase

from commissions import tasks
from commissions.models import CloseRun

from .closing import EXAMPLES, default_plan, period

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_runs_the_monthly_close_task_on_the_first():
    entry = django_settings.CELERY_BEAT_SCHEDULE["monthly-commission-close"]
    assert entry["task"] == tasks.scheduled_monthly_close.name == "commissions.tasks.scheduled_monthly_close"
    assert entry["schedule"].day_of_month == {1}


def test_beat_runs_the_close_watchdog_and_redis_never_redelivers_a_task_that_is_still_running():
    from backoffice.celery import app

    entry = django_settings.CELERY_BEAT_SCHEDULE["close-watchdog"]
    assert entry["task"] == tasks.close_watchdog.name == "commissions.tasks.close_watchdog"
    assert entry["schedule"].total_seconds() == django_settings.COMMISSION_CLOSE_WATCHDOG_SECONDS
    # Long tasks on Redis: acknowledged after they run, given back when their worker dies, one at a
    # time per process, and not handed to a second worker while the first still runs one.
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options["visibility_timeout"] >= 6 * 3600
    assert django_settings.COMMISSION_CLOSE_STALL_SECONDS > django_settings.COMMISSION_CLOSE_WATCHDOG_SECONDS


@pytest.mark.parametrize(
    ("mode", "kind", "status"), [("preview", "preview", "open"), ("final", "final", "closed")]
)
def test_on_the_first_the_previous_month_is_closed_in_the_configured_mode(settings, mode, kind, status):
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    default_plan()
    settings.COMMISSION_CLOSE_MODE = mode
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_id = tasks.scheduled_monthly_close.apply(kwargs={"today": "2026-11-01"}).get()
    run = CloseRun.objects.get(pk=run_id)
    assert (run.period.start, run.kind, run.status) == (period("2026-10"), kind, "succeeded")
    assert run.period.status == status


def test_a_scheduled_close_that_cannot_start_logs_why_and_starts_nothing(settings, caplog):
    settings.COMMISSION_CLOSE_MODE = "final"
    call_command("import_network", str(EXAMPLES / "s4"), stdout=io.StringIO())
    default_plan()
    # December's close needs October (which has orders) closed first.
    assert tasks.scheduled_monthly_close.apply(kwargs={"today": "2026-12-01"}).get() is None
    assert "Close 2026-10 first" in caplog.text
    assert not CloseRun.objects.exists()

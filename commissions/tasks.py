"""Celery tasks of the close: thin, idempotent, late-acked; they take ids and call services.

With no broker configured (CELERY_TASK_ALWAYS_EAGER) the same tasks run in-process.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from commissions.close import (
    CHUNK_BUSY,
    claim_takeover_seconds,
    close_chunk_write,
    close_run_advance,
    close_start,
    previous_month,
    worker_name,
)

logger = logging.getLogger(__name__)

# Only a lost connection or a database that went away is worth retrying on its own.
TRANSIENT = (OperationalError, InterfaceError)
COMMON = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "max_retries": 8,
}


@shared_task(bind=True, name="commissions.tasks.close_run", **COMMON)
def close_run(self, run_id: int) -> None:
    """Compute the run if not done yet, then dispatch its chunks (or finalize when all are written)."""
    close_run_advance(run_id=run_id)


@shared_task(bind=True, name="commissions.tasks.close_chunk", **COMMON)
def close_chunk(self, chunk_id: int) -> str:
    outcome = close_chunk_write(chunk_id=chunk_id, worker=worker_name())
    if outcome == CHUNK_BUSY and not self.request.is_eager:
        # Claimed by a worker that may have died: come back once a dead claim can be taken over
        # (the watchdog queues the chunk again should this task give up).
        raise self.retry(countdown=claim_takeover_seconds() + 5, max_retries=20)
    return outcome


@shared_task(name="commissions.tasks.close_watchdog", acks_late=True, reject_on_worker_lost=True)
def close_watchdog() -> list[int]:
    """Celery beat, every COMMISSION_CLOSE_WATCHDOG_SECONDS: recover close runs whose worker died
    (commissions.close.recovery)."""
    from commissions.close import close_watchdog as watchdog

    return watchdog()


@shared_task(name="commissions.tasks.scheduled_monthly_close", acks_late=True, reject_on_worker_lost=True)
def scheduled_monthly_close(today: str | None = None) -> int | None:
    """Celery beat, on the 1st: close the previous month, as a preview or final (COMMISSION_CLOSE_MODE).

    `today` (ISO date) is for a manual catch-up run; beat passes nothing and the company's date is used.
    """
    import datetime as dt

    from core.errors import ApplicationError

    preview = settings.COMMISSION_CLOSE_MODE != "final"
    period = previous_month(dt.date.fromisoformat(today) if today else None)
    try:
        run = close_start(period=period, preview=preview)
    except ApplicationError as exc:
        logger.warning("Scheduled close of %s not started: %s", period, exc)
        return None
    return run.pk


@shared_task(name="commissions.tasks.scheduled_preview", acks_late=True, reject_on_worker_lost=True)
def scheduled_preview() -> int | None:
    """Celery beat, every PREVIEW_EVERY_MINUTES: a preview of the open month (unless a run of it is
    under way) for the dashboards' projected earnings, and old previews pruned."""
    from commissions.previews import preview_schedule

    run = preview_schedule()
    return run.pk if run is not None else None

"""Celery task of compliance: the report of a close run, computed again.

The close writes every run's report itself, in the transaction that marks it succeeded
(compliance.receivers); this task recomputes it in place (thresholds changed, a report of an
earlier version). Idempotent (one report per run); with no broker it runs in-process.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    name="compliance.tasks.compliance_report_for_run",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=8,
)
def compliance_report_for_run(run_id: int) -> int | None:
    from compliance.services import compliance_report_for_run as compute

    report = compute(run_id=run_id)
    return report.pk if report is not None else None

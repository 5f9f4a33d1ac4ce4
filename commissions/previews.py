"""The newest preview of the open period: what the close would pay and rank if the month ended now.

A preview is a whole close of the open month written as a run of kind "preview" (commissions.services
.close). The portal's dashboard, the API's `me` and the team views read their month-to-date figures
from the newest succeeded preview, labelled with the moment it finished.

Celery beat starts one every PREVIEW_EVERY_MINUTES (`preview_schedule`), and old ones are pruned
(`previews_prune`): a preview of a million distributors writes millions of rows, so only the
newest PREVIEW_RUNS_KEPT succeeded previews of each open period stay, and of a closed period the
newest PREVIEW_RUNS_KEPT_CLOSED (1: the last projection shown), so storage stays flat.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from commissions.models import (
    CloseChunk,
    CloseRun,
    CloseRunKind,
    CloseRunStatus,
    DistributorPeriod,
    LedgerLine,
    Statement,
)
from core.errors import ApplicationError
from core.locks import advisory_xact_lock, try_advisory_session_lock
from core.periods import period_label, period_of
from distributors.models import Distributor
from plans.models import PeriodStatus

logger = logging.getLogger(__name__)

UNDER_WAY = (CloseRunStatus.PENDING, CloseRunStatus.RUNNING)
PRUNE_LOCK = "commission-preview-prune"


def newest_preview(period: dt.date | None = None) -> CloseRun | None:
    """The newest succeeded preview run of `period` (the open month by default), or None."""
    period = period or period_of(timezone.now())
    return (
        CloseRun.objects.filter(
            period__start=period, kind=CloseRunKind.PREVIEW, status=CloseRunStatus.SUCCEEDED
        )
        .select_related("plan")  # its readers name the ranks by the run's plan
        .order_by("-finished_at", "-pk")
        .first()
    )


def preview_figures(distributor: Distributor | int, run: CloseRun) -> DistributorPeriod | None:
    """The distributor's volumes, activity and ranks in the preview (None: not in the network then)."""
    distributor_id = getattr(distributor, "pk", distributor)
    return DistributorPeriod.objects.filter(run=run, distributor_id=distributor_id).first()


def preview_statement(distributor: Distributor | int, run: CloseRun) -> Statement | None:
    """What the preview would pay the distributor (None: nothing, not even a carried amount)."""
    distributor_id = getattr(distributor, "pk", distributor)
    return Statement.objects.filter(run=run, distributor_id=distributor_id).first()


def preview_schedule(*, now: dt.datetime | None = None) -> CloseRun | None:
    """Start a preview of the open month unless a run of it (preview or final) is pending or
    running, then prune the old previews. The run started, or None. Safe to call concurrently:
    the check and the start hold the lock `close_start` takes, so a second caller waits and then
    sees the first one's run.
    """
    period = period_of(now or timezone.now())
    started = None
    with transaction.atomic():
        # The same lock as commissions.close.close_start (it takes it again: re-entrant).
        advisory_xact_lock(f"commission-close-start:{period_label(period)}")
        under_way = CloseRun.objects.filter(period__start=period, status__in=UNDER_WAY).first()
        if under_way is not None:
            logger.info("No preview of %s started: %s is under way.", period_label(period), under_way)
        else:
            from commissions.close import close_start

            try:
                started = close_start(period=period, preview=True)
            except ApplicationError as exc:  # the period is closing or closed: nothing to preview
                logger.warning("No preview of %s started: %s", period_label(period), exc)
    previews_prune()
    return started


def previews_to_prune(*, keep: int | None = None, keep_closed: int | None = None) -> list[int]:
    """Ids of the preview runs `previews_prune` deletes: per period still open (or closing), the
    succeeded previews after the newest `keep` (PREVIEW_RUNS_KEPT), and the failed ones older than
    the newest success; per closed period, every preview but the newest `keep_closed` succeeded
    ones (PREVIEW_RUNS_KEPT_CLOSED: the last projection distributors saw, to set beside what the
    close paid), failed ones included. Never a final run, never a run pending or running.
    """
    keep = max(1, settings.PREVIEW_RUNS_KEPT if keep is None else keep)
    keep_closed = max(0, settings.PREVIEW_RUNS_KEPT_CLOSED if keep_closed is None else keep_closed)
    # Every preview that is not under way, newest first, in one query: a few per period.
    runs = (
        CloseRun.objects.filter(kind=CloseRunKind.PREVIEW)
        .exclude(status__in=UNDER_WAY)
        .order_by("period_id", F("finished_at").desc(nulls_last=True), "-pk")
        .values_list("pk", "period_id", "period__status", "status", "created_at")
    )
    by_period: dict[int, list[tuple]] = {}
    for run in runs:
        by_period.setdefault(run[1], []).append(run)
    doomed = []
    for period_runs in by_period.values():
        closed = period_runs[0][2] == PeriodStatus.CLOSED
        succeeded = [run for run in period_runs if run[3] == CloseRunStatus.SUCCEEDED]
        doomed += [run[0] for run in succeeded[keep_closed if closed else keep :]]
        failed = [run for run in period_runs if run[3] == CloseRunStatus.FAILED]
        if closed:
            doomed += [run[0] for run in failed]
        elif succeeded:
            doomed += [run[0] for run in failed if run[4] < succeeded[0][4]]
    return sorted(doomed)


def previews_prune(*, keep: int | None = None, keep_closed: int | None = None) -> int:
    """Delete the preview runs `previews_to_prune` names, with every row they wrote; how many.

    Set-based: one DELETE per table and run, found through the run's BRIN index (a run's rows lie
    together), each committed on its own, the run row last: an interrupted prune leaves a run
    with fewer rows, which the next prune finishes. One prune at a time (a session lock).
    """
    with try_advisory_session_lock(PRUNE_LOCK) as taken:
        if not taken:
            logger.info("Preview prune already under way elsewhere.")
            return 0
        pruned = 0
        for run_id in previews_to_prune(keep=keep, keep_closed=keep_closed):
            pruned += _preview_delete(run_id)
        return pruned


def _preview_delete(run_id: int) -> int:
    prunable = CloseRun.objects.filter(pk=run_id, kind=CloseRunKind.PREVIEW).exclude(status__in=UNDER_WAY)
    if not prunable.exists():  # never a final run's rows (the triggers refuse them too)
        return 0
    # Rows first (the ledger's trigger accepts deleting lines of preview runs only, checked once
    # per statement: commissions/triggers.py), the run row last.
    for model in (CloseChunk, LedgerLine, Statement, DistributorPeriod):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE run_id = %s", [run_id])
    with transaction.atomic():
        run = prunable.select_for_update().first()
        if run is None:
            return 0
        run.delete()  # and its compliance report (CASCADE)
    logger.info("Pruned preview run %s.", run_id)
    return 1

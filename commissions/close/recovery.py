"""The close's watchdog: a run whose worker died finishes without a person.

Celery beat runs `close_watchdog` every COMMISSION_CLOSE_WATCHDOG_SECONDS. A run under way that
has not moved (CloseRun.progress_at) for COMMISSION_CLOSE_STALL_SECONDS is stalled: the watchdog
logs an ERROR an operator's alerting can match ("close run N of YYYY-MM stalled"), finds out
what is dead and queues it again:

    compute   its worker holds the session lock `commission-close-run:<id>` while it computes;
              a lock nobody holds means no one computes: the compute is queued again (it resumes
              from the chunks it stored, on the input frozen at its first start)
    write     a chunk whose writer died (its row lock gone) or that no task holds is queued again;
              close_chunk_claim takes the dead claim over
    finalize  every chunk written and the run not finished (its worker died between the last
              chunk and finalize): finalized here

Everything it queues is idempotent, so a watchdog that is wrong about a slow worker costs a
duplicate task that finds nothing to do. Runs that failed on an error (not a crash) wait for a
person: the error says what to do.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from commissions.models import CloseChunk, CloseChunkStatus, ClosePhase, CloseRun, CloseRunStatus
from commissions.selectors.runs import stall_seconds
from core.locks import advisory_lock_held, try_advisory_session_lock

from .chunks import claim_grace_seconds
from .finalize import close_run_finalize

logger = logging.getLogger(__name__)


def close_watchdog(*, now: dt.datetime | None = None) -> list[int]:
    """Recover every stalled run; the ids of the runs it acted on. One watchdog at a time."""
    now = now or timezone.now()
    bound = now - dt.timedelta(seconds=stall_seconds())
    acted: list[int] = []
    with try_advisory_session_lock("commission-close-watchdog") as mine:
        if not mine:
            return acted
        stalled = (
            CloseRun.objects.filter(status__in=[CloseRunStatus.PENDING, CloseRunStatus.RUNNING])
            .filter(Q(progress_at__lt=bound) | Q(progress_at__isnull=True, created_at__lt=bound))
            .select_related("period")
            .order_by("period__start", "pk")
        )
        for run in stalled:
            action = recover_run(run)
            if action:
                acted.append(run.pk)
    return acted


def recover_run(run: CloseRun) -> str:
    """Queue again what is dead in a stalled run (see the module); what was done, "" if nothing."""
    from commissions import tasks

    since = run.progress_at or run.created_at
    if run.phase in (ClosePhase.QUEUED, ClosePhase.COMPUTE):
        if advisory_lock_held(f"commission-close-run:{run.pk}"):
            return ""  # a live worker is computing (a large network's engine takes a while)
        action = "its compute queued again (no worker was computing it)"
        _recovered(run, since, action)
        tasks.close_run.delay(run.pk)
        return action
    left = list(
        CloseChunk.objects.filter(run=run)
        .exclude(status=CloseChunkStatus.DONE)
        .order_by("number")
        .values_list("pk", "number", "status")
    )
    if not left:
        action = "finalized (every chunk was written; the worker died before finalizing)"
        _recovered(run, since, action)
        close_run_finalize(run_id=run.pk)
        return action
    orphaned = [(pk, number) for pk, number, status in left if not _being_written(pk, status)]
    if not orphaned:
        return ""  # every chunk left is in the hands of a live writer
    action = "chunk(s) " + ", ".join(str(number) for _, number in orphaned) + " queued again"
    _recovered(run, since, action)
    for pk, _ in orphaned:
        tasks.close_chunk.delay(pk)
    return action


def _being_written(chunk_id: int, status: str) -> bool:
    """Whether a live writer holds the chunk: its row lock (PostgreSQL) under a recent claim."""
    if status != CloseChunkStatus.RUNNING or connection.vendor != "postgresql":
        return False
    grace = timezone.now() - dt.timedelta(seconds=claim_grace_seconds())
    with transaction.atomic():
        lockable = (
            CloseChunk.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=chunk_id)
            .order_by()
            .values_list("claimed_at", flat=True)
            .first()
        )
    if lockable is None:
        return True  # locked: its writer is alive
    return lockable >= grace  # just claimed: its writer is about to lock it


def _recovered(run: CloseRun, since: dt.datetime, action: str) -> None:
    now = timezone.now()
    logger.error(
        "close run %s of %s stalled: no progress since %s (%s, %s); %s",
        run.pk, run.period, f"{since:%Y-%m-%d %H:%M:%S %Z}", run.phase, run.status, action,
    )  # fmt: skip
    notice = f"Taken over from a dead worker at {now:%H:%M:%S}: no progress since {since:%H:%M:%S}; {action}."
    CloseRun.objects.filter(pk=run.pk).update(
        notice=notice[:2000], recoveries=F("recoveries") + 1, progress_at=now
    )

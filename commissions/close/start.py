"""The monthly close: start, compute once, write in idempotent chunks, finalize.

    close_start()          checks, creates (or resumes/joins) the run, schedules close_run_advance
    close_run_advance()    phase compute (close.compute): check the tree, aggregate orders in SQL, run
                           the engine once in memory, add clawbacks, adjustments and statements, and
                           store the rows of each chunk (a range of distributors) as a payload
                           (close.payload), each chunk committed and handed to a writer (Celery task or
                           thread, close.threads) at once, so chunks are written while the next ones
                           are encoded
    close_chunk_write()    (close.chunks) claim the chunk (conditional UPDATE), write its rows in one
                           transaction (COPY), mark it done
    close_run_finalize()   (close.finalize) once the compute has stored every chunk and every chunk is
                           done: the period report, ranks and titles (close.ranks), period closed

A killed worker, a task delivered twice or a close started twice all end in the same ledger: a
chunk's rows are fixed once stored (a compute resumed after a crash must compute the same rows for
the chunks stored before, checked by digest, or the run fails), every output row has a unique key,
chunks are claimed, and a period has at most one final run. How it all works: docs/close.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from commissions.models import (
    CloseChunk,
    CloseChunkStatus,
    ClosePhase,
    CloseRun,
    CloseRunKind,
    CloseRunStatus,
)
from core.errors import ApplicationError, Conflict
from core.locks import advisory_xact_lock
from core.periods import next_period, period_label, previous_period
from core.services import audit_record
from plans.models import Period, PeriodStatus, Plan
from plans.periods import period_get_or_create, period_table_lock

from .compute import compute_or_fail
from .finalize import FINISHED, close_run_finalize
from .threads import ChunkWriters, unwritten, write_here, writers_here

logger = logging.getLogger(__name__)


def _resolve_plan(plan: Plan | str | None) -> Plan:
    if isinstance(plan, Plan):
        return plan
    if plan:
        found = Plan.objects.filter(version=plan).first()
        if found is None:
            versions = (
                ", ".join(Plan.objects.order_by("loaded_at").values_list("version", flat=True)) or "none"
            )
            raise ApplicationError(
                f"There is no plan version '{plan}'; loaded versions: {versions}. "
                "Load one with `manage.py load_plan FILE`.",
                field="plan",
            )
        return found
    from plans.services import plan_ensure_default, plan_newest

    return plan_newest() or plan_ensure_default()


def _month_to_close_first(start: dt.date) -> dt.date | None:
    """The month that must close before `start` can: periods close in order, every month, one
    without orders too (everybody is inactive in it, and it must not stay open to take back-dated
    orders). After the newest closed month, the next; before any close, the first month anything
    was written into (a Period row or an order)."""
    from orders.models import Order

    last_closed = (
        Period.objects.filter(start__lt=start, status=PeriodStatus.CLOSED).order_by("-start").first()
    )
    if last_closed is not None:
        following = next_period(last_closed.start)
        return following if following < start else None
    firsts = [
        Period.objects.filter(start__lt=start).order_by("start").values_list("start", flat=True).first(),
        Order.objects.filter(commission_period__isnull=False, commission_period__lt=start)
        .order_by("commission_period")
        .values_list("commission_period", flat=True)
        .first(),
    ]
    return min((month for month in firsts if month is not None), default=None)


@transaction.atomic
def close_start(
    *, period: dt.date, plan: Plan | str | None = None, preview: bool = False, actor: Any = None
) -> CloseRun:
    """Start the close of `period` (or a preview); resume or join a final close already under way.

    Refuses a closed period, a final close while an earlier month is not closed (every month
    closes, in order: `_month_to_close_first`) or a later one is closed, and an unknown plan
    version. The work runs on Celery when a broker is configured, in-process otherwise, after
    this transaction commits.
    """
    label = period_label(period)
    advisory_xact_lock(f"commission-close-start:{label}")
    if not preview:
        # Writes into a month no Period row exists for yet create its row (period_status_locked):
        # wait for those in flight and hold new ones back until this commits, so that none lands
        # in a month before this one unseen by the checks below (period_ensure_open refuses a
        # month before a closing one). Taken before any row lock: a writer may lock this period's
        # row too.
        period_table_lock()
    period_row = period_get_or_create(start=period)
    period_row = Period.objects.select_for_update(no_key=True).get(pk=period_row.pk)
    user = actor if getattr(actor, "is_authenticated", False) else None

    if period_row.status == PeriodStatus.CLOSED:
        raise Conflict(f"Period {label} is already closed; a closed period never changes.", field="period")

    if preview:
        if period_row.status != PeriodStatus.OPEN:
            raise Conflict(
                f"Period {label} is {period_row.status}: a preview runs only while a period is open.",
                field="period",
            )
        run = CloseRun.objects.create(
            period=period_row, plan=_resolve_plan(plan), kind=CloseRunKind.PREVIEW, started_by=user
        )
        _schedule_advance(run)
        return run

    existing = (
        CloseRun.objects.filter(period=period_row, kind=CloseRunKind.FINAL)
        .exclude(status=CloseRunStatus.DISCARDED)
        .first()
    )
    if existing is not None:
        if plan is not None and _resolve_plan(plan).pk != existing.plan_id:
            raise Conflict(
                f"The close of {label} is already under way with plan {existing.plan.version}; "
                "it finishes with that plan.",
                field="plan",
            )
        # Resume a failed run, or join one under way: both only dispatch what is not done yet.
        CloseRun.objects.filter(pk=existing.pk, status=CloseRunStatus.FAILED).update(
            status=CloseRunStatus.RUNNING, error="", progress_at=timezone.now(),
            notice=f"Resumed after a failure at {timezone.now():%Y-%m-%d %H:%M:%S %Z}.",
        )  # fmt: skip
        CloseChunk.objects.filter(run=existing, status=CloseChunkStatus.FAILED).update(
            status=CloseChunkStatus.PENDING, error=""
        )
        audit_record(
            actor=actor, action="commissions.close_resume", target=period_row, data={"run": existing.pk}
        )
        existing.refresh_from_db()
        _schedule_advance(existing)
        return existing

    later = (
        Period.objects.filter(start__gt=period, status__in=[PeriodStatus.CLOSED, PeriodStatus.CLOSING])
        .order_by("start")
        .first()
    )
    if later is not None:
        raise Conflict(
            f"Period {later} is already {later.status}; periods close in order, "
            f"so {label} can no longer close.",
            field="period",
        )
    earlier = _month_to_close_first(period)
    if earlier is not None:
        raise Conflict(
            f"Close {period_label(earlier)} first: periods close in order, every month, "
            "one without orders too.",
            field="period",
        )
    plan_row = _resolve_plan(plan)
    updated = Period.objects.filter(pk=period_row.pk, status=PeriodStatus.OPEN).update(
        status=PeriodStatus.CLOSING
    )
    if updated != 1:
        raise Conflict(f"Period {label} is not open.", field="period")
    try:
        with transaction.atomic():
            run = CloseRun.objects.create(
                period=period_row, plan=plan_row, kind=CloseRunKind.FINAL, started_by=user
            )
    except IntegrityError:
        raise Conflict(
            f"A final close of {label} was started at the same moment; run it again to follow it."
        ) from None
    audit_record(
        actor=actor, action="commissions.close_start", target=period_row,
        data={"run": run.pk, "plan": plan_row.version},
    )  # fmt: skip
    _schedule_advance(run)
    return run


def _schedule_advance(run: CloseRun) -> None:
    run_id = run.pk
    transaction.on_commit(lambda: _send_advance(run_id))


def _send_advance(run_id: int) -> None:
    """Queue the run's next step. The run is committed already: with the broker unreachable it is
    not lost (the watchdog queues it once the broker is back), so say that instead of failing."""
    from kombu.exceptions import OperationalError as BrokerUnreachable

    from commissions import tasks

    try:
        tasks.close_run.delay(run_id)
    except BrokerUnreachable as exc:
        logger.error(
            "close run %s saved but not queued (the broker is unreachable: %s); the watchdog queues "
            "it once the broker is back",
            run_id, exc,
        )  # fmt: skip
        CloseRun.objects.filter(pk=run_id).update(
            notice="Saved but not queued: the broker was unreachable. The watchdog queues it once the "
            "broker is back."
        )


# --- advance: compute once, then dispatch chunks ------------------------------------------------


def close_run_advance(*, run_id: int, inline: bool = False) -> None:
    """Move the run forward from wherever it is. Safe to call any number of times, concurrently.

    Each chunk is written as soon as it is stored, while the compute stores the next ones: by
    Celery workers, or without a broker (or with `inline`) by this process, on threads with their
    own connections when it may (else one by one, after the compute).
    """
    from commissions import tasks

    run = CloseRun.objects.get(pk=run_id)
    if run.status in FINISHED:
        return
    here = inline or _tasks_run_eagerly()
    dispatched: set[int] = set()
    if run.phase in (ClosePhase.QUEUED, ClosePhase.COMPUTE):

        def dispatch(chunk_id: int) -> None:
            dispatched.add(chunk_id)
            transaction.on_commit(lambda: tasks.close_chunk.delay(chunk_id))

        writers = writers_here() if here else 0
        if writers > 1:
            with ChunkWriters(writers) as pool:
                computed = compute_or_fail(run_id, stored=pool.write)
        else:
            computed = compute_or_fail(run_id, stored=None if here else dispatch)
        if not computed:
            return  # another worker holds the compute lock; it writes or dispatches the chunks
    pending = unwritten(run_id)
    if not pending:
        close_run_finalize(run_id=run_id)
        return
    if here:
        write_here(run_id, pending)
        close_run_finalize(run_id=run_id)
        return
    for chunk_id in pending:
        if chunk_id not in dispatched:  # a second task for a chunk being written would only wait
            tasks.close_chunk.delay(chunk_id)


def close_run_advance_without_broker(*, run_id: int) -> None:
    """Without a broker, do what is left of the run in this process, now; with one, nothing (the
    workers do it). For a caller that follows the run to its end (`manage.py close_period`): when
    its start has not committed yet (inside an outer transaction), the advance scheduled on commit
    has not run; when it has, the run is finished and this returns at once."""
    if _tasks_run_eagerly():
        close_run_advance(run_id=run_id, inline=True)


def _tasks_run_eagerly() -> bool:
    # The project's Celery app is the current one (backoffice/celery.py); the domain names no
    # project module (the layers in pyproject.toml).
    from celery import current_app

    return bool(current_app.conf.task_always_eager)


def previous_month(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return previous_period(dt.date(today.year, today.month, 1))

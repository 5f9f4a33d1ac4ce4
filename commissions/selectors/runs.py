"""Which run of the close to read, and how far a run under way has got: the final close (or the
newest succeeded preview) of a period, the final close under way, last month's final run; a run's
progress, its ETA and whether it has stalled."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.models import ClosePhase, CloseRun, CloseRunKind, CloseRunStatus
from core.errors import NotFound
from core.locks import advisory_lock_held
from core.periods import period_label
from plans.models import Period, PeriodStatus


def stall_seconds() -> int:
    """How long a run under way may go without progress before it counts as stalled."""
    return settings.COMMISSION_CLOSE_STALL_SECONDS


def stalled_since(run: CloseRun, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When a run under way last moved, if that is longer ago than the stall bound; else None."""
    if run.status not in (CloseRunStatus.PENDING, CloseRunStatus.RUNNING):
        return None
    moved = run.progress_at or run.created_at
    if moved is None:  # not saved yet
        return None
    now = now or timezone.now()
    if (now - moved).total_seconds() <= stall_seconds():
        return None
    # A compute marks no progress until its end (the run row is the writers' to update meanwhile):
    # a long one is alive while its worker holds the run's compute lock.
    if run.phase in (ClosePhase.QUEUED, ClosePhase.COMPUTE) and advisory_lock_held(
        f"commission-close-run:{run.pk}"
    ):
        return None
    return moved


@dataclass(frozen=True)
class RunProgress:
    percent: int
    phase: str
    eta_seconds: float | None
    chunks_done: int
    chunks_total: int
    status: str
    # When the run last moved, if longer ago than the stall bound (a dead or missing worker): then
    # there is no ETA, and the watchdog recovers the run (commissions.close.recovery).
    stalled_since: dt.datetime | None = None
    notice: str = ""  # what the watchdog or a resume last did

    def describe(self) -> str:
        """One line for an operator: percentage, phase, chunks, and the ETA or why there is none."""
        line = f"{self.percent:3d}%  {self.phase}  chunks {self.chunks_done}/{self.chunks_total}"
        if self.stalled_since is not None:
            waiting = _("waiting for a worker since %(time)s") % {
                "time": timezone.localtime(self.stalled_since).strftime("%H:%M:%S")
            }
            line += f"  {waiting}"
        elif self.eta_seconds is not None:
            line += f"  ETA {self.eta_seconds:.0f}s"
        return line


def close_run_progress(run: CloseRun, *, now: dt.datetime | None = None) -> RunProgress:
    """Percentage, phase and ETA: compute counts as the first 10%, chunks as the next 85% (some are
    written during the compute already). A stalled run has no ETA: it says since when it waits."""
    now = now or timezone.now()
    eta = None
    if run.status == CloseRunStatus.SUCCEEDED:
        percent = 100
    elif run.phase == ClosePhase.WRITE and run.chunks_total:
        fraction = run.chunks_done / run.chunks_total
        percent = 10 + int(85 * fraction)
        if run.started_at and run.chunks_done:
            writing_since = run.started_at + dt.timedelta(seconds=run.compute_seconds or 0)
            per_chunk = max((now - writing_since).total_seconds(), 0) / run.chunks_done
            eta = per_chunk * (run.chunks_total - run.chunks_done)
    elif run.phase == ClosePhase.FINALIZE:
        percent = 97
    elif run.phase == ClosePhase.COMPUTE:
        # Chunks are written while the compute still stores the next ones.
        percent = 5 + (int(85 * run.chunks_done / run.chunks_total) if run.chunks_total else 0)
    else:
        percent = 0
    stalled = stalled_since(run, now=now)
    return RunProgress(
        percent, run.get_phase_display(), None if stalled else eta, run.chunks_done, run.chunks_total,
        run.status, stalled, run.notice,
    )  # fmt: skip


def close_run_for_export(*, period: dt.date, preview: bool = False) -> CloseRun:
    """The final run of a period, or its newest succeeded preview."""
    kind = CloseRunKind.PREVIEW if preview else CloseRunKind.FINAL
    run = (
        CloseRun.objects.filter(period__start=period, kind=kind, status=CloseRunStatus.SUCCEEDED)
        .select_related("period")
        .order_by("-created_at", "-id")
        .first()
    )
    if run is None:
        if preview:
            message = _(
                "Period %(period)s has no succeeded preview yet; "
                "run `manage.py close_period %(period)s --preview`."
            )
        else:
            message = _(
                "Period %(period)s has no final close yet; close it with `manage.py close_period %(period)s`."
            )
        raise NotFound(message % {"period": period_label(period)}, field="period")
    return run


def close_run_by_id(run_id: int) -> CloseRun | None:
    """A run of any kind and status, with its period and plan; None when there is no such run."""
    return CloseRun.objects.select_related("period", "plan").filter(pk=run_id).first()


def newest_run_of(period: dt.date) -> CloseRun | None:
    """The newest run of a period, whatever its kind and status: the one a failed close left."""
    return CloseRun.objects.filter(period__start=period).order_by("-created_at", "-id").first()


def periods_to_resume(runs: QuerySet[CloseRun]) -> QuerySet[Period]:
    """The periods whose final close the chosen runs would resume. A discarded run is over:
    resuming its period would start a new close, which the period's own page does after a
    confirmation."""
    finals = runs.filter(kind=CloseRunKind.FINAL).exclude(status=CloseRunStatus.DISCARDED)
    return Period.objects.filter(runs__in=finals).distinct()


def running_final_close() -> CloseRun | None:
    """The final close under way (pending or running), if any: the portal shows its progress."""
    return (
        CloseRun.objects.filter(
            kind=CloseRunKind.FINAL, status__in=(CloseRunStatus.PENDING, CloseRunStatus.RUNNING)
        )
        .select_related("period")
        .order_by("-created_at", "-id")
        .first()
    )


def last_final_run() -> CloseRun | None:
    """The final run of the newest closed period (last month's figures, for the team radar)."""
    return (
        CloseRun.objects.filter(
            kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED, period__status=PeriodStatus.CLOSED
        )
        .select_related("period", "plan")
        .order_by("-period__start")
        .first()
    )

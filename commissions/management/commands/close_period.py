"""`manage.py close_period YYYY-MM [--preview] [--plan VERSION]`: run a close and show its progress."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from commissions.close import close_run_advance_without_broker, close_start
from commissions.models import CloseRun, CloseRunStatus
from commissions.selectors.report_figures import period_report
from commissions.selectors.runs import close_run_progress, newest_run_of
from core.errors import ApplicationError
from core.periods import parse_period


class Command(BaseCommand):
    help = "Close a commission period (or preview it): ledger lines, statements and the period report."

    def add_arguments(self, parser):
        parser.add_argument("period", help="the month to close, YYYY-MM")
        parser.add_argument("--preview", action="store_true", help="compute without closing")
        parser.add_argument("--plan", help="plan version to use (default: the newest loaded)")
        parser.add_argument("--poll", type=float, default=1.0, help="seconds between progress lines")
        parser.add_argument(
            "--give-up-after",
            type=float,
            default=900.0,
            help="stop following (the close goes on) after the run has stalled this many seconds; 0: never",
        )

    def handle(self, *args, **options):
        try:
            period = parse_period(options["period"])
            run = close_start(period=period, plan=options["plan"], preview=options["preview"])
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:
            # In-process (no broker), a failure inside the run surfaces here; the run row has it too.
            run = newest_run_of(period)
            detail = f" (run {run.pk}: {run.error})" if run is not None and run.error else ""
            raise CommandError(f"The close failed: {exc}{detail}. Run the command again to resume.") from exc
        self.stdout.write(f"{run} started with plan {run.plan.version}.")
        try:
            close_run_advance_without_broker(run_id=run.pk)
        except Exception as exc:
            run.refresh_from_db()
            raise CommandError(
                f"The close failed: {run.error or exc}. Run the command again to resume it."
            ) from exc
        last = notice = None
        waited = 0.0
        patience = options["give_up_after"]
        while True:
            run.refresh_from_db()
            progress = close_run_progress(run)
            line = progress.describe()
            if line != last:
                self.stdout.write(line)
                last = line
            if progress.notice and progress.notice != notice:
                notice = progress.notice
                self.stdout.write(self.style.WARNING(notice))
            if run.status in (CloseRunStatus.SUCCEEDED, CloseRunStatus.FAILED, CloseRunStatus.DISCARDED):
                break
            if run.phase == "queued" and waited >= 30 and waited - options["poll"] < 30:
                self.stdout.write("Still queued: is a Celery worker running (celery -A backoffice worker)?")
            if (
                progress.stalled_since is not None
                and patience
                and (timezone.now() - progress.stalled_since).total_seconds() > patience
            ):
                raise CommandError(
                    f"No worker has moved {run} since {timezone.localtime(progress.stalled_since):%H:%M:%S}. "
                    "The close is safe where it stands: check that Celery workers and beat run (beat's "
                    "watchdog queues the work of a dead worker again), then run this command again to "
                    "follow it, or discard it with manage.py discard_close."
                )
            time.sleep(options["poll"])
            waited += options["poll"]
        if run.status == CloseRunStatus.FAILED:
            raise CommandError(f"The close failed: {run.error}. Run the command again to resume it.")
        if run.status == CloseRunStatus.DISCARDED:
            raise CommandError(f"{run} was discarded: {run.discard_reason}")
        self.stdout.write(self.style.SUCCESS(render_summary(run)))


def render_summary(run: CloseRun) -> str:
    """The period report (the admin's run page shows the same figures, formatted), in plain text."""
    r = period_report(run)
    if r is None:  # not for a finished run: its compute stored the report
        return f"{run} has no period report yet."
    ranks = ", ".join(f"rank {rank}: {count}" for rank, count in r.ranks.items())
    return "\n".join(
        [
            f"{'Preview' if run.kind == 'preview' else 'Closed'} {r.period} with plan {r.plan}",
            f"distributors:        {r.distributors} ({ranks})",
            f"total rewardable CV: {r.total_rewardable_cv}",
            f"personal commission: {r.personal}",
            f"overrides:           {r.override}",
            f"clawbacks:           {r.clawbacks}",
            f"adjustments:         {r.adjustments}",
            f"total paid:          {r.total_paid} to {r.paid_distributors} distributors",
            f"carried forward:     {r.carried_out}",
            f"breakage:            {r.breakage}",
            f"host credit issued:  {r.host_credit_issued}",
            f"duration:            {r.duration_seconds} s",
        ]
    )

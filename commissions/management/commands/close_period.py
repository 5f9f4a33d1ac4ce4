"""`manage.py close_period YYYY-MM [--preview] [--plan VERSION]`: run a close and show its progress."""

from __future__ import annotations

import time

from celery import current_app
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from commissions.models import CloseRun, CloseRunStatus
from commissions.selectors import close_run_progress
from commissions.services.close import close_run_advance, close_start
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
            run = CloseRun.objects.filter(period__start=period).order_by("-created_at", "-id").first()
            detail = f" (run {run.pk}: {run.error})" if run is not None and run.error else ""
            raise CommandError(f"The close failed: {exc}{detail}. Run the command again to resume.") from exc
        self.stdout.write(f"{run} started with plan {run.plan.version}.")
        if current_app.conf.task_always_eager:
            # No broker: the work runs here (it already has if the start committed; this is a no-op then).
            try:
                close_run_advance(run_id=run.pk, inline=True)
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
    s = run.summary
    totals = s.get("totals", {})
    ranks = ", ".join(f"rank {rank}: {count}" for rank, count in s.get("ranks", {}).items())
    return "\n".join(
        [
            f"{'Preview' if run.kind == 'preview' else 'Closed'} {s.get('period')} with plan {s.get('plan')}",
            f"distributors:        {s.get('distributors')} ({ranks})",
            f"total rewardable CV: {s.get('total_rewardable_cv')}",
            f"personal commission: {totals.get('personal')}",
            f"overrides:           {totals.get('override')}",
            f"clawbacks:           {totals.get('clawbacks')}",
            f"adjustments:         {totals.get('adjustments')}",
            f"total paid:          {s.get('total_paid')} to {s.get('paid_distributors')} distributors",
            f"carried forward:     {totals.get('carried_out')}",
            f"breakage:            {s.get('breakage')}",
            f"host credit issued:  {s.get('host_credit_issued')}",
            f"duration:            {s.get('duration_seconds')} s",
        ]
    )

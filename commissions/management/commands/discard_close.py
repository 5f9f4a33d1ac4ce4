"""`manage.py discard_close YYYY-MM --reason "..."`: discard a final close that has not succeeded.

Its ledger lines, statements and results are deleted, the ranks and titles it wrote are put back,
and the period is open again (commissions.close.discard); the audit log keeps the reason.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from commissions.close import close_run_discard
from core.errors import ApplicationError
from core.periods import parse_period


class Command(BaseCommand):
    help = (
        "Discard the final close of a period that has not succeeded (failed, or stuck), undo what it "
        "wrote and open the period again. A closed period is never discarded."
    )

    def add_arguments(self, parser):
        parser.add_argument("period", help="the month whose close to discard, YYYY-MM")
        parser.add_argument("--reason", required=True, help="why (recorded in the audit log)")

    def handle(self, *args, **options):
        try:
            period = parse_period(options["period"])
            run = close_run_discard(period=period, reason=options["reason"])
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{run} discarded."))
        self.stdout.write(run.notice)
        self.stdout.write(f"Start the close again with manage.py close_period {run.period}")

"""`manage.py compare_runs RUN_A RUN_B [--csv FILE] [--limit N]`, or
`manage.py compare_runs --period YYYY-MM --plans V1 V2`: who gains, who loses, and why."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from commissions.models import CloseRun, CloseRunStatus
from commissions.selectors.comparison import run_comparison
from commissions.selectors.comparison_render import CSV_COLUMNS, comparison_csv_rows, comparison_text
from commissions.selectors.runs import close_run_by_id
from commissions.services.compare import compare_plans
from core import csv  # neutralises formula-like cells (CSV injection)
from core.errors import ApplicationError
from core.periods import parse_period


class Command(BaseCommand):
    help = (
        "Compare two runs of the close distributor by distributor (or preview a period with two plan "
        "versions and compare them): totals, gainers and losers, and why each one changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("runs", nargs="*", type=int, help="ids of run A and run B")
        parser.add_argument("--period", help="YYYY-MM: preview this open period with --plans V1 V2")
        parser.add_argument("--plans", nargs=2, metavar=("V1", "V2"), help="the two plan versions")
        parser.add_argument("--csv", dest="csv_file", help="also write every changed distributor to this CSV")
        parser.add_argument("--limit", type=int, help="show only the N largest changes")

    def handle(self, *args, **options):
        limit = options["limit"]
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        try:
            if options["period"] or options["plans"]:
                if options["runs"] or not (options["period"] and options["plans"]):
                    raise CommandError("Give either RUN_A RUN_B, or --period YYYY-MM --plans V1 V2.")
                comparison = compare_plans(
                    period=parse_period(options["period"]), plan_a=options["plans"][0],
                    plan_b=options["plans"][1], limit=limit,
                )  # fmt: skip
            else:
                if len(options["runs"]) != 2:
                    raise CommandError("Give two run ids (RUN_A RUN_B), or --period YYYY-MM --plans V1 V2.")
                run_a, run_b = (self._run(pk) for pk in options["runs"])
                comparison = run_comparison(run_a, run_b, limit=limit)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(comparison_text(comparison))
        if options["csv_file"]:
            with open(options["csv_file"], "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(CSV_COLUMNS)
                writer.writerows(comparison_csv_rows(comparison))
            self.stdout.write(f"Wrote {len(comparison.rows)} distributors to {options['csv_file']}.")

    @staticmethod
    def _run(pk: int) -> CloseRun:
        run = close_run_by_id(pk)
        if run is None:
            raise CommandError(f"There is no run {pk}; see the close runs in the admin.")
        if run.status != CloseRunStatus.SUCCEEDED:
            raise CommandError(f"Run {pk} has not succeeded ({run.status}): only finished runs compare.")
        return run

"""`manage.py export_statements YYYY-MM FILE [--preview]`: the period's statements as CSV."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from commissions.selectors.runs import close_run_for_export
from commissions.selectors.statements import EXPORT_COLUMNS, statement_export_rows
from core import csv  # neutralises formula-like cells (CSV injection)
from core.errors import ApplicationError
from core.periods import parse_period


class Command(BaseCommand):
    help = "Write one CSV row per distributor statement of a closed (or previewed) period."

    def add_arguments(self, parser):
        parser.add_argument("period", help="YYYY-MM")
        parser.add_argument("file", help="the CSV file to write ('-' for standard output)")
        parser.add_argument("--preview", action="store_true", help="export the newest preview instead")

    def handle(self, *args, **options):
        try:
            run = close_run_for_export(period=parse_period(options["period"]), preview=options["preview"])
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        rows = statement_export_rows(run)
        if options["file"] == "-":
            self._write(self.stdout, rows)
        else:
            with open(options["file"], "w", newline="", encoding="utf-8") as handle:
                self._write(handle, rows)
            self.stdout.write(f"Wrote {len(rows)} statements of {run.period} to {options['file']}.")

    @staticmethod
    def _write(handle, rows):
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(rows)

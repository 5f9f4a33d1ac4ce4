"""`manage.py vat_report PERIOD [FILE]`: the self-billing invoices issued in a quarter (2026-Q4), a
month (2026-10) or a year (2026), totalled per VAT status, as CSV (the admin's VAT report)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from commissions.selectors.invoices import (
    VAT_REPORT_COLUMNS,
    vat_report,
    vat_report_csv_rows,
    vat_report_period,
)
from core import csv  # neutralises formula-like cells (CSV injection)
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Write the VAT totals of the self-billing invoices of a period as CSV, for the VAT return."

    def add_arguments(self, parser):
        parser.add_argument("period", help="YYYY-Qn, YYYY-MM or YYYY")
        parser.add_argument(
            "file", nargs="?", default="-", help="the CSV file to write ('-', the default: standard output)"
        )

    def handle(self, *args, **options):
        try:
            start, end = vat_report_period(options["period"])
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        rows = vat_report_csv_rows(vat_report(start=start, end=end))
        if options["file"] == "-":
            self._write(self.stdout, rows)
        else:
            with open(options["file"], "w", newline="", encoding="utf-8") as handle:
                self._write(handle, rows)
            self.stdout.write(f"Wrote the VAT report of {start} up to {end} to {options['file']}.")

    @staticmethod
    def _write(handle, rows):
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(VAT_REPORT_COLUMNS)
        writer.writerows(rows)

"""`manage.py export_statements YYYY-MM FILE [--preview] [--invoices]`: the period's statements as
CSV; with --invoices, each with its payout's self-billing invoice (number, VAT status, VAT, total)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from commissions.selectors.runs import close_run_for_export
from commissions.selectors.statements import EXPORT_COLUMNS, INVOICE_COLUMNS, statement_export_rows
from core import csv  # neutralises formula-like cells (CSV injection)
from core.errors import ApplicationError
from core.periods import parse_period


class Command(BaseCommand):
    help = "Write one CSV row per distributor statement of a closed (or previewed) period."

    def add_arguments(self, parser):
        parser.add_argument("period", help="YYYY-MM")
        parser.add_argument("file", help="the CSV file to write ('-' for standard output)")
        parser.add_argument("--preview", action="store_true", help="export the newest preview instead")
        parser.add_argument(
            "--invoices",
            action="store_true",
            help="add each payout's self-billing invoice (invoice_number, vat_status, vat_amount, "
            "invoice_total)",
        )

    def handle(self, *args, **options):
        try:
            run = close_run_for_export(period=parse_period(options["period"]), preview=options["preview"])
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        rows = statement_export_rows(run, invoices=options["invoices"])
        columns = EXPORT_COLUMNS + (INVOICE_COLUMNS if options["invoices"] else ())
        if options["file"] == "-":
            self._write(self.stdout, columns, rows)
        else:
            with open(options["file"], "w", newline="", encoding="utf-8") as handle:
                self._write(handle, columns, rows)
            self.stdout.write(f"Wrote {len(rows)} statements of {run.period} to {options['file']}.")

    @staticmethod
    def _write(handle, columns, rows):
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)

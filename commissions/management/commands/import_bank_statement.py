"""`manage.py import_bank_statement FILE`: reconcile a camt.053 statement of the company's account
with the payouts sent (commissions.services.bank_statements); importing it again changes nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commissions.services.bank_statements import bank_statement_import
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Import a camt.053 bank statement: payouts paid or returned, unmatched lines for staff."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the camt.053 XML file")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        try:
            result = bank_statement_import(data=data, filename=path.name)
        except ApplicationError as exc:
            raise CommandError(f"{path.name}: {exc} Nothing was imported.") from exc
        statement = result.statement
        if not result.created:
            self.stdout.write(f"Statement {statement.statement_id} was imported before: nothing changed.")
            return
        self.stdout.write(
            f"Statement {statement.statement_id}: {statement.paid} paid, {statement.returned} returned, "
            f"{statement.unmatched} unmatched."
        )

"""`manage.py payout_batch YYYY-MM FILE [--pain001 XML]`: batch the period's payouts and write the bank
CSV (and the SEPA pain.001 file);
`manage.py payout_batch --mark-paid REFERENCE`: record that the bank paid a batch."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from commissions.models import PayoutBatch
from commissions.services.payouts import (
    PAYOUT_CSV_COLUMNS,
    payout_batch_create,
    payout_batch_mark_paid,
    payout_batch_rows,
)
from commissions.services.sepa import payout_batch_pain001
from core import csv  # neutralises formula-like cells (CSV injection)
from core.errors import ApplicationError
from core.periods import parse_period


class Command(BaseCommand):
    help = "Create the payout batch of a closed period (bank CSV), or mark a batch paid."

    def add_arguments(self, parser):
        parser.add_argument("period", nargs="?", help="YYYY-MM of a closed period")
        parser.add_argument("file", nargs="?", help="the bank CSV to write")
        parser.add_argument("--mark-paid", metavar="REFERENCE", help="mark this batch paid")
        parser.add_argument("--pain001", metavar="XML", help="also write the batch's SEPA pain.001 file")

    def handle(self, *args, **options):
        try:
            if options["mark_paid"]:
                batch = PayoutBatch.objects.filter(reference=options["mark_paid"]).first()
                if batch is None:
                    raise CommandError(f"There is no payout batch {options['mark_paid']}.")
                payout_batch_mark_paid(batch=batch)
                self.stdout.write(f"{batch.reference} marked paid ({batch.count} payouts, {batch.total}).")
                return
            if not options["period"] or not options["file"]:
                raise CommandError("Give a period and a file: payout_batch YYYY-MM FILE.")
            with transaction.atomic():  # no batch without its SEPA file when one is asked for
                batch = payout_batch_create(period=parse_period(options["period"]))
                sepa = payout_batch_pain001(batch) if options["pain001"] and batch is not None else None
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        if batch is None:  # every payout still to pay is held: recorded, no file to write
            self.stdout.write(
                f"Nothing to pay for {options['period']}: every payout still to pay is held "
                "(see Held payouts in the admin for the reasons). No file written."
            )
            return
        if sepa is not None:
            with open(options["pain001"], "wb") as xml:
                xml.write(sepa)
        with open(options["file"], "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(PAYOUT_CSV_COLUMNS)
            writer.writerows(payout_batch_rows(batch))
        self.stdout.write(
            f"{batch.reference}: {batch.count} payouts, total {batch.total}, written to {options['file']}."
        )

"""python manage.py income_disclosure YEAR [--csv FILE]: the income disclosure statement of a year."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from compliance.selectors import income_disclosure, income_disclosure_csv_rows
from core.money import money_str


class Command(BaseCommand):
    help = (
        "Print the income disclosure statement of a calendar year; --csv FILE writes it as CSV ('-': stdout)."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument(
            "--csv", dest="csv_file", default=None, help="write the CSV to FILE ('-' for stdout)"
        )

    def handle(self, *args, year: int, csv_file: str | None, **options):
        from core import csv  # neutralises formula-like cells (CSV injection)

        if not 1900 < year < 3000:
            raise CommandError(f"{year} is not a year; write it as four digits, e.g. 2026.")
        d = income_disclosure(year=year)
        if csv_file:
            rows = income_disclosure_csv_rows(d)
            if csv_file == "-":
                csv.writer(self.stdout).writerows(rows)
                return
            with open(csv_file, "w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerows(rows)
            self.stdout.write(f"Wrote {csv_file}: {d.participants} participants, {len(d.rows)} ranks.")
            return
        out = self.stdout.write
        out(f"Income disclosure statement {d.year} ({d.currency}, gross before expenses)")
        out(
            f"Months included: {', '.join(d.months) or 'none closed yet'}"
            + ("" if d.complete else " (incomplete year)")
        )
        out(f"Participants: {d.participants} (joined {d.joined}, left {d.leavers})")
        out(f"Earned anything: {d.paid_count} ({d.paid_share_percent}); nothing: {d.zero_count}")
        out(f"Median gross: {money_str(d.median_gross)}   Mean gross: {money_str(d.mean_gross)}")
        out("")
        out(
            f"{'rank':<26}{'people':>7}{'share':>8}{'paid':>6}{'median':>11}{'mean':>11}{'lowest':>11}{'highest':>11}"
        )
        for r in d.rows:
            out(
                f"{f'{r.rank} {r.name}':<26}{r.count:>7}{r.share_percent:>8}{r.paid_count:>6}"
                f"{money_str(r.median):>11}{money_str(r.mean):>11}{money_str(r.lowest):>11}{money_str(r.highest):>11}"
            )
        out("")
        for i, note in enumerate(d.notes, 1):
            out(f"{i}. {note}")

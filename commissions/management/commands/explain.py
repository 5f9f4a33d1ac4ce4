"""`manage.py explain DISTRIBUTOR_EXTERNAL_ID YYYY-MM [--preview] [--run ID]`: why a distributor has
their rank in a period, requirement by requirement, and where each line of money comes from."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from commissions.selectors.explanation import explain_distributor, explanation_text
from commissions.selectors.runs import close_run_by_id, close_run_for_export
from core.errors import ApplicationError
from core.periods import parse_period


class Command(BaseCommand):
    help = (
        "Explain a distributor's paid-as rank (each requirement, met or not, with the numbers) and "
        "every ledger line of a period's final close (or newest preview)."
    )

    def add_arguments(self, parser):
        parser.add_argument("distributor", help="the distributor's external id")
        parser.add_argument("period", help="YYYY-MM")
        parser.add_argument("--preview", action="store_true", help="explain the newest succeeded preview")
        parser.add_argument("--run", type=int, help="explain this run of the period instead")

    def handle(self, *args, **options):
        from distributors.models import Distributor

        distributor = Distributor.objects.filter(external_id=options["distributor"]).first()
        if distributor is None:
            raise CommandError(f"There is no distributor with id {options['distributor']!r}.")
        try:
            period = parse_period(options["period"])
            if options["run"]:
                run = close_run_by_id(options["run"])
                if run is None or run.period.start != period:
                    raise CommandError(f"There is no run {options['run']} of {options['period']}.")
            else:
                run = close_run_for_export(period=period, preview=options["preview"])
            explanation = explain_distributor(distributor, run)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(explanation_text(explanation))

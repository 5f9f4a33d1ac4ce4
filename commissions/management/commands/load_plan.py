"""`manage.py load_plan FILE`: validate a plan document and store it as a new plan version."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from plans.document import PlanDocumentError, load_plan_file
from plans.services import plan_load


class Command(BaseCommand):
    help = "Load a compensation plan document (JSON, docs/plan-format.md) as a new plan version."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the plan document (JSON)")

    def handle(self, *args, **options):
        try:
            plan = plan_load(document=load_plan_file(options["file"]))
        except PlanDocumentError as exc:
            # Every problem on its own line, so all of them can be fixed in one go.
            problems = "\n".join(f"{path}: {message}" for path, message in exc.problems)
            raise CommandError(
                f"{options['file']} is not a valid plan document; nothing was loaded.\n{problems}"
            ) from exc
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Loaded plan {plan.name} {plan.version}")

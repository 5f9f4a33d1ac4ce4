"""`python manage.py import_network DIR`: import a network, catalogue and order history (interfaces.md)."""

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from importer.services import ImportFailed, import_network


class Command(BaseCommand):
    help = (
        "Import products.csv, distributors.csv, orders.csv and the optional customers.csv, "
        "demonstrations.csv and returns.csv from DIR, all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="the directory holding the CSV files")

    def handle(self, *args, **options):
        try:
            summary = import_network(directory=options["directory"])
        except ImportFailed as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError(exc.message) from None
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Import complete."))

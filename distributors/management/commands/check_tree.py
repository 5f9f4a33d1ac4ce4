"""Verify the sponsor tree's nested sets against the sponsor links; `--fix` renumbers them."""

from django.core.management.base import BaseCommand, CommandError

from distributors.selectors import TreeCheck, tree_check
from distributors.services.moves import tree_renumber


class Command(BaseCommand):
    help = "Verify every nested-set invariant of the sponsor tree; exit 1 on corruption."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix", action="store_true", help="Renumber the trees from the sponsor links and re-check."
        )

    def handle(self, *args, fix: bool = False, **options):
        report = tree_check()
        self._print(report)
        if report.ok:
            return
        if not fix:
            raise CommandError(
                f"Sponsor tree is corrupt: {report.problem_count} problem(s). Run check_tree --fix."
            )
        changed = tree_renumber()
        self.stdout.write(f"Renumbered {changed} distributor(s) from the sponsor links.")
        report = tree_check()
        self._print(report)
        if not report.ok:
            raise CommandError(f"Sponsor tree is still corrupt: {report.problem_count} problem(s).")

    def _print(self, report: TreeCheck) -> None:
        for problem in report.problems:
            self.stdout.write(f"  {problem}")
        if report.problem_count > len(report.problems):
            self.stdout.write(f"  ... and {report.problem_count - len(report.problems)} more")
        summary = f"{report.nodes} distributor(s) in {report.trees} tree(s): "
        if report.ok:
            self.stdout.write(self.style.SUCCESS(summary + "OK"))
        else:
            self.stdout.write(self.style.ERROR(summary + f"{report.problem_count} problem(s)"))

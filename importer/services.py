"""`import_network`: a company's network, catalogue and order history from CSV files (interfaces.md).

Two phases: every file is read and checked completely (all problems collected as
`file:line: message`), then, only if there are none, everything is written in one transaction
with bulk writes. Ids are the files' external ids, so importing the same files again creates
nothing and changes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from core.errors import ApplicationError
from core.locks import SPONSOR_TREE_LOCK, advisory_xact_lock

from .check import Checker
from .files import ErrorLog
from .parse import FILE_ORDER, parse_directory
from .write import write_plan

KINDS = ("products", "distributors", "customers", "demonstrations", "orders", "order_lines", "returns")


class ImportFailed(ApplicationError):
    """The files have problems; nothing was imported. `errors` lists every `file:line: message`."""

    def __init__(self, errors: list[str]):
        super().__init__(
            f"{len(errors)} problem(s) found in the import files; nothing was imported.",
            extra={"errors": errors},
        )
        self.errors = errors


@dataclass(frozen=True)
class ImportSummary:
    created: dict[str, int]
    already_present: dict[str, int]
    # Seconds spent reading the files, checking them against each other and the database, writing.
    seconds: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lines = [
            f"{kind.replace('_', ' ')}: {self.created.get(kind, 0)} created, "
            f"{self.already_present.get(kind, 0)} already present"
            for kind in KINDS
        ]
        if self.seconds:
            lines.append(
                f"took {sum(self.seconds.values()):.1f} s (read {self.seconds['read']:.1f} s, "
                f"checks {self.seconds['check']:.1f} s, writes {self.seconds['write']:.1f} s)"
            )
        return lines


def import_network(*, directory: Path | str) -> ImportSummary:
    """Import the files of `directory`, all or nothing. Raises ImportFailed listing every problem."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ApplicationError(f"{directory} is not a directory.", field="directory")
    errors = ErrorLog()
    started = time.perf_counter()
    parsed = parse_directory(directory, errors)
    seconds = {"read": time.perf_counter() - started}
    # A file whose header is wrong yields no rows: checking references against it would only
    # repeat that one problem on every line that refers to it.
    unreadable = {item.file for item in errors.items if item.line == 1}
    if unreadable:
        raise ImportFailed(errors.sorted_lines(FILE_ORDER))
    with transaction.atomic():
        # The tree lock first (before any row lock), as every structural tree write takes it.
        advisory_xact_lock(SPONSOR_TREE_LOCK)
        started = time.perf_counter()
        plan = Checker(parsed, errors).run()
        if errors:
            raise ImportFailed(errors.sorted_lines(FILE_ORDER))
        seconds["check"] = time.perf_counter() - started
        started = time.perf_counter()
        created = write_plan(plan)
    seconds["write"] = time.perf_counter() - started  # the commit included
    return ImportSummary(
        created={kind: created.get(kind, 0) for kind in KINDS},
        already_present={kind: plan.present.get(kind, 0) for kind in KINDS},
        seconds=seconds,
    )


__all__ = ["ImportFailed", "ImportSummary", "import_network"]

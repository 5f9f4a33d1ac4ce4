"""The one way the project writes CSV: cells a spreadsheet would run as a formula are neutralised.

A spreadsheet reads a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula (CSV injection): a first name `=HYPERLINK("https://evil.example", "Click")`, accepted at
enrollment, would become a live link, or worse, in the bank CSV opened by the finance team. Every
CSV file the project writes (exports, bank file, comparisons, disclosure statement) goes through
`writer` below, a drop-in for `csv.writer` (`from core import csv`, then `csv.writer(handle, ...)`).

Such a cell gets a leading apostrophe (`'=HYPERLINK(...)`), what OWASP advises: spreadsheets show
it as text, and a reader sees that something was escaped.

Numbers are left alone, also negative ones: `-12.50` in a money column (a clawback, a negative
net) is a number, not a formula, and must stay one for the bank, the accountant's sums and any
program that reads the file. So a cell is neutralised only if its text starts with one of those
characters *and* is not a plain decimal number (optional sign, digits, optional decimals); `-1+2`,
`-A1` or `+cmd|...` are formulas and are neutralised. The rule looks at the text, whatever the
type of the value, so a Decimal, an int or a str holding a money amount are treated the same way.
"""

from __future__ import annotations

import csv as _csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet may show it: a formula-like text gets a leading apostrophe."""
    if value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return value


class SafeWriter:
    """`csv.writer` whose rows pass through `safe_cell`; the same `writerow`/`writerows` answers."""

    def __init__(self, handle: Any, dialect: str | type[_csv.Dialect] = "excel", **fmtparams: Any) -> None:
        self._writer = _csv.writer(handle, dialect, **fmtparams)

    @property
    def dialect(self) -> Any:
        return self._writer.dialect

    def writerow(self, row: Iterable[Any]) -> Any:
        # The underlying writer returns what the file's write() returns (a streamed response uses it).
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle: Any, dialect: str | type[_csv.Dialect] = "excel", **fmtparams: Any) -> SafeWriter:
    """A CSV writer on `handle` (as `csv.writer`) that neutralises formula-like cells."""
    return SafeWriter(handle, dialect, **fmtparams)

"""Reading the import files: streaming CSV, the header check, and the parsers of one field.

Every problem is collected as `file:line: message` (the header is line 1); nothing stops at the
first error, so a user fixes a file in one round.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MONEY_RE = re.compile(r"^-?\d+(\.\d{1,2})?$")
RATE_RE = re.compile(r"^\d+(\.\d{1,4})?$")
QUANTITY_RE = re.compile(r"^[-+]?\d+$")
# Imported timestamps are written in years 1970..2999: a date far outside is a typo, and near the
# ends of `datetime` (year 1 or 9999) converting to the company time zone overflows on every page.
FIRST_YEAR = 1970
LAST_YEAR = 2999
TRUE_WORDS = {"true", "1"}
FALSE_WORDS = {"false", "0"}


@dataclass(frozen=True, slots=True)
class ImportError_:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class ErrorLog:
    """Every problem found, in the order of the files and lines they were found on."""

    items: list[ImportError_] = field(default_factory=list)

    def add(self, file: str, line: int, message: str) -> None:
        self.items.append(ImportError_(file, line, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def sorted_lines(self, file_order: list[str]) -> list[str]:
        rank = {name: i for i, name in enumerate(file_order)}
        ordered = sorted(
            enumerate(self.items), key=lambda p: (rank.get(p[1].file, len(rank)), p[1].line, p[0])
        )
        return [str(item) for _, item in ordered]


class BadValue(ValueError):
    """One field of one row is malformed; the message names the column and the value."""


def read_rows(
    directory: Path,
    name: str,
    columns: tuple[str, ...],
    errors: ErrorLog,
    *,
    required: bool,
    optional_columns: tuple[str, ...] = (),
) -> Iterator[tuple[int, list[str | None]]]:
    """Yield (line, values) for every data row, values in the order of `columns` + `optional_columns`
    (None for an absent optional column), stripped of surrounding blanks.

    A missing file (when required), a bad header or a row with the wrong number of fields is
    reported and yields nothing for that row.
    """
    path = directory / name
    if not path.exists():
        if required:
            errors.add(name, 1, f"the file is missing: {name} is required")
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            errors.add(name, 1, f"unreadable header: {exc}")
            return
        if header is None:
            errors.add(name, 1, f"the file is empty: expected the header {','.join(columns)}")
            return
        header = [h.strip() for h in header]
        positions: list[int | None] = []
        header_ok = True
        seen: set[str] = set()
        for column in header:
            if column in seen:
                errors.add(name, 1, f"column '{column}' appears twice in the header")
                header_ok = False
            seen.add(column)
        missing = [c for c in columns if c not in seen]
        if missing:
            errors.add(
                name,
                1,
                f"missing column(s) {', '.join(missing)}: the header must be {','.join(columns)}",
            )
            header_ok = False
        known = set(columns) | set(optional_columns)
        for column in header:
            if column not in known:
                errors.add(name, 1, f"unknown column '{column}': the header must be {','.join(columns)}")
                header_ok = False
        if not header_ok:
            return
        index = {column: i for i, column in enumerate(header)}
        for column in columns:
            positions.append(index[column])
        for column in optional_columns:
            positions.append(index.get(column))
        width = len(header)
        next_line = reader.line_num + 1
        while True:
            line = next_line
            try:
                row = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                errors.add(name, line, f"unreadable row: {exc}")
                return
            next_line = reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            if len(row) != width:
                errors.add(name, line, f"expected {width} fields, found {len(row)}")
                continue
            yield line, [row[p].strip() if p is not None else None for p in positions]


# --- one field ------------------------------------------------------------------------------


def text(value: str, column: str, *, max_length: int, required: bool = True) -> str:
    if required and not value:
        raise BadValue(f"{column} is empty")
    if len(value) > max_length:
        raise BadValue(f"{column} is longer than {max_length} characters")
    return value


def email(value: str, column: str, *, required: bool) -> str:
    if not value:
        if required:
            raise BadValue(f"{column} is empty")
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise BadValue(f"{column} '{value}' is not an e-mail address") from None
    return value


def money(value: str, column: str) -> Decimal:
    """A non-negative amount with at most 2 decimals."""
    return _two_decimals(value, column, "an amount (digits with at most 2 decimals)")


def points(value: str, column: str) -> Decimal:
    """A non-negative number of points with at most 2 decimals."""
    return _two_decimals(value, column, "a number of points (at most 2 decimals)")


def _two_decimals(value: str, column: str, what: str) -> Decimal:
    if not MONEY_RE.match(value):
        raise BadValue(f"{column} '{value}' is not {what}")
    amount = Decimal(value)
    if amount < 0:
        raise BadValue(f"{column} {value} must not be negative")
    if amount >= Decimal("1e12"):
        raise BadValue(f"{column} {value} is too large")
    return amount


def rate(value: str, column: str) -> Decimal:
    if not RATE_RE.match(value) or Decimal(value) >= 1:
        raise BadValue(f"{column} '{value}' is not a rate (a fraction below 1, e.g. 0.21)")
    return Decimal(value)


def quantity(value: str, column: str = "quantity") -> int:
    if not QUANTITY_RE.match(value):
        raise BadValue(f"{column} '{value}' is not a whole number")
    number = int(value)
    if number <= 0:
        raise BadValue(f"{column} must be positive, got {number}")
    if number > 2_000_000_000:
        raise BadValue(f"{column} {number} is too large")
    return number


def boolean(value: str, column: str) -> bool:
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadValue(f"{column} '{value}' is not a boolean (true or false)")


def moment(value: str, column: str) -> dt.datetime:
    """An ISO 8601 timestamp with an offset (Z or ±hh:mm); without one it is ambiguous.

    The year must be FIRST_YEAR to LAST_YEAR.
    """
    if not value:
        raise BadValue(f"{column} is empty")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadValue(
            f"{column} '{value}' is not an ISO 8601 timestamp (e.g. 2026-10-10T12:00:00+02:00)"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise BadValue(f"{column} '{value}' has no UTC offset (write e.g. 2026-10-10T12:00:00+02:00)")
    # Checked on the year as written, before any conversion: 9999-12-31T23:59-05:00 overflows.
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise BadValue(f"{column} '{value}' is out of range (the year must be {FIRST_YEAR} to {LAST_YEAR})")
    return parsed.astimezone(dt.UTC)


def choice(value: str, column: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise BadValue(f"{column} '{value}' is not one of {', '.join(allowed)}")
    return value

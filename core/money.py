"""Money and points. Decimal only; rounding only where the plan says (ledger lines, to cents)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TypedDict

CENT = Decimal("0.01")
ZERO = Decimal("0")
# The finest unit stored: points and CV per unit have 4 decimals.
TEN_THOUSANDTH = Decimal("0.0001")


class DecimalSize(TypedDict):
    """The size of a DecimalField (or a serializer's): `models.DecimalField(**MONEY)`."""

    max_digits: int
    decimal_places: int


# Amounts in the currency: stored, computed and shown in cents.
MONEY: DecimalSize = {"max_digits": 14, "decimal_places": 2}


def decimal_from_db(value: object) -> Decimal:
    """A numeric sum as the database returns it, as Decimal. PostgreSQL returns Decimal; SQLite (the
    demo) may return int or float, taken to 4 decimals; None (a sum over no rows) is zero."""
    if isinstance(value, Decimal):
        return value
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(TEN_THOUSANDTH)


def round_cents(amount: Decimal) -> Decimal:
    """Round to cents, half away from zero (ROUND_HALF_UP is symmetric for negatives in Decimal)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_str(amount: Decimal) -> str:
    """Exactly two decimals, as the export files want."""
    return str(round_cents(amount))


def points_str(points: Decimal) -> str:
    """Points as plain decimals: 600, 612.5, 112.5 (no exponent, no trailing zeros)."""
    normalized = points.normalize()
    if normalized == normalized.to_integral():
        return str(normalized.quantize(Decimal(1)))
    return format(normalized, "f")


def allocate_cents(amounts: list[Decimal], total: Decimal) -> list[Decimal]:
    """Split `total` over `amounts` in proportion, in whole cents that add up exactly to `total`.

    Each share is the floor of its proportional part; the leftover cents go one by one to the
    largest remainders (ties: the earlier amount). All zero amounts give all zero shares.
    """
    cents = [int(a / CENT) for a in amounts]
    whole = sum(cents)
    target = int(total / CENT)
    if whole == 0:
        return [ZERO for _ in amounts]
    shares = [c * target // whole for c in cents]
    by_remainder = sorted(range(len(cents)), key=lambda i: (-(cents[i] * target % whole), i))
    for i in by_remainder[: target - sum(shares)]:
        shares[i] += 1
    return [Decimal(share) * CENT for share in shares]

"""Money and points. Decimal only; rounding only where the plan says (ledger lines, to cents)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


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

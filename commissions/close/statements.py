"""The close's statements: carried in + the period's lines = net; paid out when net reaches the
plan's minimum, else carried to the next period (compensation-plan §9); and the run's totals over them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from commissions.services.rows import StatementRow
from core.money import ZERO, round_cents


def build_statements(
    *,
    distributors: Iterable[int],
    sums: Sequence[dict[int, Decimal]],
    carried_in: dict[int, Decimal],
    minimum: Decimal,
) -> list[StatementRow]:
    """carried in + the period's lines = net; paid out when net >= minimum, else carried
    (compensation-plan §9).

    One statement for each of `distributors` (in id order), from their lines' sums per slot
    (`sums`: personal, override, clawbacks, adjustments, each earner -> amount); each statement
    takes its sums out of `sums`, so what is left belongs to no one listed."""
    personal, override, clawback, adjustment = (into.pop for into in sums)
    carried_of = carried_in.get
    statements: list[StatementRow] = []
    add, new = statements.append, tuple.__new__
    # Lines are rounded to cents and balances are cents: every sum below is exact, no rounding.
    for distributor_id in distributors:
        carried = carried_of(distributor_id, ZERO)
        p, o = personal(distributor_id, ZERO), override(distributor_id, ZERO)
        c, a = clawback(distributor_id, ZERO), adjustment(distributor_id, ZERO)
        net = carried + p + o + c + a
        payout = net if net >= minimum else ZERO
        add(new(StatementRow, (distributor_id, carried, p, o, c, a, net, payout, net - payout)))
    return statements


def statement_totals(statements: Iterable[StatementRow]) -> dict[str, Any]:
    """The run's totals for its summary, from the statements the compute built (the chunks store
    them unchanged, so finalize need not read them back)."""
    carried_in = personal = override = clawbacks = adjustments = payout = carried_out = ZERO
    paid = 0
    for _, c_in, p, o, c, a, _, out, c_out in statements:  # StatementRow, by position
        carried_in += c_in
        personal += p
        override += o
        clawbacks += c
        adjustments += a
        payout += out
        carried_out += c_out
        if out > 0:
            paid += 1
    sums = (personal, override, clawbacks, adjustments, payout, carried_out, carried_in)
    names = ("personal", "override", "clawbacks", "adjustments", "payout", "carried_out", "carried_in")
    totals = {name: str(round_cents(value)) for name, value in zip(names, sums, strict=True)}
    return {"totals": totals, "total_paid": totals["payout"], "paid_distributors": paid}

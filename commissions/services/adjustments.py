"""Manual adjustments: entered by an admin for an open period, with a reason, audited; each becomes
one adjustment line of that period's close."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from commissions.models import Adjustment
from core.errors import ApplicationError
from core.money import round_cents
from core.services import audit_record
from distributors.models import Distributor
from plans.periods import period_ensure_open

from .rows import LineRow


@transaction.atomic
def adjustment_create(
    *, distributor: Distributor, period: dt.date, amount: Decimal | str, reason: str, actor: Any = None
) -> Adjustment:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise ApplicationError(
            _("'%(amount)s' is not an amount.") % {"amount": amount}, field="amount"
        ) from None
    if not value.is_finite() or value != round_cents(value):
        raise ApplicationError(_("An adjustment is an amount in cents, e.g. 12.50 or -3.00."), field="amount")
    if value == 0:
        raise ApplicationError(_("An adjustment of 0.00 changes nothing."), field="amount")
    if not reason.strip():
        raise ApplicationError(_("Say why: an adjustment needs a reason."), field="reason")
    # Share-locks the period's row: a final close cannot start before this adjustment commits.
    period_row = period_ensure_open(start=period, what=_("This adjustment cannot be entered"))
    adjustment = Adjustment.objects.create(
        period=period_row,
        distributor=distributor,
        amount=value,
        reason=reason.strip(),
        created_by=(actor if getattr(actor, "is_authenticated", False) else None),
    )
    audit_record(
        actor=actor, action="commissions.adjustment_create", target=distributor, reason=reason.strip(),
        data={"period": str(period_row), "amount": str(value), "adjustment": adjustment.pk},
    )  # fmt: skip
    return adjustment


def adjustment_lines(period: dt.date) -> list[LineRow]:
    return [
        LineRow(
            distributor_id,
            "adjustment",
            f"adjustment:{pk}",
            None,
            0,
            Decimal(1),
            amount,
            amount,
            None,
            None,
            pk,
        )
        for pk, distributor_id, amount in Adjustment.objects.filter(period__start=period)
        .order_by("id")
        .values_list("id", "distributor_id", "amount")
    ]

"""Returns: units of a paid order refunded, counted by the refund date (compensation-plan §2, §8).

A return refunded in the order's own period takes the units out of that period; one refunded in
a later period is recorded with that refund_period, whose close claws back what the order's period
paid on them (commissions' work).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict
from core.money import CENT, ZERO, allocate_cents
from core.services import audit_record
from orders.models import RETURNABLE_STATUSES, OrderLine, OrderStatus, Return, ReturnKind, ReturnLine
from orders.selectors.orders import returned_quantities

from .common import ensure_not_future, ensure_period_open
from .orders import _locked


@transaction.atomic
def order_return(
    *,
    order: Any,
    lines: list[tuple[OrderLine, int]],
    refunded_at: dt.datetime | None = None,
    refund_amount: Decimal | None = None,
    reason: str = "",
    actor: Any = None,
    kind: str = ReturnKind.RETURN,
    external_key: str | None = None,
) -> Return:
    """Refund some units of a paid order.

    Never more than was bought minus what was already returned (summed under the order's row
    lock, so two returns cannot both take the last unit). The refund defaults to the price paid
    for the units; a smaller amount (e.g. a damaged item) is spread over the lines to the cent.
    """
    order = _locked(order)
    refunded_at = refunded_at or timezone.now()
    ensure_not_future(refunded_at, field="refunded_at", what=_("The refund date"))
    if order.status not in RETURNABLE_STATUSES:
        hint = " " + _("Cancel it instead.") if order.status == OrderStatus.PENDING else ""
        raise Conflict(
            _("Order %(number)s is %(status)s; only paid orders are returned.")
            % {"number": order.number, "status": order.get_status_display().lower()}
            + hint
        )
    if order.paid_at and refunded_at < order.paid_at:
        raise ApplicationError(_("The refund date cannot be before the payment."), field="refunded_at")
    if not lines:
        raise ApplicationError(_("Name the lines and quantities to return."), field="lines")
    refund_period = ensure_period_open(refunded_at, field="refunded_at", what=_("The refund date"))

    order_lines = {line.pk: line for line in order.lines.all()}
    already = returned_quantities(order)
    wanted: dict[int, int] = {}
    for line, quantity in lines:
        line_id = line.pk if isinstance(line, OrderLine) else int(line)
        if line_id not in order_lines:
            raise ApplicationError(
                _("Line %(line)s is not a line of order %(number)s.")
                % {"line": line_id, "number": order.number},
                field="lines",
            )
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise ApplicationError(
                _("The quantity to return of %(sku)s must be above zero.")
                % {"sku": order_lines[line_id].sku},
                field="lines",
            )
        wanted[line_id] = wanted.get(line_id, 0) + quantity
    for line_id, quantity in wanted.items():
        line = order_lines[line_id]
        left = line.quantity - already.get(line_id, 0)
        if quantity > left:
            raise ApplicationError(
                _(
                    "%(sku)s: %(quantity)s to return, but only %(left)s of %(bought)s bought "
                    "are not returned yet."
                )
                % {"sku": line.sku, "quantity": quantity, "left": left, "bought": line.quantity},
                field="lines",
            )

    ids = list(wanted)
    full = [order_lines[i].unit_price * wanted[i] for i in ids]
    most = sum(full, ZERO)
    if refund_amount is None:
        amounts = full
    else:
        refund_amount = Decimal(refund_amount)
        if refund_amount < 0 or refund_amount != refund_amount.quantize(CENT):
            raise ApplicationError(
                _("The refund amount is a positive amount in cents."), field="refund_amount"
            )
        if refund_amount > most:
            raise ApplicationError(
                _("The refund (%(refund)s) cannot exceed what was paid for these units (%(paid)s).")
                % {"refund": refund_amount, "paid": most},
                field="refund_amount",
            )
        amounts = allocate_cents(full, refund_amount)

    record = Return.objects.create(
        order=order,
        kind=kind,
        refunded_at=refunded_at,
        refund_period=refund_period,
        refund_amount=sum(amounts, ZERO),
        reason=reason,
        external_key=external_key,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    ReturnLine.objects.bulk_create(
        ReturnLine(return_record=record, order_line_id=i, quantity=wanted[i], refund_amount=amount)
        for i, amount in zip(ids, amounts, strict=True)
    )
    order.status = status_after_return(
        (already.get(line.pk, 0) + wanted.get(line.pk, 0), line.quantity) for line in order_lines.values()
    )
    order.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="order.return",
        target=order,
        reason=reason,
        data={"return": record.pk, "refund_amount": str(record.refund_amount)},
    )
    return record


def status_after_return(lines: Iterable[tuple[int, int]]) -> OrderStatus:
    """An order's status after a return, from (units returned so far, units ordered) of each of its
    lines: returned when every unit is back, else partly returned."""
    all_back = all(returned >= ordered for returned, ordered in lines)
    return OrderStatus.RETURNED if all_back else OrderStatus.PARTLY_RETURNED

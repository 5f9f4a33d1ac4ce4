"""Inventory buy-back (rules/compliance §3): request, decide (approve fully or partly, reject),
withdraw.

An approval refunds the approved units as one Return of kind `buyback` per order, refunded at the
moment of the decision, through the same `order_return` as any other return: the close of the
refund's period then claws back what the uplines earned on those units. Locks, always in this
order: the sponsor-tree advisory lock (only when the request ends the distributor's membership),
the request row, then the orders in id order (the lock `order_return` takes too), so two decisions
on the same units queue and the second sees the first one's returns.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, Literal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from core.locks import SPONSOR_TREE_LOCK, advisory_xact_lock
from core.money import ZERO
from core.services import audit_record
from distributors.models import Distributor, DistributorStatus
from orders.models import (
    BuybackLine,
    BuybackRequest,
    BuybackStatus,
    Order,
    OrderLine,
    ReturnKind,
)
from orders.selectors.buyback import buyback_terms, buyback_units, own_lines_with_quantities
from orders.services.returns import order_return
from orders.signals import buyback_decided

MAX_REASON = 2000
DECISION_ACTIONS = {
    BuybackStatus.APPROVED: "buyback.approve",
    BuybackStatus.PARTLY_APPROVED: "buyback.partly_approve",
    BuybackStatus.REJECTED: "buyback.reject",
}


def _is_staff(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and getattr(actor, "is_staff", False))


def _may_act_for(actor: Any, distributor: Distributor) -> bool:
    if _is_staff(actor):
        return True
    return bool(
        getattr(actor, "is_authenticated", False) and distributor.user_id and actor.pk == distributor.user_id
    )


def _lock_orders(order_ids: set[int]) -> None:
    # Fixed order (by id), the same row lock order_return takes: returns and buy-backs queue.
    list(Order.objects.select_for_update(no_key=True).filter(pk__in=order_ids).order_by("pk").values("pk"))


def _quantity(value: Any, sku: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ApplicationError(
            _("The quantity of %(sku)s to hand back must be a whole number above zero.") % {"sku": sku},
            field="lines",
        )
    return value


@transaction.atomic
def buyback_request_create(
    *,
    distributor: Distributor,
    lines: list[tuple[OrderLine | int, int]],
    reason: str = "",
    with_termination: bool = False,
    actor: Any,
    at: dt.datetime | None = None,
) -> BuybackRequest:
    """Ask the company to buy back units of the distributor's own orders.

    Every line must be the distributor's own order line with enough eligible units (bought in the
    window, an eligible product, not returned, not in another request waiting for a decision).
    The orders are locked first, so two requests for the same units cannot both be recorded.
    """
    if not _may_act_for(actor, distributor):
        raise PermissionDenied(_("Only the distributor or a staff member may ask for a buy-back."))
    at = at or timezone.now()
    reason = (reason or "").strip()[:MAX_REASON]
    if not lines:
        raise ApplicationError(_("Choose the units you want to hand back."), field="lines")

    wanted: dict[int, int] = defaultdict(int)
    for line, quantity in lines:
        line_id = line.pk if isinstance(line, OrderLine) else int(line)
        sku = line.sku if isinstance(line, OrderLine) else _("line %(id)s") % {"id": line_id}
        wanted[line_id] += _quantity(quantity, sku)

    order_ids = set(
        own_lines_with_quantities(distributor=distributor)
        .filter(pk__in=list(wanted))
        .values_list("order_id", flat=True)
    )
    _lock_orders(order_ids)
    # Read after the locks: a request or return committed meanwhile is seen.
    units = {
        u.order_line_id: u for u in buyback_units(distributor=distributor, at=at, only_line_ids=list(wanted))
    }
    problems = []
    for line_id, quantity in sorted(wanted.items()):
        unit = units.get(line_id)
        if unit is None:
            problems.append(
                _("Line %(line)s is not a line of your own paid orders bought in the last %(months)s months.")
                % {"line": line_id, "months": buyback_terms(distributor.country).window_months}
            )
        elif quantity > unit.eligible:
            why = f" {unit.reason}" if unit.reason else ""
            problems.append(
                _(
                    "%(sku)s (order %(order)s): %(asked)s asked, but %(eligible)s of %(quantity)s are "
                    "eligible (%(returned)s returned, %(requested)s already requested)."
                )
                % {
                    "sku": unit.sku,
                    "order": unit.order_number,
                    "asked": quantity,
                    "eligible": unit.eligible,
                    "quantity": unit.quantity,
                    "returned": unit.returned,
                    "requested": unit.requested,
                }
                + why
            )
    if problems:
        raise ApplicationError(" ".join(problems), field="lines", extra={"problems": problems})

    request = BuybackRequest.objects.create(
        distributor=distributor, reason=reason, with_termination=bool(with_termination)
    )
    BuybackLine.objects.bulk_create(
        BuybackLine(
            request=request, order_line_id=line_id, quantity=quantity, unit_refund=units[line_id].unit_refund
        )
        for line_id, quantity in sorted(wanted.items())
    )
    requested_refund = sum((units[i].unit_refund * q for i, q in wanted.items()), ZERO)
    audit_record(
        actor=actor,
        action="buyback.request",
        target=request,
        reason=reason,
        data={
            "distributor": distributor.pk,
            "lines": {str(i): q for i, q in sorted(wanted.items())},
            "requested_refund": str(requested_refund),
            "with_termination": bool(with_termination),
        },
    )
    return request


def _locked_request(request: BuybackRequest | int) -> BuybackRequest:
    pk = request.pk if isinstance(request, BuybackRequest) else int(request)
    try:
        return BuybackRequest.objects.select_for_update(no_key=True).select_related("distributor").get(pk=pk)
    except BuybackRequest.DoesNotExist:
        raise NotFound(_("The buy-back request does not exist."), field="request") from None


@transaction.atomic
def buyback_request_decide(
    *,
    request: BuybackRequest | int,
    approvals: dict[int, int] | Literal["all"],
    actor: Any,
    reason: str = "",
    at: dt.datetime | None = None,
) -> BuybackRequest:
    """Approve fully (`"all"`), partly (`{buyback_line_id: approved quantity}`, missing lines 0) or
    reject (`{}` or all zeros). A reason is required unless everything asked is approved.

    Under the locks the units are checked again: units returned or bought back since the request
    refuse the whole decision with a message naming them, and nothing is written.
    """
    if not _is_staff(actor):
        raise PermissionDenied(_("Only staff members decide on buy-back requests."))
    reason = (reason or "").strip()[:MAX_REASON]
    at = at or timezone.now()
    pk = request.pk if isinstance(request, BuybackRequest) else int(request)
    with_termination = BuybackRequest.objects.filter(pk=pk).values_list("with_termination", flat=True).first()
    if with_termination:
        # Advisory lock first: the termination below takes it, and it must come before row locks.
        advisory_xact_lock(SPONSOR_TREE_LOCK)
    request = _locked_request(pk)
    if request.status != BuybackStatus.REQUESTED:
        raise Conflict(
            _("Buy-back #%(id)s is already %(status)s; a decision is final.")
            % {"id": request.pk, "status": request.get_status_display().lower()},
            field="request",
        )
    lines = list(request.lines.select_related("order_line__order").order_by("pk"))
    if approvals == "all":
        approved = {line.pk: line.quantity for line in lines}
    elif isinstance(approvals, dict):
        by_id = {line.pk for line in lines}
        approved = {}
        for key, value in approvals.items():
            line_id = int(key)
            if line_id not in by_id:
                raise ApplicationError(
                    _("Line %(line)s is not a line of buy-back #%(id)s.")
                    % {"line": line_id, "id": request.pk},
                    field="approvals",
                )
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ApplicationError(
                    _("Approved quantities are whole numbers, zero or more."), field="approvals"
                )
            approved[line_id] = value
    else:
        raise ApplicationError(_('Approvals are "all" or a quantity per line.'), field="approvals")
    for line in lines:
        quantity = approved.get(line.pk, 0)
        if quantity > line.quantity:
            raise ApplicationError(
                _("%(sku)s: %(approved)s approved, but only %(asked)s were asked.")
                % {"sku": line.order_line.sku, "approved": quantity, "asked": line.quantity},
                field="approvals",
            )

    total_asked = sum(line.quantity for line in lines)
    total_approved = sum(approved.get(line.pk, 0) for line in lines)
    if total_approved == 0:
        status = BuybackStatus.REJECTED
    elif total_approved == total_asked:
        status = BuybackStatus.APPROVED
    else:
        status = BuybackStatus.PARTLY_APPROVED
    if status != BuybackStatus.APPROVED and not reason:
        raise ApplicationError(
            _("Give the reason for rejecting or partly approving the request."), field="reason"
        )

    returns = []
    if total_approved:
        _lock_orders({line.order_line.order_id for line in lines if approved.get(line.pk, 0)})
        returned_now = {
            row.pk: row.returned_qty
            for row in own_lines_with_quantities(distributor=request.distributor).filter(
                pk__in=[line.order_line_id for line in lines]
            )
        }
        short = []
        for line in lines:
            quantity = approved.get(line.pk, 0)
            left = line.order_line.quantity - returned_now.get(line.order_line_id, line.order_line.quantity)
            if quantity > left:
                short.append(
                    _(
                        "%(sku)s (order %(order)s): %(quantity)s to approve, but only %(left)s are not "
                        "returned or bought back yet."
                    )
                    % {
                        "sku": line.order_line.sku,
                        "order": line.order_line.order.number,
                        "quantity": quantity,
                        "left": max(left, 0),
                    }
                )
        if short:
            raise Conflict(" ".join(short), field="approvals", extra={"problems": short})

        by_order: dict[int, list[BuybackLine]] = defaultdict(list)
        for line in lines:
            if approved.get(line.pk, 0):
                by_order[line.order_line.order_id].append(line)
        for order_id in sorted(by_order):
            order_lines = by_order[order_id]
            refund = sum((approved[line.pk] * line.unit_refund for line in order_lines), ZERO)
            returns.append(
                order_return(
                    order=order_lines[0].order_line.order,
                    lines=[(line.order_line, approved[line.pk]) for line in order_lines],
                    refunded_at=at,
                    refund_amount=refund,
                    reason=f"Buy-back #{request.pk}" + (f": {reason}" if reason else ""),
                    actor=actor,
                    kind=ReturnKind.BUYBACK,
                    external_key=f"buyback-{request.pk}-order-{order_id}",
                )
            )
        for line in lines:
            line.approved_quantity = approved.get(line.pk, 0)
        BuybackLine.objects.bulk_update(lines, ["approved_quantity"])

    refund_total = sum((approved.get(line.pk, 0) * line.unit_refund for line in lines), Decimal("0.00"))
    request.status = status
    request.decided_at = at
    request.decided_by = actor
    request.decision_reason = reason
    request.refund_total = refund_total
    request.save(
        update_fields=["status", "decided_at", "decided_by", "decision_reason", "refund_total", "updated_at"]
    )
    audit_record(
        actor=actor,
        action=DECISION_ACTIONS[status],
        target=request,
        reason=reason,
        data={
            "status": status,
            "approved": {str(line.order_line_id): approved.get(line.pk, 0) for line in lines},
            "refund_total": str(refund_total),
            "returns": [r.pk for r in returns],
        },
    )
    # Told after the commit (notifications: the distributor hears of the decision).
    transaction.on_commit(lambda: buyback_decided.send(sender=BuybackRequest, request=request))

    if request.with_termination and status != BuybackStatus.REJECTED:
        if request.distributor.status != DistributorStatus.TERMINATED:
            from distributors.services.status import distributor_terminate

            distributor_terminate(
                distributor=request.distributor,
                actor=actor,
                reason=f"Terminated with buy-back #{request.pk}"
                + (f": {request.reason}" if request.reason else "."),
                at=at,
            )
    return request


@transaction.atomic
def buyback_request_reject(*, request: BuybackRequest | int, actor: Any, reason: str) -> BuybackRequest:
    """Reject the whole request; the reason is shown to the distributor."""
    return buyback_request_decide(request=request, approvals={}, actor=actor, reason=reason)


@transaction.atomic
def buyback_request_withdraw(
    *, request: BuybackRequest | int, actor: Any, reason: str = ""
) -> BuybackRequest:
    """The distributor (or staff for them) withdraws a request still waiting for a decision."""
    request = _locked_request(request)
    if not _may_act_for(actor, request.distributor):
        raise PermissionDenied(_("Only the distributor or a staff member may withdraw this request."))
    if request.status != BuybackStatus.REQUESTED:
        raise Conflict(
            _(
                "Buy-back #%(id)s is already %(status)s; only a request waiting for a decision can be "
                "withdrawn."
            )
            % {"id": request.pk, "status": request.get_status_display().lower()},
            field="request",
        )
    reason = (reason or "").strip()[:MAX_REASON]
    request.status = BuybackStatus.WITHDRAWN
    request.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="buyback.withdraw", target=request, reason=reason)
    return request

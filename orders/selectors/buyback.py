"""Reads for inventory buy-back (rules/compliance §3): which units a distributor may hand back,
what the company repays for each, and the distributor's requests with their status.

A unit is eligible when it comes from the distributor's own (personal or inventory) paid order,
bought within the market's window (12 months by default) before the request, from a line whose
product was buy-back eligible and not disclosed as seasonal, discontinued or promotional before
the sale, and it is neither returned already nor part of another request still waiting for a
decision. The company repays round_cents(refund share x price paid) per unit (90% by default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotFound
from core.money import round_cents
from distributors.models import Distributor
from orders.models import (
    RETURNABLE_STATUSES,
    BuybackLine,
    BuybackRequest,
    BuybackStatus,
    OrderLine,
    OrderPurpose,
    ReturnLine,
)
from plans.document import current_plan_document

OWN_PURPOSES = (OrderPurpose.PERSONAL, OrderPurpose.INVENTORY)


@dataclass(frozen=True)
class BuybackTerms:
    """The buy-back parameters of one market."""

    window_months: int
    refund_share: Decimal

    def unit_refund(self, unit_price: Decimal) -> Decimal:
        return round_cents(self.refund_share * unit_price)


def buyback_terms(country: str | None = None) -> BuybackTerms:
    """The market's terms: settings per country first, then the newest plan document, then defaults.

    settings.BUYBACK_WINDOW_MONTHS_BY_COUNTRY = {"US": 12} and BUYBACK_REFUND_SHARE_BY_COUNTRY =
    {"US": "0.90"} override the plan's `buyback` section for distributors of that country.
    """
    plan = current_plan_document()
    window, share = plan.buyback_window_months, plan.buyback_refund_share
    code = (country or "").upper()
    windows = {str(k).upper(): v for k, v in settings.BUYBACK_WINDOW_MONTHS_BY_COUNTRY.items()}
    shares = {str(k).upper(): v for k, v in settings.BUYBACK_REFUND_SHARE_BY_COUNTRY.items()}
    if code in windows:
        window = int(windows[code])
    if code in shares:
        share = Decimal(str(shares[code]))
    return BuybackTerms(window_months=window, refund_share=share)


def window_start(at: dt.datetime, terms: BuybackTerms) -> dt.datetime:
    """The earliest purchase moment still inside the window of a request made at `at`."""
    return at - relativedelta(months=terms.window_months)


@dataclass(frozen=True)
class BuybackUnitLine:
    """One own order line bought inside the window, with how many of its units may be handed back."""

    order_line_id: int
    order_id: int
    order_number: str
    purpose: str
    bought_at: dt.datetime
    sku: str
    product_name: str
    quantity: int
    returned: int  # already returned or bought back
    requested: int  # in requests still waiting for a decision
    eligible: int  # may be requested now
    unit_price: Decimal  # price paid per unit, ex VAT
    unit_refund: Decimal  # what the company repays per unit
    refund_if_all: Decimal  # eligible x unit_refund
    reason: str  # why units are not eligible, in a sentence; empty when all remaining units are


def _pending_quantity(exclude_request_id: int | None = None) -> Subquery:
    pending = BuybackLine.objects.filter(order_line=OuterRef("pk"), request__status=BuybackStatus.REQUESTED)
    if exclude_request_id is not None:
        pending = pending.exclude(request_id=exclude_request_id)
    return Subquery(
        pending.values("order_line").annotate(s=Sum("quantity")).values("s")[:1], output_field=IntegerField()
    )


def _returned_quantity() -> Subquery:
    returned = ReturnLine.objects.filter(order_line=OuterRef("pk"))
    return Subquery(
        returned.values("order_line").annotate(s=Sum("quantity")).values("s")[:1], output_field=IntegerField()
    )


def own_lines_with_quantities(
    *, distributor: Distributor, exclude_request_id: int | None = None
) -> QuerySet[OrderLine]:
    """The distributor's own paid order lines, annotated with returned and pending quantities."""
    return (
        OrderLine.objects.filter(
            order__distributor=distributor,
            order__purpose__in=OWN_PURPOSES,
            order__status__in=RETURNABLE_STATUSES,
        )
        .select_related("order", "product")
        .annotate(
            bought_at=Coalesce("order__commission_date", "order__paid_at"),
            returned_qty=Coalesce(_returned_quantity(), Value(0)),
            requested_qty=Coalesce(_pending_quantity(exclude_request_id), Value(0)),
        )
    )


def _ineligible_reason(line: OrderLine) -> str:
    if not line.buyback_eligible:
        return _("%(sku)s is not a product the company buys back.") % {"sku": line.sku}
    if line.excluded_from_buyback:
        return _(
            "%(sku)s was disclosed as seasonal, discontinued or promotional before you bought it, "
            "so it is excluded from buy-back."
        ) % {"sku": line.sku}
    return ""


def buyback_units(
    *, distributor: Distributor, at: dt.datetime | None = None, only_line_ids: list[int] | None = None
) -> list[BuybackUnitLine]:
    """Every own order line bought inside the window, newest first, with its eligible units.

    Lines whose product is excluded are listed too (eligible 0, with the reason), so the distributor
    sees why. One query.
    """
    at = at or timezone.now()
    terms = buyback_terms(distributor.country)
    lines = own_lines_with_quantities(distributor=distributor).filter(
        Q(order__commission_date__gte=window_start(at, terms))
        | Q(order__commission_date__isnull=True, order__paid_at__gte=window_start(at, terms)),
        Q(order__commission_date__lte=at) | Q(order__commission_date__isnull=True, order__paid_at__lte=at),
    )
    if only_line_ids is not None:
        lines = lines.filter(pk__in=only_line_ids)
    result = []
    for line in lines.order_by("-bought_at", "-order_id", "id"):
        left = line.quantity - line.returned_qty - line.requested_qty
        reason = _ineligible_reason(line)
        eligible = 0 if reason else max(0, left)
        if not reason and left <= 0:
            reason = (
                _("All units are returned already or waiting in another request.")
                if line.requested_qty
                else _("All units are returned already.")
            )
        unit_refund = terms.unit_refund(line.unit_price)
        result.append(
            BuybackUnitLine(
                order_line_id=line.pk,
                order_id=line.order_id,
                order_number=line.order.number,
                purpose=line.order.purpose,
                bought_at=line.bought_at,
                sku=line.sku,
                product_name=line.product.name,
                quantity=line.quantity,
                returned=line.returned_qty,
                requested=line.requested_qty,
                eligible=eligible,
                unit_price=line.unit_price,
                unit_refund=unit_refund,
                refund_if_all=unit_refund * eligible,
                reason=reason,
            )
        )
    return result


def buyback_requests_of(*, distributor: Distributor) -> QuerySet[BuybackRequest]:
    """A distributor's requests, newest first, with their lines (for the portal and API)."""
    return (
        BuybackRequest.objects.filter(distributor=distributor)
        .select_related("decided_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=BuybackLine.objects.select_related("order_line__order", "order_line__product"),
            )
        )
        .order_by("-created_at", "-id")
    )


def buyback_request_of(*, distributor: Distributor, request_id: int) -> BuybackRequest:
    """One of the distributor's requests (as `buyback_requests_of`); anyone else's is not found."""
    found = buyback_requests_of(distributor=distributor).filter(pk=request_id).first()
    if found is None:
        raise NotFound(_("No such buy-back request among yours."))
    return found


def own_order_lines(*, distributor: Distributor, line_ids: set[int]) -> set[int]:
    """`line_ids`, when every one is a line of the distributor's own orders; else not found, on
    `lines`, whoever's the others are."""
    own = set(
        OrderLine.objects.filter(pk__in=line_ids, order__distributor=distributor).values_list("pk", flat=True)
    )
    if len(own) != len(line_ids):
        raise NotFound(_("No such order line among your orders."), field="lines")
    return own


@dataclass(frozen=True)
class BuybackRequestView:
    """A request as the distributor sees it: status in words, what was asked and what was repaid."""

    id: int
    status: str
    status_label: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    reason: str
    decision_reason: str
    with_termination: bool
    requested_units: int
    approved_units: int
    requested_refund: Decimal
    refund_total: Decimal
    lines: list[dict]


def buyback_request_view(request: BuybackRequest) -> BuybackRequestView:
    """Uses the prefetched lines of `buyback_requests_of`; no query of its own then."""
    lines = list(request.lines.all())
    decided = request.status not in (BuybackStatus.REQUESTED, BuybackStatus.WITHDRAWN)
    return BuybackRequestView(
        id=request.pk,
        status=request.status,
        status_label=request.get_status_display(),
        created_at=request.created_at,
        decided_at=request.decided_at,
        reason=request.reason,
        decision_reason=request.decision_reason,
        with_termination=request.with_termination,
        requested_units=sum(line.quantity for line in lines),
        approved_units=sum(line.approved_quantity for line in lines),
        requested_refund=sum((line.quantity * line.unit_refund for line in lines), Decimal("0.00")),
        refund_total=request.refund_total if decided else Decimal("0.00"),
        lines=[
            {
                "id": line.pk,
                "order_line_id": line.order_line_id,
                "order_number": line.order_line.order.number,
                "sku": line.order_line.sku,
                "product_name": line.order_line.product.name,
                "quantity": line.quantity,
                "approved_quantity": line.approved_quantity,
                "unit_refund": line.unit_refund,
            }
            for line in lines
        ],
    )

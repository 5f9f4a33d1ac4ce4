"""Orders: create with lines that copy price and volumes, pay, cancel.

Payment and party orders: an ordinary order counts when it is paid (commission date = paid_at).
An order taken at a home demonstration stays `pending` until the demonstration closes, even when
the guest paid on the spot (`order_pay` then only records `paid_at`); the close marks it paid and
gives it the close as commission date (compensation-plan §1, §7).

Over 500 lines: creating, paying and cancelling an order share the line pricing, the stock of host
credit and the period lock; returns, customers, demonstrations and buy-back have their own modules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import ApplicationError, Conflict
from core.money import CENT, ZERO, allocate_cents, round_cents
from core.services import audit_record
from distributors.models import Distributor, DistributorStatus
from orders.models import (
    MAX_LINE_QUANTITY,
    RETURNABLE_STATUSES,
    Customer,
    Demonstration,
    DemonstrationGuest,
    DemonstrationStatus,
    HostCredit,
    Order,
    OrderLine,
    OrderPurpose,
    OrderStatus,
    Product,
    Return,
    ReturnKind,
    ReturnLine,
    line_too_large,
)
from orders.rules import current_rules
from orders.selectors.orders import line_vat, returned_quantities

from .common import (
    ensure_not_future,
    ensure_period_open,
    order_number,
    temporary_order_number,
)

VOLUME_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class LineInput:
    """One line of an order to be: a product (instance, id or SKU) and a quantity."""

    product: Product | int | str
    quantity: int


@dataclass
class _PricedLine:
    product: Product
    quantity: int
    unit_list_price: Decimal
    unit_price: Decimal  # before host credit
    unit_qv: Decimal  # before host credit
    unit_cv: Decimal
    half_price: bool


def _as_inputs(lines: Any) -> list[LineInput]:
    inputs = []
    for line in lines or []:
        if isinstance(line, LineInput):
            inputs.append(line)
        elif isinstance(line, dict):
            inputs.append(LineInput(product=line["product"], quantity=line["quantity"]))
        else:
            product, quantity = line
            inputs.append(LineInput(product=product, quantity=quantity))
    return inputs


def _resolve_products(inputs: list[LineInput], field: str) -> list[Product]:
    """The products of the lines, in one query, refused when unknown or no longer sold."""
    ids = {i.product.pk if isinstance(i.product, Product) else i.product for i in inputs}
    by_id = {p.pk: p for p in Product.objects.filter(pk__in=[x for x in ids if isinstance(x, int)])}
    by_sku = {p.sku: p for p in Product.objects.filter(sku__in=[x for x in ids if isinstance(x, str)])}
    products = []
    for number, line in enumerate(inputs, start=1):
        key = line.product.pk if isinstance(line.product, Product) else line.product
        product = by_id.get(key) if isinstance(key, int) else by_sku.get(key)
        if product is None:
            raise ApplicationError(
                _("Line %(number)s: unknown product '%(product)s'.") % {"number": number, "product": key},
                field=field,
            )
        if not product.is_active:
            raise ApplicationError(
                _("Line %(number)s: %(sku)s %(name)s is no longer sold (inactive).")
                % {"number": number, "sku": product.sku, "name": product.name},
                field=field,
            )
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity <= 0:
            raise ApplicationError(
                _(
                    "Line %(number)s: the quantity of %(sku)s must be a whole number above zero "
                    "(got %(quantity)s)."
                )
                % {"number": number, "sku": product.sku, "quantity": line.quantity},
                field=field,
            )
        if line_too_large(
            line.quantity, max(product.qv, product.cv), max(product.retail_price, product.wholesale_price)
        ):
            raise ApplicationError(
                _(
                    "Line %(number)s: %(quantity)s × %(sku)s is more than one order line can record "
                    "(at most %(most)s units, and less than 10^12 in points and in value)."
                )
                % {
                    "number": number,
                    "sku": product.sku,
                    "quantity": line.quantity,
                    "most": MAX_LINE_QUANTITY,
                },
                field=field,
            )
        products.append(product)
    return products


def _volumes(product: Product) -> tuple[Decimal, Decimal]:
    # Non-commissionable products (starter kits, fees) carry no volume whatever the catalogue says.
    if not product.commissionable:
        return ZERO, ZERO
    return Decimal(product.qv), Decimal(product.cv)


def _price_lines(
    inputs: list[LineInput], products: list[Product], purpose: str, half_price: dict[int, int]
) -> list[_PricedLine]:
    """Lines at list price; `half_price` units (per product id) split off into half-price lines."""
    remaining_half = dict(half_price)
    priced = []
    for line, product in zip(inputs, products, strict=True):
        list_price = product.retail_price if purpose == OrderPurpose.CUSTOMER else product.wholesale_price
        qv, cv = _volumes(product)
        half = min(line.quantity, remaining_half.get(product.pk, 0))
        remaining_half[product.pk] = remaining_half.get(product.pk, 0) - half
        if line.quantity - half:
            priced.append(_PricedLine(product, line.quantity - half, list_price, list_price, qv, cv, False))
        if half:
            # A half-price item carries QV and CV on the half that was paid (compensation-plan §7).
            priced.append(
                _PricedLine(product, half, list_price, round_cents(list_price / 2), qv / 2, cv / 2, True)
            )
    return priced


def _spread_credit(lines: list[_PricedLine], credit: Decimal) -> list[tuple[_PricedLine, int, Decimal]]:
    """(line, quantity, unit price paid) after spreading host credit over the lines, exact to the cent.

    Each line is given its share of what is still to pay (total - credit) in whole cents: the floor
    of its proportional share, then the leftover cents one by one to the largest remainders (ties:
    line order), so the shares add up to exactly total - credit. A line's share that does not divide
    by its quantity is split in two lines, q - r units at u cents and r units at u + 1 cent, so
    that every unit price is in cents and the order's total is exact.
    """
    if credit <= 0:
        return [(line, line.quantity, line.unit_price) for line in lines]
    amounts = [line.unit_price * line.quantity for line in lines]
    shares = [int(share / CENT) for share in allocate_cents(amounts, sum(amounts) - credit)]
    result = []
    for line, share in zip(lines, shares, strict=True):
        unit, extra = divmod(share, line.quantity)
        if line.quantity - extra:
            result.append((line, line.quantity - extra, Decimal(unit) * CENT))
        if extra:
            result.append((line, extra, Decimal(unit + 1) * CENT))
    return result


def _scaled(volume: Decimal, paid: Decimal, before_credit: Decimal) -> Decimal:
    """Volume on the paid share of a unit: what is bought with host credit carries none."""
    if before_credit <= 0 or paid == before_credit:
        return volume.quantize(VOLUME_PLACES, rounding=ROUND_HALF_UP)
    return (volume * paid / before_credit).quantize(VOLUME_PLACES, rounding=ROUND_HALF_UP)


def _check_voucher(voucher: HostCredit, customer: Customer | None, at: dt.datetime) -> HostCredit:
    voucher = HostCredit.objects.select_related("host").get(pk=voucher.pk)
    if customer is None or voucher.host_id != customer.pk:
        raise ApplicationError(
            _("This host credit belongs to %(host)s; only the host can redeem it.") % {"host": voucher.host},
            field="host_credit",
        )
    if voucher.redeemed_order_id:
        raise Conflict(
            _("This host credit was already redeemed; it is usable in one order."), field="host_credit"
        )
    if voucher.expires_at <= at:
        raise ApplicationError(
            _("This host credit expired on %(date)s.")
            % {"date": f"{timezone.localtime(voucher.expires_at):%Y-%m-%d}"},
            field="host_credit",
        )
    return voucher


@dataclass(frozen=True)
class QuotedLine:
    """A line as order_create will store it: price paid, VAT rate and volumes per unit."""

    product: Product
    quantity: int
    unit_list_price: Decimal
    unit_price: Decimal  # paid per unit, ex VAT (after half-price and host credit)
    vat_rate: Decimal
    unit_qv: Decimal
    unit_cv: Decimal
    half_price: bool

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def vat(self) -> Decimal:
        return line_vat(self.amount, self.vat_rate)

    @property
    def qv(self) -> Decimal:
        return self.unit_qv * self.quantity

    @property
    def cv(self) -> Decimal:
        return self.unit_cv * self.quantity


@dataclass(frozen=True)
class OrderQuote:
    """What an order would be, priced as order_create prices it, before anything is written."""

    lines: list[QuotedLine]
    host_credit_redeemed: Decimal
    voucher: HostCredit | None = None

    @property
    def total(self) -> Decimal:
        """Paid, ex VAT."""
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((line.vat for line in self.lines), ZERO)

    @property
    def total_with_vat(self) -> Decimal:
        return self.total + self.vat

    @property
    def total_qv(self) -> Decimal:
        return sum((line.qv for line in self.lines), ZERO)

    @property
    def total_cv(self) -> Decimal:
        return sum((line.cv for line in self.lines), ZERO)


def order_quote(
    *,
    distributor: Distributor,
    purpose: str,
    lines: Any,
    customer: Customer | None = None,
    demonstration: Demonstration | None = None,
    host_credit: HostCredit | None = None,
    half_price_lines: Any = None,
    at: dt.datetime | None = None,
) -> OrderQuote:
    """Check and price an order without writing anything: the refusals and the numbers of
    order_create (which calls this), for live totals while an order is being typed."""
    now = at or timezone.now()
    if purpose not in OrderPurpose.values:
        raise ApplicationError(
            _("Unknown purpose '%(purpose)s': customer, personal or inventory.") % {"purpose": purpose},
            field="purpose",
        )
    if distributor.status == DistributorStatus.TERMINATED:
        raise ApplicationError(
            _("%(name)s is terminated and can take no orders.") % {"name": distributor.name},
            field="distributor",
        )
    if purpose == OrderPurpose.CUSTOMER:
        if customer is None:
            raise ApplicationError(_("A customer order needs its customer."), field="customer")
        if customer.distributor_id != distributor.pk:
            raise ApplicationError(
                _(
                    "%(customer)s is a customer of another distributor; only their own distributor can order "
                    "for them."
                )
                % {"customer": customer},
                field="customer",
            )
    elif customer is not None:
        raise ApplicationError(
            _("A personal or inventory order is the distributor's own and has no customer."),
            field="customer",
        )

    if demonstration is not None:
        if demonstration.status != DemonstrationStatus.PLANNED:
            raise Conflict(
                _("The demonstration is %(status)s; it takes no more orders.")
                % {"status": demonstration.get_status_display().lower()},
                field="demonstration",
            )
        if demonstration.consultant_id != distributor.pk:
            raise ApplicationError(
                _("Orders at a demonstration are credited to its consultant."), field="demonstration"
            )
        if purpose != OrderPurpose.CUSTOMER:
            raise ApplicationError(
                _("Orders at a demonstration are guest or host orders (purpose customer)."), field="purpose"
            )

    inputs = _as_inputs(lines)
    if not inputs:
        raise ApplicationError(_("An order needs at least one line."), field="lines")
    products = _resolve_products(inputs, "lines")

    half_inputs = _as_inputs(half_price_lines)
    half_price: dict[int, int] = defaultdict(int)
    if half_inputs:
        if host_credit is None:
            raise ApplicationError(
                _("Half-price items come with a host credit voucher."), field="half_price_lines"
            )
        ordered: dict[int, int] = defaultdict(int)
        for line, product in zip(inputs, products, strict=True):
            ordered[product.pk] += line.quantity
        for line, product in zip(
            half_inputs, _resolve_products(half_inputs, "half_price_lines"), strict=True
        ):
            half_price[product.pk] += line.quantity
            if half_price[product.pk] > ordered[product.pk]:
                raise ApplicationError(
                    _("Half-price items of %(sku)s exceed the quantity ordered.") % {"sku": product.sku},
                    field="half_price_lines",
                )

    voucher = None
    if host_credit is not None:
        if purpose != OrderPurpose.CUSTOMER:
            raise ApplicationError(
                _("Host credit is redeemed in the host's own customer order."), field="host_credit"
            )
        voucher = _check_voucher(host_credit, customer, now)
        if sum(half_price.values()) > voucher.half_price_items:
            raise ApplicationError(
                ngettext(
                    "This host credit gives %(items)d half-price item(s); %(chosen)d were chosen.",
                    "This host credit gives %(items)d half-price item(s); %(chosen)d were chosen.",
                    voucher.half_price_items,
                )
                % {"items": voucher.half_price_items, "chosen": sum(half_price.values())},
                field="half_price_lines",
            )

    priced = _price_lines(inputs, products, purpose, half_price)
    total = sum((line.unit_price * line.quantity for line in priced), ZERO)
    credit_used = min(voucher.amount, total) if voucher else ZERO
    quoted = [
        QuotedLine(
            product=line.product,
            quantity=quantity,
            unit_list_price=line.unit_list_price,
            unit_price=unit_price,
            vat_rate=line.product.vat_rate,
            unit_qv=_scaled(line.unit_qv, unit_price, line.unit_price),
            unit_cv=_scaled(line.unit_cv, unit_price, line.unit_price),
            half_price=line.half_price,
        )
        for line, quantity, unit_price in _spread_credit(priced, credit_used)
    ]
    return OrderQuote(lines=quoted, host_credit_redeemed=credit_used, voucher=voucher)


@transaction.atomic
def order_create(
    *,
    distributor: Distributor | None = None,
    purpose: str,
    lines: Any,
    customer: Customer | None = None,
    demonstration: Demonstration | None = None,
    paid_at: dt.datetime | None = None,
    host_credit: HostCredit | None = None,
    half_price_lines: Any = None,
    currency: str | None = None,
    external_id: str | None = None,
    actor: Any = None,
) -> Order:
    """Record an order; lines copy list price, price paid, QV and CV as of now.

    Customer orders are at retail price, a distributor's own (personal, inventory) at wholesale.
    With `paid_at` an ordinary order is recorded paid and counts in the period of paid_at (a
    closed period is refused); a demonstration order stays pending until the close. A host redeems
    her host credit with `host_credit=` and picks her half-price items with `half_price_lines=`
    ([(product, quantity)], at most the voucher's number of items). An order at a demonstration is
    credited to its consultant when no distributor is named. The checks and the pricing are
    order_quote's.
    """
    from django.conf import settings

    now = timezone.now()
    if distributor is None and demonstration is not None:
        distributor = demonstration.consultant
    if distributor is None:
        raise ApplicationError(_("Name the distributor credited with the order."), field="distributor")
    if demonstration is not None:
        demonstration = Demonstration.objects.select_for_update(no_key=True).get(pk=demonstration.pk)
    quote = order_quote(
        distributor=distributor,
        purpose=purpose,
        lines=lines,
        customer=customer,
        demonstration=demonstration,
        host_credit=host_credit,
        half_price_lines=half_price_lines,
        at=now,
    )
    voucher = quote.voucher

    status = OrderStatus.PENDING
    commission_date = commission_period = None
    if paid_at is not None:
        ensure_not_future(paid_at, field="paid_at", what=_("The payment date"))
        if demonstration is None:
            commission_period = ensure_period_open(paid_at, field="paid_at", what=_("The payment date"))
            commission_date = paid_at
            status = OrderStatus.PAID

    order = Order.objects.create(
        number=temporary_order_number(),
        external_id=external_id,
        distributor=distributor,
        customer=customer,
        purpose=purpose,
        status=status,
        demonstration=demonstration,
        currency=currency or settings.CURRENCY,
        paid_at=paid_at,
        commission_date=commission_date,
        commission_period=commission_period,
        host_credit_redeemed=quote.host_credit_redeemed,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    order.number = order_number(order.pk)
    order.save(update_fields=["number"])

    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=line.product,
            sku=line.product.sku,
            quantity=line.quantity,
            unit_list_price=line.unit_list_price,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            unit_qv=line.unit_qv,
            unit_cv=line.unit_cv,
            commissionable=line.product.commissionable,
            half_price=line.half_price,
            excluded_from_buyback=line.product.is_seasonal
            or line.product.is_discontinued
            or line.product.is_promotional,
            buyback_eligible=line.product.buyback_eligible,
        )
        for line in quote.lines
    )

    if voucher is not None:
        # The conditional update is the guard: of two orders racing for one voucher, one wins.
        claimed = HostCredit.objects.filter(
            pk=voucher.pk, redeemed_order__isnull=True, expires_at__gt=now
        ).update(redeemed_order=order, redeemed_at=now)
        if claimed != 1:
            raise Conflict(
                _("This host credit was already redeemed; it is usable in one order."), field="host_credit"
            )

    if demonstration is not None:
        assert customer is not None  # order_quote: an order at a demonstration is a customer order
        if customer.pk != demonstration.host_id:
            # Whoever orders at a demonstration was a guest of it.
            DemonstrationGuest.objects.get_or_create(demonstration=demonstration, customer=customer)
    return order


def _locked(order: Order) -> Order:
    return (
        Order.objects.select_for_update(no_key=True, of=("self",))
        .select_related("demonstration", "distributor")
        .get(pk=order.pk)
    )


@transaction.atomic
def order_pay(*, order: Order, paid_at: dt.datetime | None = None, actor: Any = None) -> Order:
    """Record the payment of a pending order; it then counts in the period of paid_at.

    A demonstration order only gets its paid_at: it counts when the demonstration closes.
    Back-dating a payment into a closed period is refused.
    """
    order = _locked(order)
    paid_at = paid_at or timezone.now()
    ensure_not_future(paid_at, field="paid_at", what=_("The payment date"))
    if order.status != OrderStatus.PENDING:
        raise Conflict(
            _("Order %(number)s is %(status)s, not pending.")
            % {"number": order.number, "status": order.get_status_display().lower()}
        )
    if order.demonstration_id:
        if order.paid_at:
            raise Conflict(
                _("The payment of order %(number)s is already recorded.") % {"number": order.number}
            )
        order.paid_at = paid_at
        order.save(update_fields=["paid_at", "updated_at"])
        return order
    order.commission_period = ensure_period_open(paid_at, field="paid_at", what=_("The payment date"))
    order.paid_at = order.commission_date = paid_at
    order.status = OrderStatus.PAID
    order.save(update_fields=["paid_at", "commission_date", "commission_period", "status", "updated_at"])
    audit_record(actor=actor, action="order.pay", target=order)
    return order


def cooling_off_deadline(order: Order) -> dt.datetime | None:
    """End of the order's cooling-off window, None while it has not started.

    It runs from the payment; for a demonstration order from the later of the demonstration's
    close and the order's own date (a guest who ordered before the party may withdraw after it).
    The length is the market's (the selling distributor's country) setting; for a shop order the
    market of the shop it was placed in (what the customer was told, orders.services.shop).
    """
    rules = current_rules()
    demonstration = order.demonstration  # no query when the order has none
    if demonstration is not None:
        closed_at = demonstration.closed_at
        if closed_at is None:
            return None
        start = max(closed_at, order.created_at)
    else:
        paid_at = order.paid_at
        if paid_at is None:
            return None
        start = paid_at
    seller = order.shop_distributor or order.distributor
    return start + dt.timedelta(days=rules.cooling_off_days_for(seller.country))


def _release_voucher(order: Order) -> None:
    # A cancelled order gives its host credit back (still bound to the voucher's own expiry).
    HostCredit.objects.filter(redeemed_order=order).update(redeemed_order=None, redeemed_at=None)


@transaction.atomic
def order_cancel(
    *, order: Order, actor: Any = None, reason: str = "", at: dt.datetime | None = None
) -> Order:
    """Cancel an order.

    Pending: simply cancelled (nothing counted, nothing refunded in the commission sense).
    Paid: only within the cooling-off window, which for a demonstration order is always accepted
    (rules/compliance §4); it refunds every unit not yet returned as one Return of kind
    `cancellation`, counted by its refund date. Outside the window a paid order can only be returned.
    """
    order = _locked(order)
    at = at or timezone.now()
    ensure_not_future(at, field="at", what=_("The cancellation date"))
    if order.status == OrderStatus.PENDING:
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = at
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        _release_voucher(order)
        audit_record(actor=actor, action="order.cancel", target=order, reason=reason)
        return order
    if order.status not in RETURNABLE_STATUSES:
        raise Conflict(
            _("Order %(number)s is %(status)s and cannot be cancelled.")
            % {"number": order.number, "status": order.get_status_display().lower()}
        )
    deadline = cooling_off_deadline(order)
    if deadline is None or at > deadline:
        raise Conflict(
            _(
                "The cooling-off window of order %(number)s ended on %(deadline)s; "
                "a paid order can now only be returned."
            )
            % {"number": order.number, "deadline": f"{timezone.localtime(deadline):%Y-%m-%d %H:%M}"},
        )
    refund_period = ensure_period_open(at, field="at", what=_("The cancellation date"))
    returned = returned_quantities(order)
    record = Return.objects.create(
        order=order,
        kind=ReturnKind.CANCELLATION,
        refunded_at=at,
        refund_period=refund_period,
        refund_amount=ZERO,
        reason=reason,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    rows = []
    for line in order.lines.all():
        left = line.quantity - returned.get(line.pk, 0)
        if left > 0:
            rows.append(
                ReturnLine(
                    return_record=record, order_line=line, quantity=left, refund_amount=line.unit_price * left
                )
            )
    ReturnLine.objects.bulk_create(rows)
    record.refund_amount = sum((r.refund_amount for r in rows), ZERO)
    record.save(update_fields=["refund_amount"])
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = at
    order.save(update_fields=["status", "cancelled_at", "updated_at"])
    _release_voucher(order)
    audit_record(actor=actor, action="order.cancel", target=order, reason=reason, data={"return": record.pk})
    return order

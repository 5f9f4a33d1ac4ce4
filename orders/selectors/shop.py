"""Reads of the shop: what it sells (with prices including VAT), the demonstration a shopping link
names, a shop order as its customer sees it, and the withdrawal window that applies to it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from core.money import ZERO
from distributors.models import Distributor
from orders.models import Demonstration, Order, OrderLine, Product
from orders.rules import current_rules
from orders.selectors.orders import line_vat


@dataclass(frozen=True)
class ShopProduct:
    product: Product
    price_with_vat: Decimal  # retail, per unit


def shop_catalogue() -> list[Product]:
    """Products on sale to customers: starter kits and fees (non-commissionable) are for distributors."""
    return list(Product.objects.filter(is_active=True, commissionable=True).order_by("name", "sku"))


def shop_products() -> list[ShopProduct]:
    return [
        ShopProduct(
            product=product,
            price_with_vat=product.retail_price + line_vat(product.retail_price, product.vat_rate),
        )
        for product in shop_catalogue()
    ]


def shop_demonstration(*, demonstration_id: int) -> Demonstration | None:
    """The demonstration a verified shopping link names (None if gone)."""
    return Demonstration.objects.select_related("consultant", "host").filter(pk=demonstration_id).first()


def cooling_off_days(distributor: Distributor) -> int:
    """The withdrawal period of the distributor's market, in days (14 in the EU unless set longer)."""
    return current_rules().cooling_off_days_for(distributor.country)


@dataclass(frozen=True)
class ShopLine:
    line: OrderLine
    amount_with_vat: Decimal


@dataclass(frozen=True)
class ShopOrderView:
    order: Order
    shop: Distributor  # the shop the customer used (shop_of); name only this one to them
    lines: list[ShopLine]
    total: Decimal  # ex VAT
    vat: Decimal
    total_with_vat: Decimal
    cooling_off_days: int
    withdrawal_deadline: dt.datetime | None  # None while the window has not started


def shop_order_for_submission(*, submission: str, shop: Distributor) -> Order | None:
    """The order `shop`'s checkout form with this one-time token placed, if one did."""
    if not submission:
        return None
    return Order.objects.filter(shop_submission=submission, shop_distributor=shop).first()


def shop_of(order: Order) -> Distributor:
    """The shop a shop order was placed in: what its customer's pages and mail name. Not always
    the distributor credited (orders.services.shop), which the customer is never shown."""
    return order.shop_distributor or order.distributor


def shop_order_view(*, order_id: int) -> ShopOrderView | None:
    from orders.services.orders import cooling_off_deadline

    order = (
        Order.objects.select_related("distributor", "shop_distributor", "demonstration", "customer")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        return None
    lines = []
    total = vat = ZERO
    for line in order.lines.all():
        line_vat_amount = line_vat(line.amount, line.vat_rate)
        lines.append(ShopLine(line=line, amount_with_vat=line.amount + line_vat_amount))
        total += line.amount
        vat += line_vat_amount
    return ShopOrderView(
        order=order,
        shop=shop_of(order),
        lines=lines,
        total=total,
        vat=vat,
        total_with_vat=total + vat,
        cooling_off_days=cooling_off_days(shop_of(order)),
        withdrawal_deadline=cooling_off_deadline(order),
    )

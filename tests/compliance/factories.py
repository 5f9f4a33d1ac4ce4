"""Hand-made data for buy-back and compliance tests: products, paid orders, customers.

Orders are written as rows (paid, with their commission date and period), the way every order
service leaves them; returns and buy-backs go through the services under test.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from core.periods import period_of
from orders.models import Customer, Order, OrderLine, OrderStatus, Product

_numbers = itertools.count(1)


def make_product(
    sku: str,
    *,
    retail: str = "100.00",
    wholesale: str = "75.00",
    qv: str = "75",
    cv: str = "75.00",
    buyback_eligible: bool = True,
    seasonal: bool = False,
) -> Product:
    return Product.objects.create(
        sku=sku,
        name=f"Product {sku}",
        retail_price=Decimal(retail),
        wholesale_price=Decimal(wholesale),
        qv=Decimal(qv),
        cv=Decimal(cv),
        buyback_eligible=buyback_eligible,
        is_seasonal=seasonal,
    )


def make_customer(distributor, *, name: str = "Klant", email: str = "", household_of=None) -> Customer:
    return Customer.objects.create(
        distributor=distributor,
        first_name=name,
        last_name="Klant",
        email=email or f"{name.lower()}{next(_numbers)}@klant.nl",
        household_of=household_of,
    )


def make_order(
    distributor,
    purpose: str,
    paid_at: dt.datetime,
    lines: list[tuple[Product, int]] | list[tuple[Product, int, str]],
    *,
    customer: Customer | None = None,
) -> Order:
    """A paid order; unit price is the list price (retail for customers, wholesale for own orders)
    unless a third element gives it. Volumes per unit are the product's."""
    n = next(_numbers)
    order = Order.objects.create(
        number=f"T-{n:06d}",
        distributor=distributor,
        customer=customer,
        purpose=purpose,
        status=OrderStatus.PAID,
        paid_at=paid_at,
        commission_date=paid_at,
        commission_period=period_of(paid_at),
    )
    for spec in lines:
        product, quantity = spec[0], spec[1]
        list_price = product.retail_price if purpose == "customer" else product.wholesale_price
        price = Decimal(spec[2]) if len(spec) > 2 else list_price
        OrderLine.objects.create(
            order=order,
            product=product,
            sku=product.sku,
            quantity=quantity,
            unit_list_price=list_price,
            unit_price=price,
            unit_qv=product.qv,
            unit_cv=product.cv,
            commissionable=product.commissionable,
            excluded_from_buyback=product.is_seasonal or product.is_discontinued or product.is_promotional,
            buyback_eligible=product.buyback_eligible,
        )
    return order

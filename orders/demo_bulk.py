"""The demo's orders written in bulk, as order_create writes them: prices, volumes and VAT copied
from the catalogue, numbers from the row id, the commission period from the commission date.

orders.demo tells the story (who buys what, when); this writes it. One prepared INSERT per table
instead of a model instance per row: ~100,000 order lines in seconds on SQLite.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, models
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, LPad

from core.money import ZERO
from core.periods import period_of
from orders.bulk import ORDER_LINE_COLUMNS
from orders.models import Demonstration, Order, OrderLine, OrderPurpose, OrderStatus, Product
from orders.services.common import order_number


@dataclass(slots=True)
class SeedLine:
    sku: str
    product_id: int
    quantity: int
    unit_price: Decimal
    unit_qv: Decimal
    unit_cv: Decimal
    vat_rate: Decimal
    commissionable: bool
    excluded_from_buyback: bool
    buyback_eligible: bool
    pk: int | None = None


@dataclass(slots=True)
class SeedOrder:
    number: str
    distributor_id: int
    customer_id: int | None
    purpose: str
    status: str
    demonstration: Demonstration | None
    paid_at: dt.datetime | None
    commission_date: dt.datetime | None
    created_at: dt.datetime
    cancelled_at: dt.datetime | None = None
    pk: int | None = None


def _insert(model: type[models.Model], columns: list[str], rows: list[tuple]) -> None:
    """INSERT rows with one prepared statement. bulk_create builds and prepares a model instance
    per row, which for ~100,000 order lines is most of a demo seed's time on SQLite."""
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 10_000):
            cursor.executemany(sql, rows[i : i + 10_000])


class DemoSales:
    """Collects orders with their lines in memory, then writes them in bulk, as order_create
    would write them (prices and volumes copied from the catalogue, numbers from the row id)."""

    def __init__(self, products: dict[str, Product]):
        self.products = products
        self.orders: list[SeedOrder] = []
        self.lines: list[list[SeedLine]] = []

    def add(
        self,
        *,
        distributor_id: int,
        purpose: str,
        basket: list[tuple[str, int]],
        customer_id: int | None,
        paid_at: dt.datetime | None,
        commission_date: dt.datetime | None,
        created_at: dt.datetime,
        demonstration: Demonstration | None = None,
        status: str = OrderStatus.PAID,
    ) -> SeedOrder:
        order = SeedOrder(
            number=f"tmp-{len(self.orders)}",
            distributor_id=distributor_id,
            customer_id=customer_id,
            purpose=purpose,
            status=status,
            demonstration=demonstration,
            paid_at=paid_at,
            commission_date=commission_date,
            created_at=created_at,
        )
        lines = []
        for sku, quantity in basket:
            product = self.products[sku]
            price = product.retail_price if purpose == OrderPurpose.CUSTOMER else product.wholesale_price
            volume = product.commissionable
            lines.append(
                SeedLine(
                    sku=sku,
                    product_id=product.pk,
                    quantity=quantity,
                    unit_price=price,
                    unit_qv=product.qv if volume else ZERO,
                    unit_cv=product.cv if volume else ZERO,
                    vat_rate=product.vat_rate,
                    commissionable=product.commissionable,
                    excluded_from_buyback=product.is_seasonal
                    or product.is_discontinued
                    or product.is_promotional,
                    buyback_eligible=product.buyback_eligible,
                )
            )
        self.orders.append(order)
        self.lines.append(lines)
        return order

    def write(self, currency: str) -> None:
        ops = connection.ops

        def when(value: dt.datetime | None) -> object:
            return ops.adapt_datetimefield_value(value) if value is not None else None

        def money(value: Decimal) -> object:
            return ops.adapt_decimalfield_value(value)

        _insert(
            Order,
            [
                "number",
                "distributor_id",
                "customer_id",
                "purpose",
                "status",
                "demonstration_id",
                "currency",
                "paid_at",
                "cancelled_at",
                "commission_date",
                "commission_period",
                "host_credit_redeemed",
                "created_at",
                "updated_at",
            ],
            [
                (
                    o.number,
                    o.distributor_id,
                    o.customer_id,
                    o.purpose,
                    o.status,
                    o.demonstration.pk if o.demonstration else None,
                    currency,
                    when(o.paid_at),
                    when(o.cancelled_at),
                    when(o.commission_date),
                    ops.adapt_datefield_value(period_of(o.commission_date)) if o.commission_date else None,
                    money(ZERO),
                    when(o.created_at),
                    when(o.created_at),
                )
                for o in self.orders
            ],
        )
        ids = dict(Order.objects.filter(number__startswith="tmp-").values_list("number", "pk"))
        for order in self.orders:
            order.pk = ids[order.number]
            order.number = order_number(order.pk)
        # One set-wise update: the number users read, from the row id as order_number() makes it.
        Order.objects.filter(number__startswith="tmp-").update(
            number=Concat(Value("BO-"), LPad(Cast("id", CharField()), 8, Value("0")))
        )
        _insert(
            OrderLine,
            list(ORDER_LINE_COLUMNS),
            [
                (  # in the order of ORDER_LINE_COLUMNS
                    o.pk,
                    ln.product_id,
                    ln.sku,
                    ln.quantity,
                    money(ln.unit_price),
                    money(ln.unit_price),
                    money(ln.vat_rate),
                    money(ln.unit_qv),
                    money(ln.unit_cv),
                    ln.commissionable,
                    False,
                    ln.excluded_from_buyback,
                    ln.buyback_eligible,
                )
                for o, lines in zip(self.orders, self.lines, strict=True)
                for ln in lines
            ],
        )
        # Seeding runs on a table without order lines, in one transaction: ids follow insertion order.
        line_ids = iter(OrderLine.objects.order_by("id").values_list("id", flat=True))
        for lines in self.lines:
            for line in lines:
                line.pk = next(line_ids)

"""The plan of an import: what the checks decided to write (new rows, with the ids of what exists
already) and what the writes fill in as they go (the new rows' ids). Built by `importer.check`,
written by `importer.write`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from orders.models import OrderStatus
from orders.services.returns import status_after_return

from .parse import DemonstrationRow, DistributorRow, OrderLineRow, ProductRow


@dataclass(slots=True)
class CatalogueEntry:
    """What an order line copies from its product."""

    id: int | None  # None until a new product is written
    retail_price: Decimal
    wholesale_price: Decimal
    qv: Decimal
    cv: Decimal
    commissionable: bool
    buyback_eligible: bool
    vat_rate: Decimal
    excluded_from_buyback: bool


@dataclass(slots=True)
class NewCustomer:
    external_id: str
    distributor: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    kind: str = "retail"


@dataclass(slots=True)
class OrderDraft:
    external_id: str
    first: OrderLineRow
    lines: list[OrderLineRow] = field(default_factory=list)
    unit_prices: list[Decimal] = field(default_factory=list)
    returned: list[int] = field(default_factory=list)
    commission_date: dt.datetime | None = None
    id: int | None = None  # filled when written
    line_ids: list[int] = field(default_factory=list)  # filled when written

    @property
    def status(self) -> str:
        if self.commission_date is None:
            return OrderStatus.PENDING
        if not any(self.returned):
            return OrderStatus.PAID
        return status_after_return(zip(self.returned, (line.quantity for line in self.lines), strict=True))


@dataclass(slots=True)
class ExistingOrder:
    id: int
    external_id: str
    paid_at: dt.datetime | None
    commission_date: dt.datetime | None
    status: str
    # (line id, sku, quantity, unit_price, already returned) in line order
    lines: list[list] = field(default_factory=list)


@dataclass(slots=True)
class ReturnDraft:
    key: str
    line: int
    order: OrderDraft | ExistingOrder
    refunded_at: dt.datetime
    quantity: int
    amount: Decimal
    # (index of the draft's line, or the existing line id; quantity; refund amount)
    parts: list[tuple[int, int, Decimal]] = field(default_factory=list)


@dataclass
class ImportPlan:
    catalogue: dict[str, CatalogueEntry] = field(default_factory=dict)
    new_products: list[ProductRow] = field(default_factory=list)
    distributor_ids: dict[str, int] = field(default_factory=dict)
    new_distributors: list[DistributorRow] = field(default_factory=list)
    customer_ids: dict[str, int] = field(default_factory=dict)
    new_customers: list[NewCustomer] = field(default_factory=list)
    demonstration_ids: dict[str, int] = field(default_factory=dict)
    new_demonstrations: list[DemonstrationRow] = field(default_factory=list)
    demonstration_qps: dict[str, Decimal] = field(default_factory=dict)
    new_orders: list[OrderDraft] = field(default_factory=list)
    new_returns: list[ReturnDraft] = field(default_factory=list)
    order_status_changes: dict[int, str] = field(default_factory=dict)
    present: Counter = field(default_factory=Counter)

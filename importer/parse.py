"""Phase 1a: every file read and every row checked on its own (formats, allowed values).

The result holds plain rows keyed by external ids; the checks across files and against the
database come after (`importer.check`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import files as f
from .files import BadValue, ErrorLog

PRODUCTS = "products.csv"
DISTRIBUTORS = "distributors.csv"
CUSTOMERS = "customers.csv"
ORDERS = "orders.csv"
DEMONSTRATIONS = "demonstrations.csv"
RETURNS = "returns.csv"
FILE_ORDER = [PRODUCTS, DISTRIBUTORS, CUSTOMERS, DEMONSTRATIONS, ORDERS, RETURNS]

PRODUCT_COLUMNS = (
    "sku",
    "name",
    "retail_price",
    "wholesale_price",
    "qv",
    "cv",
    "commissionable",
    "buyback_eligible",
)
DISTRIBUTOR_COLUMNS = (
    "id",
    "sponsor_id",
    "first_name",
    "last_name",
    "email",
    "enrolled_at",
    "status",
    "country",
)
CUSTOMER_COLUMNS = ("id", "distributor_id", "first_name", "last_name", "email", "kind")
ORDER_COLUMNS = (
    "order_id",
    "distributor_id",
    "customer_id",
    "purpose",
    "paid_at",
    "sku",
    "quantity",
    "unit_price",
    "demonstration_id",
)
DEMONSTRATION_COLUMNS = ("id", "distributor_id", "host_customer_id", "held_at", "closed_at")
RETURN_COLUMNS = ("order_id", "sku", "quantity", "refunded_at")

DISTRIBUTOR_STATUSES = ("active", "hold", "terminated")
CUSTOMER_KINDS = ("retail", "preferred", "host")
PURPOSES = ("customer", "personal", "inventory")
ID_LENGTH = 64
ORDER_ID_LENGTH = 32  # Order.number, which is the external order id


@dataclass(slots=True)
class ProductRow:
    line: int
    sku: str
    name: str
    retail_price: Decimal
    wholesale_price: Decimal
    qv: Decimal
    cv: Decimal
    commissionable: bool
    buyback_eligible: bool
    vat_rate: Decimal | None


@dataclass(slots=True)
class DistributorRow:
    line: int
    external_id: str
    sponsor: str | None
    first_name: str
    last_name: str
    email: str
    enrolled_at: dt.datetime
    status: str
    country: str


@dataclass(slots=True)
class CustomerRow:
    line: int
    external_id: str
    distributor: str
    first_name: str
    last_name: str
    email: str
    kind: str


@dataclass(slots=True)
class DemonstrationRow:
    line: int
    external_id: str
    distributor: str
    host: str
    held_at: dt.datetime
    closed_at: dt.datetime | None


@dataclass(slots=True)
class OrderLineRow:
    line: int
    order: str
    distributor: str
    customer: str | None
    purpose: str
    paid_at: dt.datetime
    sku: str
    quantity: int
    unit_price: Decimal | None
    demonstration: str | None


@dataclass(slots=True)
class ReturnRow:
    line: int
    order: str
    sku: str
    quantity: int
    refunded_at: dt.datetime


@dataclass
class ParsedFiles:
    products: list[ProductRow] = field(default_factory=list)
    distributors: list[DistributorRow] = field(default_factory=list)
    customers: list[CustomerRow] = field(default_factory=list)
    demonstrations: list[DemonstrationRow] = field(default_factory=list)
    order_lines: list[OrderLineRow] = field(default_factory=list)
    returns: list[ReturnRow] = field(default_factory=list)
    # Every id a file defines, even on a malformed row: a reference to it is not "unknown".
    seen_products: set[str] = field(default_factory=set)
    seen_distributors: set[str] = field(default_factory=set)
    seen_customers: set[str] = field(default_factory=set)
    seen_demonstrations: set[str] = field(default_factory=set)
    seen_orders: set[str] = field(default_factory=set)


class _Row:
    """Collects the problems of one row so every malformed field is reported, not only the first."""

    __slots__ = ("errors", "file", "line", "ok")

    def __init__(self, errors: ErrorLog, file: str, line: int):
        self.errors = errors
        self.file = file
        self.line = line
        self.ok = True

    def get(self, parse: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return parse(*args, **kwargs)
        except BadValue as exc:
            self.errors.add(self.file, self.line, str(exc))
            self.ok = False
            return None


def parse_directory(directory: Path, errors: ErrorLog) -> ParsedFiles:
    parsed = ParsedFiles()
    _parse_file(
        directory, errors, PRODUCTS, PRODUCT_COLUMNS, _product, parsed.products,
        required=True, seen=parsed.seen_products, optional_columns=("vat_rate",),
    )  # fmt: skip
    _parse_file(
        directory, errors, DISTRIBUTORS, DISTRIBUTOR_COLUMNS, _distributor, parsed.distributors,
        required=True, seen=parsed.seen_distributors,
    )  # fmt: skip
    _parse_file(
        directory, errors, CUSTOMERS, CUSTOMER_COLUMNS, _customer, parsed.customers,
        required=False, seen=parsed.seen_customers,
    )  # fmt: skip
    _parse_file(
        directory, errors, DEMONSTRATIONS, DEMONSTRATION_COLUMNS, _demonstration, parsed.demonstrations,
        required=False, seen=parsed.seen_demonstrations,
    )  # fmt: skip
    _parse_file(
        directory, errors, ORDERS, ORDER_COLUMNS, _order_line_parser(), parsed.order_lines,
        required=True, seen=parsed.seen_orders,
    )  # fmt: skip
    _parse_file(directory, errors, RETURNS, RETURN_COLUMNS, _return, parsed.returns, required=False)
    return parsed


def _parse_file(
    directory: Path,
    errors: ErrorLog,
    name: str,
    columns: tuple[str, ...],
    parse_row: Callable[[_Row, int, list], Any],
    into: list,
    *,
    required: bool,
    seen: set[str] | None = None,
    optional_columns: tuple[str, ...] = (),
) -> None:
    """Every row of one file through `parse_row`, kept in `into` when each of its fields parsed
    (every problem goes to the log). `seen` collects the id of the first column, even of a
    malformed row: a reference to it is not "unknown"."""
    for line, v in f.read_rows(
        directory, name, columns, errors, required=required, optional_columns=optional_columns
    ):
        r = _Row(errors, name, line)
        if seen is not None:
            seen.add(v[0])
        row = parse_row(r, line, v)
        if r.ok:
            into.append(row)


def _external_id(
    value: str, column: str, *, required: bool = True, max_length: int = ID_LENGTH
) -> str | None:
    if not value:
        if required:
            raise BadValue(f"{column} is empty")
        return None
    if len(value) > max_length:
        raise BadValue(f"{column} '{value[:20]}…' is longer than {max_length} characters")
    return value


def _product(r: _Row, line: int, v: list) -> ProductRow:
    return ProductRow(
        line=line,
        sku=r.get(_external_id, v[0], "sku"),
        name=r.get(f.text, v[1], "name", max_length=200),
        retail_price=r.get(f.money, v[2], "retail_price"),
        wholesale_price=r.get(f.money, v[3], "wholesale_price"),
        qv=r.get(f.points, v[4], "qv"),
        cv=r.get(f.money, v[5], "cv"),
        commissionable=r.get(f.boolean, v[6], "commissionable"),
        buyback_eligible=r.get(f.boolean, v[7], "buyback_eligible"),
        vat_rate=r.get(f.rate, v[8], "vat_rate") if v[8] else None,
    )


def _distributor(r: _Row, line: int, v: list) -> DistributorRow:
    country = v[7].upper() or "NL"
    if len(country) != 2 or not country.isalpha():
        r.get(_fail, f"country '{v[7]}' is not a two-letter country code")
    row = DistributorRow(
        line=line,
        external_id=r.get(_external_id, v[0], "id"),
        sponsor=r.get(_external_id, v[1], "sponsor_id", required=False),
        first_name=r.get(f.text, v[2], "first_name", max_length=100),
        last_name=r.get(f.text, v[3], "last_name", max_length=100),
        email=r.get(f.email, v[4], "email", required=True),
        enrolled_at=r.get(f.moment, v[5], "enrolled_at"),
        status=r.get(f.choice, v[6], "status", DISTRIBUTOR_STATUSES),
        country=country,
    )
    if r.ok and row.sponsor == row.external_id:
        r.get(_fail, f"distributor {row.external_id} cannot be their own sponsor (a sponsor cycle)")
    return row


def _customer(r: _Row, line: int, v: list) -> CustomerRow:
    return CustomerRow(
        line=line,
        external_id=r.get(_external_id, v[0], "id"),
        distributor=r.get(_external_id, v[1], "distributor_id"),
        first_name=r.get(f.text, v[2], "first_name", max_length=100, required=False),
        last_name=r.get(f.text, v[3], "last_name", max_length=100, required=False),
        email=r.get(f.email, v[4], "email", required=False),
        kind=r.get(f.choice, v[5] or "retail", "kind", CUSTOMER_KINDS),
    )


def _demonstration(r: _Row, line: int, v: list) -> DemonstrationRow:
    row = DemonstrationRow(
        line=line,
        external_id=r.get(_external_id, v[0], "id"),
        distributor=r.get(_external_id, v[1], "distributor_id"),
        host=r.get(_external_id, v[2], "host_customer_id"),
        held_at=r.get(f.moment, v[3], "held_at"),
        closed_at=r.get(f.moment, v[4], "closed_at") if v[4] else None,
    )
    if r.ok and row.closed_at is not None and row.closed_at < row.held_at:
        r.get(_fail, "closed_at is before held_at")
    return row


def _order_line_parser() -> Callable[[_Row, int, list], OrderLineRow]:
    # Many lines share a timestamp and a price: parse each distinct text once.
    moments: dict[str, dt.datetime] = {}
    prices: dict[str, Decimal] = {}

    def order_line(r: _Row, line: int, v: list) -> OrderLineRow:
        paid_text = v[4]
        paid_at = moments.get(paid_text)
        if paid_at is None:
            paid_at = r.get(f.moment, paid_text, "paid_at")
            if paid_at is not None:
                moments[paid_text] = paid_at
        price_text = v[7]
        unit_price = None
        if price_text:
            unit_price = prices.get(price_text)
            if unit_price is None:
                unit_price = r.get(f.money, price_text, "unit_price")
                if unit_price is not None:
                    prices[price_text] = unit_price
        purpose = v[3]
        if purpose not in PURPOSES:
            r.get(_fail, f"purpose '{purpose}' is not one of {', '.join(PURPOSES)}")
        order_id = r.get(_external_id, v[0], "order_id", max_length=ORDER_ID_LENGTH)
        customer = r.get(_external_id, v[2], "customer_id", required=False)
        if purpose == "customer" and not v[2]:
            r.get(_fail, f"order {v[0]} is a customer order without a customer_id")
        elif purpose in ("personal", "inventory") and v[2]:
            r.get(_fail, f"order {v[0]} is a {purpose} order: customer_id must be empty")
        return OrderLineRow(
            line,
            order_id,
            r.get(_external_id, v[1], "distributor_id"),
            customer,
            purpose,
            paid_at,
            r.get(_external_id, v[5], "sku"),
            r.get(f.quantity, v[6]),
            unit_price,
            r.get(_external_id, v[8], "demonstration_id", required=False),
        )

    return order_line


def _return(r: _Row, line: int, v: list) -> ReturnRow:
    return ReturnRow(
        line=line,
        order=r.get(_external_id, v[0], "order_id", max_length=ORDER_ID_LENGTH),
        sku=r.get(_external_id, v[1], "sku"),
        quantity=r.get(f.quantity, v[2]),
        refunded_at=r.get(f.moment, v[3], "refunded_at"),
    )


def _fail(message: str) -> None:
    raise BadValue(message)

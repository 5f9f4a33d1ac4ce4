"""Phase 1b: the checks across files and against the database, and the plan of what to write
(importer.plan).

Runs inside the import's transaction (after its locks), so what it reads from the database is
what the writes build on. It writes nothing; every problem goes to the error log.

Over 500 lines: one pass over the files in their order (products, distributors, customers,
demonstrations, orders, returns, then the periods they touch), each check building on what the
earlier ones put into the one plan; a check per file is a method of one Checker for that reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Sum

from core.batches import chunked, matching
from core.periods import period_label, period_of
from distributors.models import Distributor
from orders.models import (
    DEFAULT_VAT_RATE,
    MAX_LINE_QUANTITY,
    Customer,
    Demonstration,
    DemonstrationStatus,
    Order,
    OrderLine,
    Product,
    Return,
    ReturnLine,
    line_too_large,
)
from orders.services.returns import status_after_return
from plans.models import Period, PeriodStatus

from .files import ErrorLog
from .parse import (
    CUSTOMERS,
    DEMONSTRATIONS,
    DISTRIBUTORS,
    ORDERS,
    PRODUCT_COLUMNS,
    PRODUCTS,
    RETURNS,
    DistributorRow,
    OrderLineRow,
    ParsedFiles,
)
from .plan import CatalogueEntry, ExistingOrder, ImportPlan, NewCustomer, OrderDraft, ReturnDraft

RETURN_KEY_LENGTH = 128


def return_key(order: str, sku: str, refunded_at: dt.datetime, n: int) -> str:
    """The identity of an imported return row: the n-th identical (order, sku, refund time) row."""
    key = f"{order}|{sku}|{refunded_at.isoformat()}|{n}"
    if len(key) <= RETURN_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


class Checker:
    def __init__(self, parsed: ParsedFiles, errors: ErrorLog):
        self.parsed = parsed
        self.errors = errors
        self.plan = ImportPlan()
        # customer id -> (owner distributor, where it was first defined or referred to)
        self.customer_owner: dict[str, tuple[str, str]] = {}
        # demonstration id -> (consultant, closed_at or None)
        self.demonstrations: dict[str, tuple[str, dt.datetime | None]] = {}
        self.orders: dict[str, OrderDraft] = {}
        self.existing_orders: dict[str, ExistingOrder] = {}
        self.periods: dict[dt.date, list[tuple[str, int, str]]] = defaultdict(list)
        self.period_cache: dict[dt.datetime, dt.date] = {}

    def run(self) -> ImportPlan:
        self.check_products()
        self.check_distributors()
        self.check_customers()
        self.check_demonstrations()
        self.check_orders()
        self.check_returns()
        self.check_periods()
        return self.plan

    # --- products --------------------------------------------------------------------------

    def check_products(self) -> None:
        rows = self._unique(self.parsed.products, PRODUCTS, "sku", lambda r: r.sku)
        wanted = {r.sku for r in rows} | {line.sku for line in self.parsed.order_lines}
        existing = {}
        for batch in chunked(wanted):
            for product in matching(Product.objects.all(), batch, "sku"):
                existing[product.sku] = product
        for row in rows:
            product = existing.get(row.sku)
            if product is None:
                self.plan.new_products.append(row)
                self.plan.catalogue[row.sku] = CatalogueEntry(
                    None,
                    row.retail_price,
                    row.wholesale_price,
                    row.qv,
                    row.cv,
                    row.commissionable,
                    row.buyback_eligible,
                    row.vat_rate if row.vat_rate is not None else DEFAULT_VAT_RATE,
                    False,
                )
                continue
            # The file's columns after the sku are the product's fields of the same names.
            differs = [name for name in PRODUCT_COLUMNS[1:] if getattr(product, name) != getattr(row, name)]
            if row.vat_rate is not None and row.vat_rate != product.vat_rate:
                differs.append("vat_rate")
            if differs:
                self.errors.add(
                    PRODUCTS, row.line, f"sku {row.sku} already exists with different {', '.join(differs)}"
                )
            else:
                self.plan.present["products"] += 1
        for sku, product in existing.items():
            if sku not in self.plan.catalogue:
                self.plan.catalogue[sku] = CatalogueEntry(
                    product.id,
                    product.retail_price,
                    product.wholesale_price,
                    product.qv,
                    product.cv,
                    product.commissionable,
                    product.buyback_eligible,
                    product.vat_rate,
                    product.is_seasonal or product.is_discontinued or product.is_promotional,
                )

    # --- distributors ----------------------------------------------------------------------

    def check_distributors(self) -> None:
        rows = self._unique(self.parsed.distributors, DISTRIBUTORS, "id", lambda r: r.external_id)
        p = self.parsed
        wanted = (
            {r.external_id for r in rows}
            | {r.sponsor for r in rows if r.sponsor}
            | {r.distributor for r in p.customers}
            | {r.distributor for r in p.demonstrations}
            | {r.distributor for r in p.order_lines}
        )
        existing: dict[str, tuple] = {}
        fields = (
            "id",
            "external_id",
            "sponsor__external_id",
            "first_name",
            "last_name",
            "email",
            "enrolled_at",
            "status",
            "country",
        )
        for batch in chunked(wanted):
            for values in matching(Distributor.objects.all(), batch, "external_id").values_list(*fields):
                existing[values[1]] = values
        self.plan.distributor_ids = {ext: values[0] for ext, values in existing.items()}
        new_sponsor: dict[str, str | None] = {}
        new_rows: dict[str, DistributorRow] = {}
        for row in rows:
            current = existing.get(row.external_id)
            if current is None:
                new_rows[row.external_id] = row
                new_sponsor[row.external_id] = row.sponsor
                continue
            file_values = (
                row.sponsor,
                row.first_name,
                row.last_name,
                row.email,
                row.enrolled_at,
                row.status,
                row.country,
            )
            differs = [
                name
                for name, theirs, ours in zip(fields[2:], current[2:], file_values, strict=True)
                if theirs != ours
            ]
            if differs:
                names = ["sponsor" if d == "sponsor__external_id" else d for d in differs]
                hint = " (a change of sponsor is a move: make it in the admin)" if "sponsor" in names else ""
                self.errors.add(
                    DISTRIBUTORS,
                    row.line,
                    f"id {row.external_id} already exists with different {', '.join(names)}{hint}",
                )
            else:
                self.plan.present["distributors"] += 1
        known = set(existing) | p.seen_distributors
        for row in new_rows.values():
            if row.sponsor and row.sponsor not in known:
                self.errors.add(DISTRIBUTORS, row.line, f"unknown sponsor {row.sponsor}")
        self._check_cycles(new_rows, new_sponsor)
        self.plan.new_distributors = list(new_rows.values())
        self.known_distributors = known

    def _check_cycles(self, rows: dict[str, DistributorRow], sponsor_of: dict[str, str | None]) -> None:
        # Iterative walk up the sponsor links of the new rows; a path that meets itself is a cycle.
        state: dict[str, int] = {}  # 1 on the current path, 2 done
        for start in rows:
            if start in state:
                continue
            path: list[str] = []
            node: str | None = start
            while node is not None and node in sponsor_of and node not in state:
                state[node] = 1
                path.append(node)
                node = sponsor_of[node]
            if node is not None and state.get(node) == 1:
                cycle = path[path.index(node) :]
                first = min(cycle, key=lambda ext: rows[ext].line)
                at = cycle.index(first)
                ordered = cycle[at:] + cycle[:at]
                self.errors.add(
                    DISTRIBUTORS,
                    rows[first].line,
                    "sponsor cycle: " + " → ".join([*ordered, first]) + " (no root above them)",
                )
            for member in path:
                state[member] = 2

    def _check_distributor(self, ext: str, file: str, line: int) -> bool:
        if ext in self.known_distributors:
            return True
        self.errors.add(file, line, f"unknown distributor {ext}")
        return False

    # --- customers -------------------------------------------------------------------------

    def check_customers(self) -> None:
        p = self.parsed
        rows = self._unique(p.customers, CUSTOMERS, "id", lambda r: r.external_id)
        wanted = (
            {r.external_id for r in rows}
            | {r.host for r in p.demonstrations}
            | {r.customer for r in p.order_lines if r.customer}
        )
        existing: dict[str, tuple] = {}
        fields = ("id", "external_id", "distributor__external_id", "first_name", "last_name", "email", "kind")
        for batch in chunked(wanted):
            for values in matching(Customer.objects.all(), batch, "external_id").values_list(*fields):
                existing[values[1]] = values
        self.plan.customer_ids = {ext: values[0] for ext, values in existing.items()}
        for ext, values in existing.items():
            self.customer_owner[ext] = (values[2], "in the database")
        skipped: set[str] = set()
        for row in rows:
            if not self._check_distributor(row.distributor, CUSTOMERS, row.line):
                skipped.add(row.external_id)
                continue
            current = existing.get(row.external_id)
            if current is None:
                self.customer_owner[row.external_id] = (row.distributor, f"{CUSTOMERS}:{row.line}")
                self.plan.new_customers.append(
                    NewCustomer(
                        row.external_id, row.distributor, row.first_name, row.last_name, row.email, row.kind
                    )
                )
                continue
            file_values = (row.distributor, row.first_name, row.last_name, row.email, row.kind)
            differs = [
                "distributor_id" if name == "distributor__external_id" else name
                for name, theirs, ours in zip(fields[2:], current[2:], file_values, strict=True)
                if theirs != ours
            ]
            if differs:
                self.errors.add(
                    CUSTOMERS,
                    row.line,
                    f"id {row.external_id} already exists with different {', '.join(differs)}",
                )
            else:
                self.plan.present["customers"] += 1
        # Customers whose own row is malformed (already reported): references to them are not new.
        self.seen_customer_rows = (p.seen_customers - {r.external_id for r in rows}) | skipped

    def _refer_to_customer(self, ext: str, distributor: str, file: str, line: int) -> None:
        """A customer referred to by a distributor's order or demonstration belongs to them."""
        owner = self.customer_owner.get(ext)
        if owner is None:
            if ext in self.seen_customer_rows:
                return  # its own row in customers.csv is malformed and already reported
            self.customer_owner[ext] = (distributor, f"{file}:{line}")
            self.plan.new_customers.append(NewCustomer(ext, distributor))
        elif owner[0] != distributor:
            self.errors.add(
                file,
                line,
                f"customer {ext} belongs to distributor {owner[0]} ({owner[1]}), not to {distributor}",
            )

    # --- demonstrations --------------------------------------------------------------------

    def check_demonstrations(self) -> None:
        p = self.parsed
        rows = self._unique(p.demonstrations, DEMONSTRATIONS, "id", lambda r: r.external_id)
        wanted = {r.external_id for r in rows} | {r.demonstration for r in p.order_lines if r.demonstration}
        existing: dict[str, tuple] = {}
        fields = (
            "id",
            "external_id",
            "consultant__external_id",
            "host__external_id",
            "held_at",
            "closed_at",
            "status",
        )
        for batch in chunked(wanted):
            for values in matching(Demonstration.objects.all(), batch, "external_id").values_list(*fields):
                existing[values[1]] = values
        self.plan.demonstration_ids = {ext: values[0] for ext, values in existing.items()}
        for ext, values in existing.items():
            if values[6] == DemonstrationStatus.CANCELLED:
                continue  # orders at it are refused below
            self.demonstrations[ext] = (
                values[2],
                values[5] if values[6] == DemonstrationStatus.CLOSED else None,
            )
        skipped: set[str] = set()
        for row in rows:
            if not self._check_distributor(row.distributor, DEMONSTRATIONS, row.line):
                skipped.add(row.external_id)
                continue
            current = existing.get(row.external_id)
            if current is None:
                self._refer_to_customer(row.host, row.distributor, DEMONSTRATIONS, row.line)
                self.demonstrations[row.external_id] = (row.distributor, row.closed_at)
                self.plan.new_demonstrations.append(row)
                continue
            file_values = (row.distributor, row.host, row.held_at, row.closed_at)
            names = ("distributor_id", "host_customer_id", "held_at", "closed_at")
            differs = [
                name
                for name, theirs, ours in zip(names, current[2:6], file_values, strict=True)
                if theirs != ours
            ]
            if differs:
                self.errors.add(
                    DEMONSTRATIONS,
                    row.line,
                    f"id {row.external_id} already exists with different {', '.join(differs)}",
                )
            else:
                self.plan.present["demonstrations"] += 1
        self.seen_demonstration_rows = (p.seen_demonstrations - {r.external_id for r in rows}) | skipped

    # --- orders ----------------------------------------------------------------------------

    def check_orders(self) -> None:
        catalogue = self.plan.catalogue
        seen_products = self.parsed.seen_products
        orders = self.orders
        header_names = ("distributor_id", "customer_id", "purpose", "paid_at", "demonstration_id")
        bad_orders: set[str] = set()
        for row in self.parsed.order_lines:
            ok = True
            entry = catalogue.get(row.sku)
            if entry is None:
                ok = False
                if row.sku not in seen_products:
                    self.errors.add(ORDERS, row.line, f"unknown sku {row.sku}")
            draft = orders.get(row.order)
            if draft is None:
                draft = orders[row.order] = OrderDraft(row.order, row)
                ok = self._check_order_header(row) and ok
            else:
                first = draft.first
                differs = [
                    name
                    for name, a, b in zip(
                        header_names,
                        (
                            first.distributor,
                            first.customer,
                            first.purpose,
                            first.paid_at,
                            first.demonstration,
                        ),
                        (row.distributor, row.customer, row.purpose, row.paid_at, row.demonstration),
                        strict=True,
                    )
                    if a != b
                ]
                if differs:
                    ok = False
                    self.errors.add(
                        ORDERS,
                        row.line,
                        f"order {row.order}: {', '.join(differs)} differ(s) from its line {first.line} "
                        "(all lines of one order share them)",
                    )
            if ok:
                list_price = entry.retail_price if row.purpose == "customer" else entry.wholesale_price
                unit_price = row.unit_price if row.unit_price is not None else list_price
                if line_too_large(row.quantity, max(entry.qv, entry.cv), unit_price):
                    ok = False
                    self.errors.add(
                        ORDERS,
                        row.line,
                        f"{row.quantity} x {row.sku} is more than one order line can record (at most "
                        f"{MAX_LINE_QUANTITY} units, and less than 10^12 in points and in value)",
                    )
            if not ok:
                bad_orders.add(row.order)
                continue
            draft.lines.append(row)
            draft.unit_prices.append(unit_price)
            draft.returned.append(0)
        for ext in bad_orders:
            orders.pop(ext, None)

        # Which of them the database already holds (by external id), and numbers already taken.
        wanted = set(orders) | bad_orders | {r.order for r in self.parsed.returns}
        self._load_existing_orders(wanted)
        for ext, draft in orders.items():
            first = draft.first
            if first.demonstration:
                draft.commission_date = self.demonstrations[first.demonstration][1]
            else:
                draft.commission_date = first.paid_at
            if ext in self.taken_numbers:
                self.errors.add(ORDERS, first.line, f"order number {ext} is already used by another order")
                continue
            existing = self.existing_orders.get(ext)
            if existing is None:
                self.plan.new_orders.append(draft)
                if draft.commission_date is not None:
                    self._touch_period(draft.commission_date, ORDERS, first.line, f"order {ext}")
                continue
            differs = self._order_differences(draft, existing)
            if differs:
                self.errors.add(ORDERS, first.line, f"order {ext} already exists with different {differs}")
            else:
                self.plan.present["orders"] += 1
                self.plan.present["order_lines"] += len(draft.lines)
        qps = self.plan.demonstration_qps
        new_demonstrations = {d.external_id for d in self.plan.new_demonstrations}
        for draft in self.plan.new_orders:
            demo = draft.first.demonstration
            if demo in new_demonstrations and draft.commission_date is not None:
                paid = sum(
                    (p * line.quantity for p, line in zip(draft.unit_prices, draft.lines, strict=True)),
                    Decimal(0),
                )
                qps[demo] = qps.get(demo, Decimal(0)) + paid

    def _check_order_header(self, row: OrderLineRow) -> bool:
        ok = self._check_distributor(row.distributor, ORDERS, row.line)
        if row.demonstration:
            demo = self.demonstrations.get(row.demonstration)
            if demo is None:
                ok = False
                if row.demonstration not in self.seen_demonstration_rows:
                    self.errors.add(
                        ORDERS,
                        row.line,
                        f"unknown demonstration {row.demonstration} (not in demonstrations.csv nor the "
                        "database, or cancelled)",
                    )
            elif demo[0] != row.distributor:
                ok = False
                self.errors.add(
                    ORDERS,
                    row.line,
                    f"order {row.order} is at demonstration {row.demonstration} of distributor {demo[0]}, "
                    f"not of {row.distributor}",
                )
            if row.purpose != "customer":
                ok = False
                self.errors.add(
                    ORDERS, row.line, f"order {row.order} at a demonstration must be a customer order"
                )
        if ok and row.customer:
            before = len(self.errors)
            self._refer_to_customer(row.customer, row.distributor, ORDERS, row.line)
            ok = len(self.errors) == before
        return ok

    def _load_existing_orders(self, wanted: set[str]) -> None:
        self.taken_numbers: set[str] = set()
        by_id: dict[int, ExistingOrder] = {}
        headers: dict[str, tuple] = {}
        fields = (
            "id",
            "external_id",
            "number",
            "distributor__external_id",
            "customer__external_id",
            "purpose",
            "paid_at",
            "demonstration__external_id",
            "commission_date",
            "status",
        )
        # The orders that get returns are locked, so no other refund races this one.
        returned_orders = list({r.order for r in self.parsed.returns})
        for batch in chunked(returned_orders):
            list(
                matching(Order.objects.select_for_update(no_key=True), batch, "external_id")
                .order_by("id")
                .values_list("id", flat=True)
            )
        for batch in chunked(wanted):
            query = matching(Order.objects.all(), batch, "external_id", "number")
            for values in query.values_list(*fields):
                if values[1] in wanted:
                    headers[values[1]] = values
                    order = ExistingOrder(values[0], values[1], values[6], values[8], values[9])
                    self.existing_orders[values[1]] = order
                    by_id[values[0]] = order
                if values[2] in wanted and values[2] != values[1]:
                    self.taken_numbers.add(values[2])
        self.existing_headers = headers
        for batch in chunked(by_id):
            lines = matching(OrderLine.objects.all(), batch, "order_id").order_by("id")
            for line_id, order_id, sku, quantity, unit_price in lines.values_list(
                "id", "order_id", "sku", "quantity", "unit_price"
            ):
                by_id[order_id].lines.append([line_id, sku, quantity, unit_price, 0])
        line_index = {line[0]: line for order in by_id.values() for line in order.lines}
        for batch in chunked(line_index):
            returned = (
                matching(ReturnLine.objects.all(), batch, "order_line_id")
                .values_list("order_line_id")
                .annotate(total=Sum("quantity"))
            )
            for line_id, total in returned:
                line_index[line_id][4] = total

    def _order_differences(self, draft: OrderDraft, existing: ExistingOrder) -> str:
        header = self.existing_headers[existing.external_id]
        first = draft.first
        differs = [
            name
            for name, theirs, ours in zip(
                ("distributor_id", "customer_id", "purpose", "paid_at", "demonstration_id"),
                (header[3], header[4], header[5], header[6], header[7]),
                (first.distributor, first.customer, first.purpose, first.paid_at, first.demonstration),
                strict=True,
            )
            if theirs != ours
        ]
        ours = Counter(
            (line.sku, line.quantity, price)
            for line, price in zip(draft.lines, draft.unit_prices, strict=True)
        )
        theirs = Counter((line[1], line[2], line[3]) for line in existing.lines)
        if ours != theirs:
            differs.append("lines")
        return ", ".join(differs)

    # --- returns ---------------------------------------------------------------------------

    def check_returns(self) -> None:
        rows = self.parsed.returns
        if not rows:
            return
        occurrences: Counter = Counter()
        keyed = []
        for row in rows:
            identity = (row.order, row.sku, row.refunded_at)
            occurrences[identity] += 1
            keyed.append((return_key(row.order, row.sku, row.refunded_at, occurrences[identity]), row))
        existing: dict[str, tuple] = {}
        for batch in chunked(key for key, _ in keyed):
            query = (
                matching(Return.objects.all(), batch, "external_key")
                .values_list("external_key", "order__external_id", "refunded_at")
                .annotate(quantity=Sum("lines__quantity"))
            )
            for values in query:
                existing[values[0]] = values
        new_orders = {draft.external_id: draft for draft in self.plan.new_orders}
        locked: set[int] = set()
        for key, row in keyed:
            order: OrderDraft | ExistingOrder | None = new_orders.get(row.order) or self.existing_orders.get(
                row.order
            )
            if order is None:
                if row.order not in self.parsed.seen_orders:
                    self.errors.add(RETURNS, row.line, f"unknown order {row.order}")
                continue
            if key in existing:
                if existing[key][3] != row.quantity:
                    self.errors.add(
                        RETURNS,
                        row.line,
                        f"this return of order {row.order} already exists with a different quantity "
                        f"({existing[key][3]})",
                    )
                else:
                    self.plan.present["returns"] += 1
                continue
            if order.commission_date is None:
                self.errors.add(
                    RETURNS,
                    row.line,
                    f"order {row.order} is not paid yet (its demonstration is not closed): nothing to return",
                )
                continue
            paid_at = order.first.paid_at if isinstance(order, OrderDraft) else order.paid_at
            if paid_at is not None and row.refunded_at < paid_at:
                self.errors.add(RETURNS, row.line, f"refunded_at is before order {row.order} was paid")
                continue
            draft = self._allocate(key, row, order)
            if draft is None:
                continue
            self.plan.new_returns.append(draft)
            self._touch_period(row.refunded_at, RETURNS, row.line, f"the return of order {row.order}")
            if isinstance(order, ExistingOrder):
                locked.add(order.id)
        for order in self.existing_orders.values():
            if order.id in locked:
                # (units returned, units ordered) of each line; this order has a return now.
                self.plan.order_status_changes[order.id] = status_after_return(
                    (line[4], line[2]) for line in order.lines
                )

    def _allocate(self, key: str, row, order: OrderDraft | ExistingOrder) -> ReturnDraft | None:
        # Lines of that sku: (handle, bought, already returned, unit price).
        if isinstance(order, OrderDraft):
            lines = [
                (i, line.quantity, order.returned[i], order.unit_prices[i])
                for i, line in enumerate(order.lines)
                if line.sku == row.sku
            ]
        else:
            lines = [(line[0], line[2], line[4], line[3]) for line in order.lines if line[1] == row.sku]
        if not lines:
            self.errors.add(RETURNS, row.line, f"order {row.order} has no line of sku {row.sku}")
            return None
        bought = sum(line[1] for line in lines)
        returned = sum(line[2] for line in lines)
        if returned + row.quantity > bought:
            self.errors.add(
                RETURNS,
                row.line,
                f"return of more than was bought: order {row.order} bought {bought} × {row.sku}, "
                f"{returned} returned before, {row.quantity} returned here",
            )
            return None
        # The first line with enough left takes it all; otherwise fill the lines in order.
        parts: list[tuple[int, int, Decimal]] = []
        whole = next((line for line in lines if line[1] - line[2] >= row.quantity), None)
        if whole is not None:
            parts.append((whole[0], row.quantity, whole[3] * row.quantity))
        else:
            left = row.quantity
            for handle, qty, done, price in lines:
                take = min(qty - done, left)
                if take > 0:
                    parts.append((handle, take, price * take))
                    left -= take
        for handle, take, _ in parts:
            if isinstance(order, OrderDraft):
                order.returned[handle] += take
            else:
                next(line for line in order.lines if line[0] == handle)[4] += take
        amount = sum((part[2] for part in parts), Decimal(0))
        return ReturnDraft(key, row.line, order, row.refunded_at, row.quantity, amount, parts)

    # --- periods ---------------------------------------------------------------------------

    def _touch_period(self, moment: dt.datetime, file: str, line: int, what: str) -> None:
        period = self.period_cache.get(moment)
        if period is None:
            period = self.period_cache[moment] = period_of(moment)
        self.periods[period].append((file, line, what))

    def check_periods(self) -> None:
        if not self.periods:
            return
        # Locked, so a close cannot start on a period while this import writes into it: created
        # open first where missing, or a close could start on that month unseen by this lock.
        from plans.periods import later_frozen_period, newest_frozen_period, period_get_or_create

        for start in sorted(self.periods):
            period_get_or_create(start=start)
        frozen = (
            Period.objects.select_for_update(no_key=True)
            .filter(start__in=list(self.periods))
            .order_by("start")
            .values_list("start", "status")
        )
        newest_frozen = newest_frozen_period()
        for start, status in frozen:
            later = None
            if status == PeriodStatus.OPEN and newest_frozen is not None and newest_frozen.start > start:
                later = later_frozen_period(start)  # rare: the first such after `start`, to name it
            if later is not None:
                # Periods close in order: a month before a closed one could never close.
                state = "closed" if later.status == PeriodStatus.CLOSED else "being closed"
                reason = f"a period before {period_label(later.start)}, which is {state}"
            elif status != PeriodStatus.OPEN:
                state = "closed" if status == PeriodStatus.CLOSED else "being closed"
                reason = f"a period that is {state}"
            else:
                continue
            for file, line, what in self.periods[start]:
                self.errors.add(
                    file,
                    line,
                    f"{what} counts in {period_label(start)}, {reason}: "
                    "corrections of a closed period are adjustments in an open one",
                )

    # --- shared ----------------------------------------------------------------------------

    def _unique(self, rows: list, file: str, column: str, key) -> list:
        first_line: dict[str, int] = {}
        kept = []
        for row in rows:
            ext = key(row)
            if ext in first_line:
                self.errors.add(file, row.line, f"duplicate {column} {ext} (first on line {first_line[ext]})")
                continue
            first_line[ext] = row.line
            kept.append(row)
        return kept

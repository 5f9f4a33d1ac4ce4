"""Phase 2: writing the plan, in bulk, inside the import's transaction.

Ids are drawn from the tables' sequences up front, so every row is written once with its foreign
keys already set (sponsor links included: Django's foreign keys are deferred to the commit).
The tree's fields and the referral codes are the distributors app's (ADR 0001): new distributors are
written unnumbered and `distributors.tree.renumber_trees()` numbers every tree once at the end;
`distributors.services.referral_codes` derives their referral codes. PostgreSQL gets COPY; other databases
bulk_create.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from core.batches import chunked, matching
from core.periods import period_of
from distributors.models import Distributor, DistributorStatus
from distributors.services.referral_codes import referral_codes_derive
from distributors.tree import UNNUMBERED, renumber_trees
from orders.bulk import ORDER_LINE_COLUMNS
from orders.models import (
    Customer,
    Demonstration,
    DemonstrationStatus,
    Order,
    OrderLine,
    Product,
    Return,
    ReturnKind,
    ReturnLine,
)

from .parse import PRODUCT_COLUMNS
from .plan import CatalogueEntry, ImportPlan, OrderDraft

BATCH = 5_000
ZERO = Decimal("0")


def write_plan(plan: ImportPlan) -> dict[str, int]:
    """Write everything the plan holds; returns how many rows of each kind were created."""
    now = timezone.now()
    created: dict[str, int] = {}
    created["products"] = _write_products(plan, now)
    created["distributors"] = _write_distributors(plan, now)
    created["customers"] = _write_customers(plan, now)
    created["demonstrations"] = _write_demonstrations(plan, now)
    created["orders"], created["order_lines"] = _write_orders(plan, now)
    created["returns"] = _write_returns(plan, now)
    for status in {s for s in plan.order_status_changes.values()}:
        ids = [order_id for order_id, s in plan.order_status_changes.items() if s == status]
        for batch in chunked(ids):
            matching(Order.objects.all(), batch, "id").update(status=status, updated_at=now)
    return created


def _write_products(plan: ImportPlan, now) -> int:
    rows = plan.new_products
    ids = allocate_ids(Product, len(rows))
    # products.csv names its columns after the product's fields.
    columns = ["id", *PRODUCT_COLUMNS, "vat_rate"]
    values = []
    for product_id, row in zip(ids, rows, strict=True):
        entry: CatalogueEntry = plan.catalogue[row.sku]
        entry.id = product_id
        values.append(
            (
                product_id,
                row.sku,
                row.name,
                row.retail_price,
                row.wholesale_price,
                row.qv,
                row.cv,
                row.commissionable,
                row.buyback_eligible,
                entry.vat_rate,
            )
        )
    insert_rows(Product, columns, values, now)
    return len(values)


def _write_distributors(plan: ImportPlan, now) -> int:
    rows = plan.new_distributors
    if not rows:
        return 0
    ids = allocate_ids(Distributor, len(rows))
    distributor_ids = plan.distributor_ids
    for distributor_id, row in zip(ids, rows, strict=True):
        distributor_ids[row.external_id] = distributor_id
    codes = referral_codes_derive([row.external_id for row in rows])
    columns = [
        "id",
        "sponsor_id",
        "external_id",
        "first_name",
        "last_name",
        "email",
        "country",
        "status",
        "enrolled_at",
        "terminated_at",
        "referral_code",
    ]
    values = (
        (
            distributor_ids[row.external_id],
            distributor_ids[row.sponsor] if row.sponsor else None,
            row.external_id,
            row.first_name,
            row.last_name,
            row.email,
            row.country,
            row.status,
            row.enrolled_at,
            now if row.status == DistributorStatus.TERMINATED else None,
            code,
        )
        for row, code in zip(rows, codes, strict=True)
    )
    # Unnumbered: renumber_trees() numbers every new node once, with the rest of its tree.
    insert_rows(Distributor, columns, values, now, defaults=UNNUMBERED)
    renumber_trees()
    return len(rows)


def _write_customers(plan: ImportPlan, now) -> int:
    rows = plan.new_customers
    columns = ["external_id", "distributor_id", "first_name", "last_name", "email", "kind"]
    values = (
        (
            row.external_id,
            plan.distributor_ids[row.distributor],
            row.first_name,
            row.last_name,
            row.email,
            row.kind,
        )
        for row in rows
    )
    insert_rows(Customer, columns, values, now)
    plan.customer_ids.update(ids_of(Customer, "external_id", [row.external_id for row in rows]))
    return len(rows)


def _write_demonstrations(plan: ImportPlan, now) -> int:
    rows = plan.new_demonstrations
    ids = allocate_ids(Demonstration, len(rows))
    for demonstration_id, row in zip(ids, rows, strict=True):
        plan.demonstration_ids[row.external_id] = demonstration_id
    columns = ["id", "external_id", "consultant_id", "host_id", "held_at", "status", "closed_at", "qps"]
    values = (
        (
            plan.demonstration_ids[row.external_id],
            row.external_id,
            plan.distributor_ids[row.distributor],
            plan.customer_ids[row.host],
            row.held_at,
            DemonstrationStatus.CLOSED if row.closed_at else DemonstrationStatus.PLANNED,
            row.closed_at,
            # What was paid, ex VAT; imported history issues no host credit.
            plan.demonstration_qps.get(row.external_id, ZERO) if row.closed_at else None,
        )
        for row in rows
    )
    insert_rows(Demonstration, columns, values, now)
    return len(rows)


def _write_orders(plan: ImportPlan, now) -> tuple[int, int]:
    drafts = plan.new_orders
    line_count = sum(len(draft.lines) for draft in drafts)
    currency = settings.CURRENCY
    customer_ids = plan.customer_ids
    distributor_ids = plan.distributor_ids
    demonstration_ids = plan.demonstration_ids
    order_columns = [
        "number",
        "external_id",
        "distributor_id",
        "customer_id",
        "purpose",
        "status",
        "demonstration_id",
        "currency",
        "paid_at",
        "commission_date",
        "commission_period",
    ]
    periods: dict = {}

    def order_rows():
        for draft in drafts:
            first = draft.first
            date = draft.commission_date
            period = None
            if date is not None:
                period = periods.get(date)
                if period is None:
                    period = periods[date] = period_of(date)
            yield (
                draft.external_id,
                draft.external_id,
                distributor_ids[first.distributor],
                customer_ids[first.customer] if first.customer else None,
                first.purpose,
                draft.status,
                demonstration_ids[first.demonstration] if first.demonstration else None,
                currency,
                first.paid_at,
                date,
                period,
            )

    insert_rows(Order, order_columns, order_rows(), now)
    order_ids = ids_of(Order, "external_id", [draft.external_id for draft in drafts])
    for draft in drafts:
        draft.id = order_ids[draft.external_id]

    catalogue = plan.catalogue

    def line_rows():
        for draft in drafts:
            order_id = draft.id
            customer_order = draft.first.purpose == "customer"
            for line, price in zip(draft.lines, draft.unit_prices, strict=True):
                entry = catalogue[line.sku]
                yield (  # in the order of ORDER_LINE_COLUMNS
                    order_id,
                    entry.id,
                    line.sku,
                    line.quantity,
                    entry.retail_price if customer_order else entry.wholesale_price,
                    price,
                    entry.vat_rate,
                    entry.qv if entry.commissionable else ZERO,
                    entry.cv if entry.commissionable else ZERO,
                    entry.commissionable,
                    False,  # half price: a file gives the price paid, never a half-price flag
                    entry.excluded_from_buyback,
                    entry.buyback_eligible,
                )

    insert_rows(OrderLine, list(ORDER_LINE_COLUMNS), line_rows(), now)
    # The returns refer to lines: read back the ids of the lines of returned new orders, which
    # were numbered in the order they were written.
    returned = {draft.order.id for draft in plan.new_returns if isinstance(draft.order, OrderDraft)}
    by_order: dict[int, list[int]] = {}
    for batch in chunked(returned):
        lines = matching(OrderLine.objects.all(), batch, "order_id").order_by("id")
        for line_id, order_id in lines.values_list("id", "order_id"):
            by_order.setdefault(order_id, []).append(line_id)
    for draft in drafts:
        if draft.id in by_order:
            draft.line_ids = by_order[draft.id]
    return len(drafts), line_count


def _write_returns(plan: ImportPlan, now) -> int:
    drafts = plan.new_returns
    ids = allocate_ids(Return, len(drafts))
    columns = [
        "id",
        "order_id",
        "kind",
        "refunded_at",
        "refund_period",
        "refund_amount",
        "reason",
        "external_key",
    ]
    values = []
    line_values = []
    for return_id, draft in zip(ids, drafts, strict=True):
        order = draft.order
        order_id = order.id
        values.append(
            (
                return_id,
                order_id,
                ReturnKind.RETURN,
                draft.refunded_at,
                period_of(draft.refunded_at),
                draft.amount,
                "Imported",
                draft.key,
            )
        )
        for handle, quantity, amount in draft.parts:
            line_id = order.line_ids[handle] if isinstance(order, OrderDraft) else handle
            line_values.append((return_id, line_id, quantity, amount))
    insert_rows(Return, columns, values, now)
    insert_rows(
        ReturnLine, ["return_record_id", "order_line_id", "quantity", "refund_amount"], line_values, now
    )
    return len(drafts)


# --- bulk machinery -------------------------------------------------------------------------


def ids_of(model: type[models.Model], column: str, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for batch in chunked(keys):
        found.update(matching(model.objects.all(), batch, column).values_list(column, "id"))
    return found


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Draw `count` ids for new rows from the table's own sequence."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite serialises writers, so the next ids after the largest are ours.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def insert_rows(
    model: type[models.Model],
    columns: list[str],
    rows: Iterable[tuple],
    now,
    defaults: Mapping[str, object] | None = None,
) -> None:
    """Insert rows given as tuples of `columns` (attnames); every other column gets the value
    `defaults` names for it, or else its default."""
    given = set(columns)
    defaults = defaults or {}
    rest = []
    for model_field in model._meta.concrete_fields:
        if model_field.attname in given or (model_field.primary_key and "id" not in given):
            continue
        if model_field.generated:  # the database computes it
            continue
        if model_field.attname in defaults:
            rest.append((model_field, defaults[model_field.attname]))
        elif getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            rest.append((model_field, now))
        elif model_field.has_default():
            rest.append((model_field, model_field.get_default()))
        elif model_field.null:
            rest.append((model_field, None))
        elif isinstance(model_field, models.CharField | models.TextField):
            rest.append((model_field, ""))
        else:
            raise ValueError(f"{model.__name__}.{model_field.name} needs a value")
    extra = tuple(value for _, value in rest)
    if connection.vendor == "postgresql":
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        names = [by_attname[c].column for c in columns] + [f.column for f, _ in rest]
        quoted = ", ".join(connection.ops.quote_name(name) for name in names)
        sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row + extra)
        return
    extra_kwargs = {f.attname: value for f, value in rest}
    for batch in chunked(rows, 5_000):
        model.objects.bulk_create(
            [model(**dict(zip(columns, row, strict=True)), **extra_kwargs) for row in batch]
        )

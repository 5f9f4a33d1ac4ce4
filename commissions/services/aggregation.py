"""The close's inputs, aggregated in SQL: volumes and paying customers per distributor and purpose
(one pass over the period's order lines), one read of the distributors. Never one model instance
per order or per distributor.

Volumes are net of returns refunded up to the end of the period (compensation-plan §2: a refund within the
order's own period takes the units out as if never bought; later refunds change nothing here and
become clawback lines in their own period, see clawbacks.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

import psycopg
from django.db import connection, transaction
from django.db.models import Q

from commissions.counting import COUNTS_SQL, RETURNED_SQL
from commissions.engine.network import EngineInputError, NetworkShape, network_shape
from commissions.engine.rules import status_in_period
from commissions.engine.types import DistributorInput
from core.money import decimal_from_db
from core.periods import period_bounds
from core.sql import sql_params

ZERO = Decimal("0")


# Volumes, values and paying customers per (distributor, purpose): one pass over the period's
# order lines. It sums the lines' whole-number QV, CV and value columns (OrderLine.qv_units and
# the others, kept by the database): ten million numeric products and sums were most of the
# aggregation's time, in the one process that groups (ADR 0007). The same pass sums what the
# compliance report needs (the value of every line, inventory apart), so the report never reads
# the order lines again. The units refunded up to the end of the period are taken out afterwards,
# from the few returned lines (RETURNED_VOLUMES_SQL): the sums are the same as of the lines net of them.
#
# Paying customers: real customers (no household link to a distributor) who kept and paid for
# some commissionable product. What a customer paid is a sum of lines that are never negative (a
# return never exceeds what was bought; prices are not negative), so it is above zero exactly when
# one line kept a unit with a price: a DISTINCT count over such lines, leaving out the lines
# refunded in full, no sums per customer. The distinct count makes PostgreSQL sort the lines by
# distributor (in parallel) and group them on one core (ADR 0006).
VOLUMES_SQL = f"""
SELECT o.distributor_id, o.purpose,
    -- Back to the decimals of the unit columns, exactly, once per group (not per line).
    SUM(l.qv_units) * 0.0001, SUM(l.cv_units) * 0.0001,
    COALESCE(SUM(l.value_cents) FILTER (WHERE l.commissionable), 0) * 0.01, SUM(l.value_cents) * 0.01,
    COUNT(DISTINCT o.customer_id) FILTER (
        WHERE o.purpose = 'customer' AND l.commissionable AND l.unit_price > 0
            AND o.customer_id NOT IN (SELECT h.id FROM orders_customer h WHERE h.household_of_id IS NOT NULL)
            AND l.id NOT IN (
                SELECT rt.order_line_id FROM ({RETURNED_SQL}) rt
                JOIN orders_orderline rl ON rl.id = rt.order_line_id
                WHERE rt.qty >= rl.quantity
            )
    )
FROM orders_orderline l
JOIN orders_order o ON o.id = l.order_id
WHERE {COUNTS_SQL}
GROUP BY o.distributor_id, o.purpose
ORDER BY o.distributor_id
"""

# What the units refunded up to the end of the period take off those sums, per (distributor,
# purpose): exact numeric products over the returned lines only.
RETURNED_VOLUMES_SQL = f"""
WITH returned AS ({RETURNED_SQL})
SELECT o.distributor_id, o.purpose,
    SUM(rt.qty * l.unit_qv), SUM(rt.qty * l.unit_cv),
    SUM(CASE WHEN l.commissionable THEN rt.qty * l.unit_price ELSE 0 END), SUM(rt.qty * l.unit_price)
FROM returned rt
JOIN orders_orderline l ON l.id = rt.order_line_id
JOIN orders_order o ON o.id = l.order_id
WHERE {COUNTS_SQL}
GROUP BY o.distributor_id, o.purpose
"""


class OrderVolumes(NamedTuple):
    """A distributor's orders in a period, net of returns (built with tuple.__new__: see below)."""

    customer_qv: Decimal
    customer_cv: Decimal
    customer_paid: Decimal  # commissionable value of customer orders
    own_qv: Decimal  # personal use and inventory
    own_cv: Decimal
    customers: int  # paying customers
    customer_value: Decimal  # every customer line's value, commissionable or not
    own_value: Decimal
    inventory_qv: Decimal
    inventory_value: Decimal


NO_ORDERS = OrderVolumes(ZERO, ZERO, ZERO, ZERO, ZERO, 0, ZERO, ZERO, ZERO, ZERO)


@dataclass(frozen=True, slots=True)
class PeriodInputs:
    inputs: list[DistributorInput]
    # Everyone in the inputs, for the statements (external ids are read only by the export).
    ids: list[int]
    # The orders behind them, per distributor with orders (the compliance report's figures too).
    volumes: dict[int, OrderVolumes]
    # The engine's sponsor structure of `inputs` (None: the engine builds it and reports what is wrong).
    shape: NetworkShape | None = None


DistributorRow = tuple[int, int | None, str, int, bool, bool]


@dataclass(frozen=True, slots=True)
class PeriodTree:
    """Who existed in the period by their dates, with their period sponsors and the engine's sponsor
    structure: all of it from the distributors read, none from the orders, so the close builds it
    while the order volumes are still being summed (period_tree)."""

    distributors: list[DistributorRow]  # the read, for the rare distributor who exists by orders alone
    sponsors: dict[int, int | None]  # everyone who existed -> their sponsor in the period
    details: dict[int, tuple[str, int]]  # everyone who existed -> (status at the period's end, title)
    shape: NetworkShape | None


@contextmanager
def _aggregation_cursor() -> Iterator[Any]:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A million distributors' groups hash in about 800 MB per process: at the default 4 MB
            # the aggregate spills to disk. JIT compiles longer than it saves here.
            cursor.execute("SET LOCAL work_mem = '512MB'")
            cursor.execute("SET LOCAL jit = off")
        yield cursor


def _params(period: dt.date) -> dict[str, object]:
    _, period_end = period_bounds(period)
    return sql_params({"period": period, "period_end": period_end})


def volume_sums(period: dt.date) -> Iterator[tuple]:
    """(distributor id, purpose, QV, CV, commissionable value, value, paying customers) of the
    period's lines, net of returns refunded up to the end of the period, per distributor and purpose.

    The rows stream in as PostgreSQL groups them, so the caller's Python work on each row overlaps
    the database's grouping (which runs on one core) instead of following it. The few returned
    lines are read first."""
    with _aggregation_cursor() as cursor:
        cursor.execute(RETURNED_VOLUMES_SQL, _params(period))
        returned = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
        if connection.vendor == "postgresql":
            # Django's client-side cursor cannot stream; a plain psycopg cursor on the same
            # connection and transaction can, a few thousand rows at a time.
            raw = psycopg.Cursor(connection.connection)
            try:
                rows: Iterable[tuple] = raw.stream(VOLUMES_SQL, _params(period), size=_STREAM_ROWS)
                yield from _net_of_returns(rows, returned)
            finally:
                raw.close()
        else:
            cursor.execute(VOLUMES_SQL, _params(period))
            yield from _net_of_returns(cursor.fetchall(), returned)


# Rows per batch from the server while the sums stream in (libpq 17's chunked mode; row by row
# with an older libpq, which psycopg's binary wheels do not ship).
_STREAM_ROWS = 10_000 if psycopg.pq.version() >= 170000 else 1


def _net_of_returns(sums: Iterable[tuple], returned: dict[tuple[int, str], tuple]) -> Iterator[tuple]:
    if not returned:
        yield from sums
        return
    for row in sums:
        less = returned.get((row[0], row[1]))
        if less is not None:
            net = (
                decimal_from_db(total) - decimal_from_db(part)
                for total, part in zip(row[2:6], less, strict=True)
            )
            row = (row[0], row[1], *net, row[6])
        yield row


def combine_volumes(sums: Iterable[tuple]) -> dict[int, OrderVolumes]:
    """Per-purpose sums, in distributor order (VOLUMES_SQL sorts them; the grouping's own sort
    gives that order for free) -> OrderVolumes per distributor with orders, each built as soon as
    the next distributor's sums arrive."""
    exact = connection.vendor == "postgresql"  # numeric sums arrive as Decimal (SQLite: floats)
    new = tuple.__new__  # NamedTuple's own __new__ is Python code: too slow a million times
    volumes: dict[int, OrderVolumes] = {}
    current = None
    cqv = ccv = paid = cvalue = oqv = ocv = ovalue = iqv = ivalue = ZERO
    customers = 0
    for distributor_id, purpose, qv, cv, commissionable, value, paying in sums:
        if distributor_id != current:
            if current is not None:
                volumes[current] = new(
                    OrderVolumes, (cqv, ccv, paid, oqv, ocv, customers, cvalue, ovalue, iqv, ivalue)
                )
            if distributor_id in volumes:  # out of order: its sums would be split, never summed
                raise ValueError(f"volume sums are not in distributor order (distributor {distributor_id})")
            current = distributor_id
            cqv = ccv = paid = cvalue = oqv = ocv = ovalue = iqv = ivalue = ZERO
            customers = 0
        if not exact:
            qv, cv, commissionable, value = map(decimal_from_db, (qv, cv, commissionable, value))
        if purpose == "customer":
            cqv, ccv, paid, cvalue, customers = qv, cv, commissionable, value, paying
        else:
            oqv += qv
            ocv += cv
            ovalue += value
            if purpose == "inventory":
                iqv, ivalue = qv, value
    if current is not None:
        volumes[current] = new(
            OrderVolumes, (cqv, ccv, paid, oqv, ocv, customers, cvalue, ovalue, iqv, ivalue)
        )
    return volumes


def order_volumes(period: dt.date) -> dict[int, OrderVolumes]:
    """distributor id -> their OrderVolumes in the period (only distributors with orders), combined
    as the sums stream in."""
    return combine_volumes(volume_sums(period))


def _period_sponsors(
    rows: Iterable[tuple[int, int | None, bool]],
) -> dict[int, int | None]:
    """Sponsor of every distributor who existed in the period: the nearest upline who existed too.

    `rows` are (id, sponsor_id, existed) for every distributor; a sponsor who did not exist in
    the period (enrolled later after a move, terminated before it) is skipped over, iteratively.
    """
    sponsor_of: dict[int, int | None] = {}
    existed: set[int] = set()
    for node_id, sponsor_id, was in rows:
        sponsor_of[node_id] = sponsor_id
        if was:
            existed.add(node_id)
    # A skipped (non-existing) node -> its nearest existing upline, memoised along each walk.
    skipped_to: dict[int, int | None] = {}
    sponsors: dict[int, int | None] = {}
    for node_id in existed:
        path = []
        current = sponsor_of.get(node_id)
        while current is not None and current not in existed:
            if current in skipped_to:
                current = skipped_to[current]
                break
            path.append(current)
            current = sponsor_of.get(current)
        for skipped in path:
            skipped_to[skipped] = current
        sponsors[node_id] = current
    return sponsors


def _distributors_in(period: dt.date, *fields: str) -> Any:
    from distributors.models import Distributor

    start, end = period_bounds(period)
    return Distributor.objects.annotate(
        enrolled_in_time=Q(enrolled_at__lt=end)
        & (Q(terminated_at__isnull=True) | Q(terminated_at__gte=start)),
        # Not NULL for the never terminated: the frozen input's column is NOT NULL.
        terminated_later=Q(terminated_at__isnull=False) & Q(terminated_at__gte=end),
    ).values_list(*fields)


_TREE_FIELDS = ("sponsor_id", "status", "title", "enrolled_in_time", "terminated_later")


def period_distributors(period: dt.date) -> list[DistributorRow]:
    """(id, sponsor id, status, title, enrolled in time, terminated later) of every distributor:
    who existed in the period, and who was terminated only after it, decided in SQL (no datetimes
    to load)."""
    return list(_distributors_in(period, "id", *_TREE_FIELDS).iterator(chunk_size=50_000))


def frozen_period_distributors(run_id: int, period: dt.date) -> list[DistributorRow]:
    """period_distributors as a final close first read them: fixed for the run (CloseInput) the
    first time, read back from there every time after (a compute resumed after a crash), so staff
    who move, terminate or re-rank distributors meanwhile change nothing the close computes.

    One INSERT ... SELECT from the live table (the ORM's own query, so both databases get its
    datetimes right), in its own transaction: it is there whole or not at all."""
    from commissions.models import CloseInput

    frozen = CloseInput.objects.filter(run_id=run_id)
    if not frozen.exists():
        fields = ("sponsor_id", "status", "rank", "title", "enrolled_in_time", "terminated_later")
        select, params = _distributors_in(period, "id", *fields).query.sql_with_params()
        columns = ", ".join(("run_id", "distributor_id", *fields))
        insert = f"INSERT INTO {CloseInput._meta.db_table} ({columns}) SELECT %s, q.* FROM ({select}) AS q"
        with transaction.atomic(), connection.cursor() as cursor:
            if not frozen.exists():  # the caller holds the run's compute lock: no one else writes it
                cursor.execute(insert, [run_id, *params])
    rows = frozen.order_by("distributor_id").values_list("distributor_id", *_TREE_FIELDS)
    return list(rows.iterator(chunk_size=50_000))


def period_tree(distributors: list[DistributorRow], *, with_orders: Iterable[int] = ()) -> PeriodTree:
    """The period's tree from the distributors read (period_distributors): everyone enrolled before
    the period's end and not terminated before its start, and everyone in `with_orders`."""
    ordered = set(with_orders)
    rows = []
    details: dict[int, tuple[str, int]] = {}
    for node_id, sponsor_id, status, title, enrolled_in_time, terminated_later in distributors:
        existed = enrolled_in_time or node_id in ordered
        rows.append((node_id, sponsor_id, existed))
        if existed:
            status = status_in_period(status, terminated_later)
            details[node_id] = (status, title)
    sponsors = _period_sponsors(rows)
    ids = sorted(sponsors)
    try:
        shape: NetworkShape | None = network_shape(ids, [sponsors[node_id] for node_id in ids])
    except EngineInputError:
        shape = None  # the engine builds it again and reports the problem where it always has
    return PeriodTree(distributors, sponsors, details, shape)


def period_inputs(
    period: dt.date,
    *,
    volumes: dict[int, OrderVolumes] | None = None,
    tree: PeriodTree | None = None,
) -> PeriodInputs:
    """The engine's inputs for the period: everyone who existed in it (enrolled before its end, not
    terminated before its start) or has orders in it, with their aggregates. `volumes` and `tree`
    are read here unless the caller read them already (the close reads them at once, on two
    connections)."""
    if volumes is None:
        volumes = order_volumes(period)
    if tree is None:
        tree = period_tree(period_distributors(period))
    if any(node_id not in tree.sponsors for node_id in volumes):
        # Someone exists in the period by their orders alone (enrolled later, or terminated
        # before it): they may be the nearest upline of others, so the tree is built again.
        tree = period_tree(tree.distributors, with_orders=volumes)
    sponsors, details = tree.sponsors, tree.details
    inputs = []
    for node_id in sorted(sponsors):
        cqv, ccv, paid, oqv, ocv, customers, *_ = volumes.get(node_id, NO_ORDERS)
        status, title = details[node_id]
        inputs.append(
            DistributorInput(node_id, sponsors[node_id], status, cqv, ccv, paid, oqv, ocv, customers, title)
        )
    return PeriodInputs(inputs=inputs, ids=[row.id for row in inputs], volumes=volumes, shape=tree.shape)

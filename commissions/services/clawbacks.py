"""Clawbacks (compensation-plan §8): refunds in this period of orders that counted in an earlier period.

For every (distributor, original period) refunded, negative lines reverse what the original
period's FINAL run paid on the refunded part, at the rates it paid: one personal line per
(distributor, original period), one override line per override line of the original period whose
source is that distributor. Ranks, eligibility and volumes of the original period are read, never
recomputed. One SQL aggregate over the period's return lines, then a few bulk reads.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

from django.db import connection

from commissions.models import CloseRun, CloseRunKind, CloseRunStatus, DistributorPeriod, LedgerLine
from core.money import ZERO, decimal_from_db, round_cents
from plans.document import parse_plan_document

from .rows import LineRow, line_key

# Units refunded in the period, by (distributor, original period), valued as the original lines were.
REFUNDS_SQL = """
SELECT o.distributor_id, o.commission_period,
    SUM(CASE WHEN o.purpose = 'customer' AND l.commissionable THEN rl.quantity * l.unit_price ELSE 0 END),
    SUM(CASE WHEN o.purpose = 'customer' THEN rl.quantity * l.unit_cv ELSE 0 END),
    SUM(CASE WHEN o.purpose <> 'customer' THEN rl.quantity * l.unit_cv ELSE 0 END)
FROM orders_returnline rl
JOIN orders_return r ON r.id = rl.return_record_id
JOIN orders_orderline l ON l.id = rl.order_line_id
JOIN orders_order o ON o.id = l.order_id
WHERE r.refund_period = %(period)s AND o.commission_period < %(period)s
GROUP BY o.distributor_id, o.commission_period
"""

BATCH = 10_000


def _batches(values: list[int]):
    for i in range(0, len(values), BATCH):
        yield values[i : i + BATCH]


def clawback_lines(period: dt.date) -> list[LineRow]:
    with connection.cursor() as cursor:
        cursor.execute(REFUNDS_SQL, {"period": period})
        refunds = [
            (
                distributor_id,
                original,
                decimal_from_db(paid),
                decimal_from_db(customer_cv),
                decimal_from_db(own_cv),
            )
            for distributor_id, original, paid, customer_cv, own_cv in cursor.fetchall()
        ]
    if not refunds:
        return []
    by_period: dict[dt.date, list[tuple[int, Decimal, Decimal, Decimal]]] = defaultdict(list)
    for distributor_id, original, paid, customer_cv, own_cv in refunds:
        by_period[original].append((distributor_id, paid, customer_cv, own_cv))

    runs = {
        run.period.start: run
        for run in CloseRun.objects.filter(
            kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED, period__start__in=list(by_period)
        ).select_related("period", "plan")
    }
    lines: list[LineRow] = []
    for original in sorted(by_period):
        run = runs.get(original)
        if run is None:
            continue  # nothing was ever paid on that period's orders
        lines.extend(_reverse_period(run, original, by_period[original]))
    return lines


def _own_share(cap: Decimal | None, ppc: Decimal) -> Decimal:
    # The same min(1, cap / PPC) as the engine, recomputed exactly from the stored PPC.
    if cap is None or ppc <= cap:
        return Decimal(1)
    with localcontext(Context(prec=28, rounding=ROUND_HALF_EVEN)):
        return cap / ppc


# The override lines the original run paid on these sources. No index serves `source_id` (the
# close writes millions of lines, and one more index in random order was a third of the ledger's
# write cost, docs/adr/0004): one pass over the run's override lines, the sources in a hash.
OVERRIDES_OF_SOURCES_SQL = """
SELECT id, distributor_id, source_id, level, rate FROM commissions_ledgerline
WHERE run_id = %(run)s AND kind = 'override' AND source_id = ANY(%(sources)s)
"""


def _override_lines_of(run: CloseRun, sources: list[int]) -> list[tuple[int, int, int, int, Decimal]]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(OVERRIDES_OF_SOURCES_SQL, {"run": run.pk, "sources": sources})
            return cursor.fetchall()
    rows = []  # SQLite (the demo): no arrays; few lines
    for batch in _batches(sources):
        rows += LedgerLine.objects.filter(run=run, kind="override", source_id__in=batch).values_list(
            "id", "distributor_id", "source_id", "level", "rate"
        )
    return rows


def _reverse_period(
    run: CloseRun, original: dt.date, refunds: list[tuple[int, Decimal, Decimal, Decimal]]
) -> list[LineRow]:
    label = original.isoformat()
    cap = parse_plan_document(run.plan.document).personal_consumption_cap_qv
    differential = run.plan.plan_type == "differential"
    sources = [distributor_id for distributor_id, *_ in refunds]

    ppc: dict[int, Decimal] = {}
    personal: dict[int, tuple[int, Decimal]] = {}
    overrides: dict[int, list[tuple[int, int, int, Decimal]]] = defaultdict(list)
    for batch in _batches(sources):
        ppc.update(
            DistributorPeriod.objects.filter(run=run, distributor_id__in=batch).values_list(
                "distributor_id", "ppc"
            )
        )
        for line_id, distributor_id, rate in LedgerLine.objects.filter(
            run=run, kind="personal", distributor_id__in=batch
        ).values_list("id", "distributor_id", "rate"):
            personal[distributor_id] = (line_id, rate)
    if not differential:
        # A differential bonus is paid on a leg's group volume, not per source: not reversed here.
        for line_id, earner_id, source_id, level, rate in _override_lines_of(run, sources):
            overrides[source_id].append((line_id, earner_id, level, rate))

    lines: list[LineRow] = []
    for distributor_id, paid, customer_cv, own_cv in refunds:
        if distributor_id in personal and paid > 0:
            line_id, rate = personal[distributor_id]
            amount = -round_cents(paid * rate)
            if amount:
                lines.append(
                    LineRow(
                        distributor_id,
                        "clawback",
                        line_key("clawback-personal", None, 0, label),
                        None,
                        0,
                        rate,
                        paid,
                        amount,
                        label,
                        line_id,
                        None,
                    )  # fmt: skip
                )
        source_lines = overrides.get(distributor_id)
        if not source_lines:
            continue
        share = _own_share(cap, ppc.get(distributor_id, ZERO))
        with localcontext(Context(prec=28, rounding=ROUND_HALF_EVEN)):
            base = customer_cv + own_cv * share
        if base <= 0:
            continue
        for line_id, earner_id, level, rate in sorted(source_lines, key=lambda item: (item[1], item[2])):
            amount = -round_cents(base * rate)
            if amount:
                lines.append(
                    LineRow(
                        earner_id,
                        "clawback",
                        line_key("clawback-override", distributor_id, level, label),
                        distributor_id,
                        level,
                        rate,
                        base,
                        amount,
                        label,
                        line_id,
                        None,
                    )  # fmt: skip
                )
    return lines

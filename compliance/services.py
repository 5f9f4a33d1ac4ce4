"""The period compliance report (rules/compliance §5): computed with every close, from SQL
aggregates over the period's orders and the run's ledger and statements.

Definitions of every number are in docs/compliance.md; thresholds come from
settings.COMPLIANCE_THRESHOLDS over the defaults in compliance.selectors.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from commissions.selectors.report_figures import (
    LineSums,
    OrderFigures,
    order_figures,
    run_figures,
    stored_run_figures,
)
from compliance.models import ComplianceReport
from compliance.selectors import compliance_thresholds
from compliance.warnings import warning_text
from core.money import ZERO, round_cents
from core.periods import period_bounds, period_label
from plans.document import current_plan_document

SHARE_PLACES = Decimal("0.0001")

# The run's statements in one aggregate. percentile_disc picks actual rows, so the median stays an
# exact Decimal (percentile_cont works in float): the middle row ascending and the middle row
# descending are the same row for an odd count and the two middle rows for an even count.
STATEMENTS_SQL = """
SELECT
    COUNT(*),
    COUNT(*) FILTER (WHERE personal + override + clawbacks + adjustments > 0),
    COUNT(*) FILTER (WHERE payout > 0),
    COALESCE(SUM(payout), 0),
    COALESCE(SUM(payout) FILTER (WHERE payout > 0), 0),
    percentile_disc(0.5) WITHIN GROUP (ORDER BY payout),
    percentile_disc(0.5) WITHIN GROUP (ORDER BY payout DESC),
    percentile_disc(0.5) WITHIN GROUP (ORDER BY payout) FILTER (WHERE payout > 0),
    percentile_disc(0.5) WITHIN GROUP (ORDER BY payout DESC) FILTER (WHERE payout > 0)
FROM commissions_statement
WHERE run_id = %(run)s
"""

# Personal commission is all customer sales; an override is split by its source's customer CV
# share of the rewardable CV it was paid on (the run's own volumes of that source).
REWARDS_SQL = """
SELECT
    COALESCE(SUM(CASE WHEN l.kind = 'personal' THEN l.amount ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN l.kind = 'override' THEN l.amount ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN l.kind = 'override' AND dp.rewardable_cv > 0
                 THEN l.amount * dp.customer_cv / dp.rewardable_cv ELSE 0 END), 0)
FROM commissions_ledgerline l
LEFT JOIN commissions_distributorperiod dp ON dp.run_id = l.run_id AND dp.distributor_id = l.source_id
WHERE l.run_id = %(run)s
"""


def _dec(value: Any) -> Decimal:
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _share(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


def _existing_distributors(period_start: dt.date) -> int:
    from distributors.models import Distributor

    start, end = period_bounds(period_start)
    return Distributor.objects.filter(
        Q(terminated_at__isnull=True) | Q(terminated_at__gte=start), enrolled_at__lt=end
    ).count()


def _final_run(period_start: dt.date):
    from commissions.models import CloseRun, CloseRunKind, CloseRunStatus

    return (
        CloseRun.objects.filter(
            period__start=period_start, kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED
        )
        .select_related("plan", "period")
        .first()
    )


def _warnings(report: ComplianceReport, thresholds: dict[str, Decimal]) -> list[dict]:
    """Compare the report with the thresholds; a number without data raises nothing. The texts
    (compliance.warnings) are stored in the active language and shown in the reader's."""
    checks = [
        ("customer_volume_share", "warning", report.customer_volume_share, "min"),
        ("customer_reward_share", "warning", report.customer_reward_share, "min"),
        ("paid_share", "info", report.paid_share, "min"),
        ("over_cap_share", "warning", report.over_cap_share, "max"),
        ("inventory_resale_ratio", "warning", report.inventory_resale_ratio, "min"),
        ("buyback_rate", "warning", report.buyback_rate, "max"),
    ]
    warnings = []
    for code, level, value, direction in checks:
        threshold = thresholds[f"{direction}_{code}"]  # e.g. min_paid_share
        if value is None:
            continue
        if (direction == "min" and value < threshold) or (direction == "max" and value > threshold):
            title, message = warning_text(code, value, threshold)
            warnings.append(
                {
                    "code": code,
                    "level": level,
                    "title": title,
                    "message": message,
                    "value": str(value),
                    "threshold": str(threshold),
                }
            )
    return warnings


def _statement_figures(run: Any) -> dict[str, Any]:
    """Counts, total, mean and median payout of the run's statements: one aggregate on PostgreSQL,
    the payouts sorted in Python on SQLite (the demo), which has no ordered-set aggregates."""
    from commissions.models import Statement

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(STATEMENTS_SQL, {"run": run.pk})
            n, earning, paid_n, total, paid_total, low, high, paid_low, paid_high = cursor.fetchone()
        total_payout = round_cents(_dec(total))
        median_all = (_dec(low) + _dec(high)) / 2 if n else None
        median_paid = (_dec(paid_low) + _dec(paid_high)) / 2 if paid_n else None
        paid_sum = _dec(paid_total)
    else:
        # The same figures the close computes from its statements (in StatementRow's order).
        columns = ("distributor_id", "carried_in", "personal", "override", "clawbacks", "adjustments")
        rows = Statement.objects.filter(run=run).values_list(*columns, "net", "payout")
        f = run_figures(LineSums(), rows, ())
        n, earning, paid_n, total_payout = f.statements, f.earning, f.paid, f.total_payout
        paid_sum, median_all, median_paid = f.paid_payout, f.median_payout, f.median_payout_paid
    return _payout_figures(n, earning, paid_n, total_payout, paid_sum, median_all, median_paid)


def _payout_figures(
    n: int,
    earning: int,
    paid_n: int,
    total_payout: Decimal,
    paid_sum: Decimal,
    median_all: Decimal | None,
    median_paid: Decimal | None,
) -> dict[str, Any]:
    total_payout = round_cents(total_payout)
    return {
        "distributors": n,
        "earning_distributors": earning,
        "paid_distributors": paid_n,
        "paid_share": _share(paid_n, n),
        "total_payout": total_payout,
        "mean_payout": round_cents(total_payout / n) if n else None,
        "median_payout": round_cents(median_all) if median_all is not None else None,
        "mean_payout_paid": round_cents(paid_sum / paid_n) if paid_n else None,
        "median_payout_paid": round_cents(median_paid) if median_paid is not None else None,
    }


def period_order_figures(period_start: dt.date, cap: Decimal | None) -> OrderFigures:
    """The period's order figures from the orders as they are now: the close's own aggregation."""
    from commissions.services.aggregation import order_volumes

    return order_figures(order_volumes(period_start).values(), cap)


def run_order_figures(run: Any) -> OrderFigures | None:
    """The order figures a close run computed from the same aggregation as its volumes (so the
    report counts exactly the orders the close counted); None for a run from before they were kept."""
    data = (run.summary or {}).get("order_figures")
    return OrderFigures.from_json(data) if data else None


@transaction.atomic
def compliance_report_compute(
    *, period_start: dt.date, run: Any = None, orders_only: bool = False
) -> ComplianceReport:
    """Compute (or recompute) the report of a period: of `run` when given, else of the period's
    final close when it has one, else (or with `orders_only`) from the orders alone. Idempotent:
    one report per run."""
    from orders.models import BuybackRequest, BuybackStatus

    if run is None and not orders_only:
        run = _final_run(period_start)
    elif run is not None and run.period.start != period_start:
        raise ValueError(f"Run {run.pk} is of {run.period}, not of {period_label(period_start)}.")
    cap = current_plan_document(run.plan if run is not None else None).personal_consumption_cap_qv
    thresholds = compliance_thresholds()
    start, end = period_bounds(period_start)
    f = (run_order_figures(run) if run is not None else None) or period_order_figures(period_start, cap)
    total_qv = f.customer_qv + f.own_qv

    values: dict[str, Any] = {
        "run_kind": run.kind if run is not None else "",
        "computed_at": timezone.now(),
        "total_qv": total_qv,
        "customer_qv": f.customer_qv,
        "own_qv": f.own_qv,
        "customer_volume_share": _share(f.customer_qv, total_qv),
        "own_volume_share": _share(f.own_qv, total_qv),
        "consumption_cap_qv": cap,
        "over_cap_qv": f.over_cap_qv,
        "over_cap_distributors": f.over_cap_distributors,
        "own_buyers": f.own_buyers,
        "over_cap_share": _share(f.over_cap_distributors, f.own_buyers),
        "inventory_bought_value": round_cents(f.inventory_value),
        "inventory_bought_qv": f.inventory_qv,
        "customer_sales_value": round_cents(f.customer_value),
        "own_purchases_value": round_cents(f.own_value),
        "inventory_resale_ratio": _share(f.customer_qv, f.inventory_qv),
        "inventory_buyers": f.inventory_buyers,
        "inventory_without_sales": f.inventory_without_sales,
        "inventory_without_sales_value": round_cents(f.inventory_without_sales_value),
        "thresholds": {k: str(v) for k, v in thresholds.items()},
    }

    buybacks = BuybackRequest.objects.aggregate(
        requested=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        approved=Count(
            "pk",
            filter=Q(
                decided_at__gte=start,
                decided_at__lt=end,
                status__in=[BuybackStatus.APPROVED, BuybackStatus.PARTLY_APPROVED],
            ),
        ),
        rejected=Count(
            "pk", filter=Q(decided_at__gte=start, decided_at__lt=end, status=BuybackStatus.REJECTED)
        ),
        value=Sum(
            "refund_total",
            filter=Q(
                decided_at__gte=start,
                decided_at__lt=end,
                status__in=[BuybackStatus.APPROVED, BuybackStatus.PARTLY_APPROVED],
            ),
        ),
    )
    buyback_value = round_cents(_dec(buybacks["value"]))
    values.update(
        buyback_requests=buybacks["requested"],
        buyback_count=buybacks["approved"],
        buyback_rejected=buybacks["rejected"],
        buyback_value=buyback_value,
        buyback_rate=_share(buyback_value, round_cents(f.own_value)) if f.own_value else None,
    )

    if run is not None:
        stored = stored_run_figures(run)
        if stored is not None:  # computed by the close from the rows it wrote
            personal, override, override_customer = stored.personal, stored.override, stored.override_customer
            totals = _payout_figures(
                stored.statements, stored.earning, stored.paid, stored.total_payout, stored.paid_payout,
                stored.median_payout, stored.median_payout_paid,
            )  # fmt: skip
        else:
            with connection.cursor() as cursor:
                cursor.execute(REWARDS_SQL, {"run": run.pk})
                personal, override, override_customer = map(_dec, cursor.fetchone())
            totals = _statement_figures(run)
        customer_rewards = round_cents(personal + override_customer)
        values.update(
            personal_commission=round_cents(personal),
            override_commission=round_cents(override),
            customer_rewards=customer_rewards,
            customer_reward_share=_share(customer_rewards, round_cents(personal + override)),
            **totals,
        )
    else:
        values["distributors"] = _existing_distributors(period_start)

    report, _ = ComplianceReport.objects.select_for_update().update_or_create(
        period_start=period_start, run=run, defaults=values
    )
    report.warnings = _warnings(report, thresholds)
    report.save(update_fields=["warnings"])
    return report


def compliance_report_for_run(*, run_id: int) -> ComplianceReport | None:
    """The report of a succeeded close run (final or preview); None while the run has not succeeded."""
    from commissions.models import CloseRun, CloseRunStatus

    run = CloseRun.objects.select_related("period", "plan").filter(pk=run_id).first()
    if run is None or run.status != CloseRunStatus.SUCCEEDED:
        return None
    return compliance_report_compute(period_start=run.period.start, run=run)

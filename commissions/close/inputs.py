"""What the close reads besides the period's orders (commissions.services.aggregation): the sponsor
tree of the period and its check, the balances carried in from the last final close, and the host
credit issued in the period (for the run's summary).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from commissions.models import CloseRun, CloseRunKind, CloseRunStatus, Statement
from commissions.services import aggregation
from core.money import ZERO, round_cents
from core.periods import period_bounds


def tree_problems() -> list[str]:
    """What is wrong with the sponsor tree's index (nothing: an empty list); all SQL."""
    from distributors.selectors import tree_check

    report = tree_check()
    return [] if report.ok else report.problems


def run_period_tree(run: CloseRun) -> aggregation.PeriodTree:
    """The period's tree; a final run's as fixed at its first compute (see CloseInput)."""
    period = run.period.start
    if run.kind == CloseRunKind.FINAL:
        return aggregation.period_tree(aggregation.frozen_period_distributors(run.pk, period))
    return aggregation.period_tree(aggregation.period_distributors(period))


def carried_in_by_distributor(period: dt.date) -> dict[int, Decimal]:
    """What each distributor carries into `period`: carried_out of the latest final close before it.

    Every statement carries its balance forward (a distributor with a balance always gets the
    next statement), so the latest final run before the period holds every open balance.
    """
    previous = (
        CloseRun.objects.filter(
            kind=CloseRunKind.FINAL, status=CloseRunStatus.SUCCEEDED, period__start__lt=period
        )
        .order_by("-period__start")
        .first()
    )
    if previous is None:
        return {}
    return dict(
        Statement.objects.filter(run=previous)
        .exclude(carried_out=0)
        .values_list("distributor_id", "carried_out")
    )


def host_credit_issued(period: dt.date) -> Decimal:
    from orders.models import HostCredit

    start, end = period_bounds(period)
    total = HostCredit.objects.filter(issued_at__gte=start, issued_at__lt=end).aggregate(total=Sum("amount"))[
        "total"
    ]
    return round_cents(total or ZERO)

"""Demo data for commissions: close every past month of the seeded order history, in order, and
preview the current one, so the admin and the portal show statements, ranks and a ledger."""

from __future__ import annotations

from typing import TextIO

from django.utils import timezone

from commissions.models import CloseRun, Period, PeriodStatus
from commissions.services.close import close_run_advance, close_start
from core.periods import period_label


def seed_commissions(*, stdout: TextIO | None = None) -> list[CloseRun]:
    from orders.models import Order

    today = timezone.localdate()
    current = today.replace(day=1)
    months = sorted(
        set(
            Order.objects.filter(commission_period__isnull=False)
            .values_list("commission_period", flat=True)
            .distinct()
        )
    )
    closed = set(Period.objects.filter(status=PeriodStatus.CLOSED).values_list("start", flat=True))
    runs = []
    for month in months:
        if month in closed or month > current:
            continue
        run = close_start(period=month, preview=month == current)
        # The demo waits for its closes even with a broker configured: write them here.
        close_run_advance(run_id=run.pk, inline=True)
        run.refresh_from_db()
        runs.append(run)
        if stdout is not None:
            paid = run.summary.get("total_paid", "0.00")
            what = "Previewed" if run.kind == "preview" else "Closed"
            stdout.write(
                f"{what} {period_label(month)}: {run.summary.get('distributors')} distributors, paid {paid}."
            )
    return runs

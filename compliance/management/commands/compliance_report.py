"""python manage.py compliance_report YYYY-MM: compute a period's compliance report and print it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from compliance.selectors import percent
from compliance.services import compliance_report_compute
from core.errors import ApplicationError
from core.periods import parse_period


class Command(BaseCommand):
    help = "Compute the compliance report of a period (from its final close when it has one) and print it."

    def add_arguments(self, parser):
        parser.add_argument("period", help="YYYY-MM")

    def handle(self, *args, period: str, **options):
        try:
            start = parse_period(period)
        except ApplicationError as error:
            raise CommandError(error.message) from None
        r = compliance_report_compute(period_start=start)
        out = self.stdout.write
        out(f"{r}")
        out(f"Sold to end customers: {percent(r.customer_volume_share)} of {r.total_qv.normalize():f} QV")
        out(
            f"Above the consumption cap: {r.over_cap_qv.normalize():f} QV "
            f"by {r.over_cap_distributors} distributor(s)"
        )
        if r.run_id:
            out(f"Rewards from customer sales: {percent(r.customer_reward_share)}")
            out(f"Paid anything: {r.paid_distributors} of {r.distributors} ({percent(r.paid_share)})")
            out(
                f"Payout median / mean: {r.median_payout} / {r.mean_payout} (of those paid: "
                f"{r.median_payout_paid} / {r.mean_payout_paid})"
            )
        out(
            f"Inventory bought {r.inventory_bought_value}, sold to customers {r.customer_sales_value}, "
            f"resale ratio {percent(r.inventory_resale_ratio)}"
        )
        out(f"Buy-backs: {r.buyback_count} approved, {r.buyback_value} refunded ({percent(r.buyback_rate)})")
        for w in r.warnings:
            out(f"{'WARNING' if w['level'] == 'warning' else 'NOTE'}: {w['title']}: {w['message']}")

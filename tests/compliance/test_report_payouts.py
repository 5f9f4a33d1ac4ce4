"""Median and mean payout of a run, computed in SQL: exact decimals, odd and even counts, the
half-cent of an even median rounded half away from zero, zeros included or left out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from compliance.services import compliance_report_compute
from tests.compliance.factories import make_distributor, make_run, make_statement

D = Decimal
MAY = dt.date(2025, 5, 1)


def _run_with_payouts(amounts: list[str]):
    run = make_run(MAY)
    for number, amount in enumerate(amounts):
        make_statement(run, make_distributor(f"D{number}"), personal=amount)
    return run


def test_even_count_median_is_the_mean_of_the_two_middle_payouts(db):
    # Payouts 0, 0, 25.00, 25.01, 40.00, 100.00 (10.00 and 24.99 are carried, not paid).
    run = _run_with_payouts(["10.00", "24.99", "25.00", "25.01", "40.00", "100.00"])
    report = compliance_report_compute(period_start=MAY, run=run)
    assert report.distributors == 6
    assert (report.paid_distributors, report.earning_distributors) == (4, 6)
    assert report.total_payout == D("190.01")
    # (25.00 + 25.01) / 2 = 25.005 -> 25.01 over everybody; (25.01 + 40.00) / 2 = 32.505 -> 32.51
    # over the paid.
    assert (report.median_payout, report.mean_payout) == (D("25.01"), D("31.67"))
    assert (report.median_payout_paid, report.mean_payout_paid) == (D("32.51"), D("47.50"))


def test_odd_count_median_is_the_middle_payout(db):
    run = _run_with_payouts(["30.00", "0", "25.03", "99.99", "26.00"])
    report = compliance_report_compute(period_start=MAY, run=run)
    assert report.distributors == 5
    assert (report.median_payout, report.mean_payout) == (D("26.00"), D("36.20"))
    # Four paid: (26.00 + 30.00) / 2.
    assert (report.median_payout_paid, report.mean_payout_paid) == (D("28.00"), D("45.26"))


def test_a_run_without_statements_has_no_payout_figures(db):
    report = compliance_report_compute(period_start=MAY, run=make_run(MAY))
    assert (report.distributors, report.paid_distributors, report.total_payout) == (0, 0, D("0.00"))
    assert (report.median_payout, report.mean_payout, report.paid_share) == (None, None, None)
    assert (report.median_payout_paid, report.mean_payout_paid) == (None, None)

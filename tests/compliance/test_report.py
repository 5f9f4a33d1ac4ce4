"""The period compliance report on known data (March 2025).

Orders (product: retail 100.00, wholesale 75.00, QV 75):
  Xandra  customer 3 units (225 QV, 300.00)   inventory 4 units (300 QV, 300.00): 100 QV above the cap
  Yara    inventory 2 units (150 QV, 150.00) + personal 1 unit (75 QV): 25 QV above the cap; no sales
  Zoe     customer 2 units, 1 refunded in March (counts 1: 75 QV, 100.00)
  Wim     customer 1 unit refunded in April (still counts in March: 75 QV, 100.00)
Customer QV 375 of 900 = 41.67%; own 525 QV worth 525.00; inventory 450 QV worth 450.00.
Buy-backs decided in March: one approved (67.50), one rejected.
The close: personal 75 + 25 + 25; Piet's overrides 21.25 on Xandra (225 of 425 rewardable CV from
customers: 11.25) and 10.00 on Yara (none from customers).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from compliance.models import ComplianceReport
from compliance.services import compliance_report_compute
from orders.models import BuybackRequest, BuybackStatus, Return, ReturnKind, ReturnLine
from tests.compliance.factories import (
    make_customer,
    make_distributor,
    make_line,
    make_order,
    make_product,
    make_result,
    make_run,
    make_statement,
)

D = Decimal
MARCH = dt.date(2025, 3, 1)


def at(day: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2025, month, day, 12, tzinfo=dt.UTC)


def refund(order, quantity: int, when: dt.datetime) -> None:
    line = order.lines.get()
    record = Return.objects.create(
        order=order,
        kind=ReturnKind.RETURN,
        refunded_at=when,
        refund_period=dt.date(when.year, when.month, 1),
        refund_amount=line.unit_price * quantity,
    )
    ReturnLine.objects.create(
        return_record=record, order_line=line, quantity=quantity, refund_amount=line.unit_price * quantity
    )


@pytest.fixture
def march(db):
    product = make_product("PAN")
    piet = make_distributor("Piet")
    x = make_distributor("Xandra", sponsor=piet)
    y = make_distributor("Yara", sponsor=piet)
    z = make_distributor("Zoe", sponsor=piet)
    w = make_distributor("Wim", sponsor=piet)
    v = make_distributor("Vera", sponsor=piet)
    make_order(x, "customer", at(3), [(product, 3)], customer=make_customer(x))
    make_order(x, "inventory", at(4), [(product, 4)])
    make_order(y, "inventory", at(5), [(product, 2)])
    make_order(y, "personal", at(6), [(product, 1)])
    zoe_order = make_order(z, "customer", at(7), [(product, 2)], customer=make_customer(z))
    refund(zoe_order, 1, at(20))
    wim_order = make_order(w, "customer", at(8), [(product, 1)], customer=make_customer(w))
    refund(wim_order, 1, at(2, month=4))
    # An order of February does not count in March.
    make_order(x, "customer", at(20, month=2), [(product, 5)], customer=make_customer(x))

    approved = BuybackRequest.objects.create(
        distributor=y, status=BuybackStatus.APPROVED, refund_total=D("67.50")
    )
    rejected = BuybackRequest.objects.create(distributor=x, status=BuybackStatus.REJECTED)
    BuybackRequest.objects.filter(pk__in=[approved.pk, rejected.pk]).update(
        created_at=at(10), decided_at=at(12)
    )

    return dict(piet=piet, x=x, y=y, z=z, w=w, v=v)


def close_march(p):
    run = make_run(MARCH)
    make_result(run, p["x"], rank=1, customer_cv="225", rewardable_cv="425")
    make_result(run, p["y"], rank=1, customer_cv="0", rewardable_cv="200")
    make_line(run, p["x"], "personal", "75.00")
    make_line(run, p["z"], "personal", "25.00")
    make_line(run, p["w"], "personal", "25.00")
    make_line(run, p["piet"], "override", "21.25", source=p["x"])
    make_line(run, p["piet"], "override", "10.00", source=p["y"])
    make_line(run, p["piet"], "clawback", "-3.00", source=p["z"])
    make_statement(run, p["piet"], override="31.25", clawbacks="-3.00")  # net 28.25: paid
    make_statement(run, p["x"], personal="75.00")
    make_statement(run, p["y"])
    make_statement(run, p["z"], personal="25.00")
    make_statement(run, p["w"], personal="25.00", adjustments="-10.00")  # net 15.00: carried
    make_statement(run, p["v"])
    return run


def test_orders_part_before_any_close(march):
    report = compliance_report_compute(period_start=MARCH)
    assert report.run is None
    assert report.distributors == 6
    assert (report.customer_qv, report.own_qv, report.total_qv) == (D("375"), D("525"), D("900"))
    assert report.customer_volume_share == D("0.4167")
    assert report.own_volume_share == D("0.5833")
    assert report.consumption_cap_qv == D("200")
    assert (report.over_cap_qv, report.over_cap_distributors, report.own_buyers) == (D("125"), 2, 2)
    assert report.over_cap_share == D("1.0000")
    assert report.customer_sales_value == D("500.00")
    assert report.own_purchases_value == D("525.00")
    assert (report.inventory_bought_value, report.inventory_bought_qv) == (D("450.00"), D("450"))
    assert report.inventory_resale_ratio == D("0.8333")
    assert (report.inventory_buyers, report.inventory_without_sales) == (2, 1)
    assert report.inventory_without_sales_value == D("150.00")
    assert (report.buyback_requests, report.buyback_count, report.buyback_rejected) == (2, 1, 1)
    assert report.buyback_value == D("67.50")
    assert report.buyback_rate == D("0.1286")
    assert report.customer_reward_share is None
    assert report.paid_share is None
    assert {w["code"] for w in report.warnings} == {"customer_volume_share", "over_cap_share", "buyback_rate"}
    volume = next(w for w in report.warnings if w["code"] == "customer_volume_share")
    assert volume["message"].startswith("Only 41.7% of the period's volume was sold to end customers")


def test_with_the_close(march):
    run = close_march(march)
    report = compliance_report_compute(period_start=MARCH)
    assert report.run == run
    assert report.run_kind == "final"
    assert report.distributors == 6
    assert (report.personal_commission, report.override_commission) == (D("125.00"), D("31.25"))
    assert report.customer_rewards == D("136.25")
    assert report.customer_reward_share == D("0.8720")
    assert (report.earning_distributors, report.paid_distributors) == (4, 3)
    assert report.paid_share == D("0.5000")
    assert report.total_payout == D("128.25")
    assert (report.median_payout, report.mean_payout) == (D("12.50"), D("21.38"))
    assert (report.median_payout_paid, report.mean_payout_paid) == (D("28.25"), D("42.75"))
    # Recomputing replaces the report of the run, it does not add one.
    compliance_report_compute(period_start=MARCH, run=run)
    assert ComplianceReport.objects.filter(run=run).count() == 1


def test_thresholds_come_from_settings(march, settings):
    settings.COMPLIANCE_THRESHOLDS = {"min_customer_volume_share": "0.40", "max_buyback_rate": "0.20"}
    report = compliance_report_compute(period_start=MARCH)
    assert {w["code"] for w in report.warnings} == {"over_cap_share"}
    assert report.thresholds["min_customer_volume_share"] == "0.40"


def test_paid_share_below_threshold_is_information(march, settings):
    settings.COMPLIANCE_THRESHOLDS = {"min_paid_share": "0.60"}
    report = compliance_report_compute(period_start=MARCH, run=close_march(march))
    paid = next(w for w in report.warnings if w["code"] == "paid_share")
    assert paid["level"] == "info"
    # Volume share, over-cap share and buy-back rate; the information is not a warning.
    assert report.warning_count == 3


def test_recomputing_an_orders_only_report_keeps_it_orders_only_after_the_close(db):
    import datetime as dt

    from compliance.services import compliance_report_compute
    from tests.compliance.factories import make_run

    march = dt.date(2026, 3, 1)
    before_close = compliance_report_compute(period_start=march)
    assert before_close.run is None
    make_run(march)
    again = compliance_report_compute(period_start=march, orders_only=True)
    assert (again.pk, again.run) == (before_close.pk, None)


ORDER_FIELDS = (
    "total_qv", "customer_qv", "own_qv", "customer_volume_share", "own_volume_share", "consumption_cap_qv",
    "over_cap_qv", "over_cap_distributors", "own_buyers", "over_cap_share", "inventory_bought_value",
    "inventory_bought_qv", "customer_sales_value", "own_purchases_value", "inventory_resale_ratio",
    "inventory_buyers", "inventory_without_sales", "inventory_without_sales_value",
)  # fmt: skip


def test_a_real_close_reports_the_orders_it_counted_without_reading_them_again(march):
    from tests.commissions.closing import close, default_plan

    default_plan()  # caps own purchases at 200 QV
    orders_only = compliance_report_compute(period_start=MARCH, orders_only=True)
    from core.periods import period_label, previous_period

    close(period_label(previous_period(MARCH)))  # periods close in order
    run = close(period_label(MARCH))
    assert run.summary["order_figures"]["own_qv"] == "525.0000"
    from_run = ComplianceReport.objects.get(run=run)
    for name in ORDER_FIELDS:
        assert getattr(from_run, name) == getattr(orders_only, name), name


REWARD_FIELDS = (
    "personal_commission", "override_commission", "customer_rewards", "customer_reward_share",
    "distributors", "earning_distributors", "paid_distributors", "paid_share", "total_payout",
    "mean_payout", "median_payout", "mean_payout_paid", "median_payout_paid",
)  # fmt: skip


def test_a_real_close_reports_the_rewards_of_the_rows_it_wrote_without_reading_them_back(db):
    import io

    from django.core.management import call_command

    from commissions.models import CloseRun
    from tests.commissions.closing import EXAMPLES, close, default_plan

    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())  # spec example S1
    default_plan()
    run = close("2026-10")
    figures = run.summary["run_figures"]
    assert Decimal(figures["override"]) > 0 and Decimal(figures["override_customer"]) > 0
    from_close = ComplianceReport.objects.get(run=run)

    # The same report from the ledger lines and statements as written (as for a run closed before
    # the close kept its figures).
    CloseRun.objects.filter(pk=run.pk).update(
        summary={k: v for k, v in run.summary.items() if k != "run_figures"}
    )
    run.refresh_from_db()
    from_rows = compliance_report_compute(period_start=run.period.start, run=run)
    for name in REWARD_FIELDS:
        assert getattr(from_close, name) == getattr(from_rows, name), name
    assert from_close.override_commission == Decimal(figures["override"])

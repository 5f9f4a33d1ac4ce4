"""Done when: a buy-back goes from request to approval to clawback on the next statement, exactly.

Last month (P0): Ursula (root) sells 2 units to customers; her frontline Ingrid buys 4 units of
inventory (300 QV, 100 QV above the cap: own CV share 200/300, rewardable CV 200.00) and Jan sells 2
units. Ursula is rank 2 (PV 150, 2 active frontline, GV 500) and earns 5% on level 1: 10.00 on
Ingrid and 7.50 on Jan. This month (P1) the company buys back 3 of Ingrid's units at 90%
(3 x 67.50 = 202.50); P1's close claws back from Ursula -round(3 x 75 x 200/300 x 5%) = -7.50.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from commissions.models import LedgerLine, Statement
from compliance.models import ComplianceReport
from compliance.tasks import compliance_report_for_run
from core.periods import period_bounds, period_label, period_of, previous_period
from orders.models import BuybackStatus
from orders.services.buyback import buyback_request_create, buyback_request_decide
from tests.commissions.closing import close, default_plan
from tests.compliance.factories import make_customer, make_distributor, make_order, make_product
from tests.distributors.factories import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


def test_buyback_is_clawed_back_from_the_upline_in_the_next_close():
    default_plan()
    p1 = period_of(timezone.now())
    p0 = previous_period(p1)
    bought = period_bounds(p0)[0] + dt.timedelta(days=2, hours=10)
    product = make_product("PAN")
    ursula = make_distributor("Ursula")
    ingrid = make_distributor("Ingrid", sponsor=ursula)
    jan = make_distributor("Jan", sponsor=ursula)
    make_order(ursula, "customer", bought, [(product, 2)], customer=make_customer(ursula))
    stock = make_order(ingrid, "inventory", bought, [(product, 4)])
    make_order(jan, "customer", bought, [(product, 2)], customer=make_customer(jan))

    last_month = close(period_label(p0))
    assert last_month.status == "succeeded", last_month.error
    overrides = dict(
        LedgerLine.objects.filter(run=last_month, distributor=ursula, kind="override").values_list(
            "source__first_name", "amount"
        )
    )
    assert overrides == {"Ingrid": D("10.00"), "Jan": D("7.50")}

    staff = StaffFactory()
    request = buyback_request_create(
        distributor=ingrid, lines=[(stock.lines.get(), 3)], reason="Too much stock", actor=staff
    )
    request = buyback_request_decide(request=request, approvals="all", actor=staff)
    assert request.status == BuybackStatus.APPROVED
    assert request.refund_total == D("202.50")

    this_month = close(period_label(p1))
    assert this_month.status == "succeeded", this_month.error
    clawbacks = list(
        LedgerLine.objects.filter(run=this_month, kind="clawback").values_list(
            "distributor__first_name", "source__first_name", "original_period", "amount"
        )
    )
    assert clawbacks == [("Ursula", "Ingrid", p0, D("-7.50"))]
    statement = Statement.objects.get(run=this_month, distributor=ursula)
    assert statement.clawbacks == D("-7.50")
    assert Statement.objects.get(run=this_month, distributor=ingrid).clawbacks == D("0.00")

    # The close's hook: the report of the run, computed by the task once the run has succeeded.
    report = ComplianceReport.objects.get(pk=compliance_report_for_run(this_month.pk))
    assert report.run_kind == "final"
    assert (report.buyback_count, report.buyback_value) == (1, D("202.50"))
    assert ComplianceReport.objects.filter(run=this_month).count() == 1

"""The customer requirement and the consumption cap as a distributor sees them (rules/compliance §2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from commissions.selectors.customer_requirement import distributor_compliance_status
from orders.models import Return, ReturnKind, ReturnLine
from tests.compliance.factories import make_customer, make_distributor, make_order, make_product

D = Decimal
OCTOBER = dt.date(2025, 10, 1)


def at(day: int) -> dt.datetime:
    return dt.datetime(2025, 10, day, 12, tzinfo=dt.UTC)


@pytest.fixture
def carla(db):
    product = make_product("PAN", retail="20.00", qv="10", cv="10.00")
    carla = make_distributor("Carla")
    other = make_distributor("Otto")
    customers = {
        "Anne": make_customer(carla, name="Anne"),
        "Bas": make_customer(carla, name="Bas"),
        "Carla herself": make_customer(carla, name="Self", household_of=carla),
        "Otto's wife": make_customer(carla, name="Olga", household_of=other),
        "Returned": make_customer(carla, name="Ruud"),
    }
    make_order(carla, "customer", at(2), [(product, 1)], customer=customers["Anne"])
    make_order(carla, "customer", at(3), [(product, 2)], customer=customers["Bas"])
    make_order(carla, "customer", at(4), [(product, 1)], customer=customers["Carla herself"])
    make_order(carla, "customer", at(5), [(product, 1)], customer=customers["Otto's wife"])
    returned = make_order(carla, "customer", at(6), [(product, 1)], customer=customers["Returned"])
    line = returned.lines.get()
    record = Return.objects.create(
        order=returned,
        kind=ReturnKind.RETURN,
        refunded_at=at(9),
        refund_period=OCTOBER,
        refund_amount=D("20.00"),
    )
    ReturnLine.objects.create(return_record=record, order_line=line, quantity=1, refund_amount=D("20.00"))
    # Own purchases: 25 units x 10 QV = 250 QV, 50 above the 200 cap.
    make_order(carla, "inventory", at(7), [(product, 25, "15.00")])
    return carla


def test_customers_that_count_and_why(carla):
    status = distributor_compliance_status(carla, OCTOBER)
    assert status.period == "2025-10"
    # PCV counts every customer order (household ones too); the returned unit is out.
    assert status.pcv == D("50")
    assert status.customer_count == 2
    why = {line.name: (line.counts, line.why) for line in status.customers}
    assert why["Anne Klant"] == (True, "An end customer who paid €\u00a020.00 this period.")
    assert why["Bas Klant"] == (True, "An end customer who paid €\u00a040.00 this period.")
    assert why["Self Klant"][0] is False
    assert "your own account or your household" in why["Self Klant"][1]
    assert why["Olga Klant"][0] is False
    assert "another distributor or a distributor's household" in why["Olga Klant"][1]
    assert why["Ruud Klant"][0] is False
    assert "Paid nothing" in why["Ruud Klant"][1]
    # PCV 50 meets the requirement (PCV >= 50 or 5 customers).
    assert status.requirement_met is True
    assert status.missing == ""


def test_consumption_cap(carla):
    status = distributor_compliance_status(carla, OCTOBER)
    assert (status.ppc, status.cap) == (D("250"), D("200"))
    assert (status.rewardable_own_qv, status.non_rewardable_qv) == (D("200"), D("50"))
    assert status.own_cv_share == D("0.800000")
    text = " ".join(status.sentences)
    assert "This month you bought 250 QV for yourself." in text
    assert "50 QV is above the cap and earns nothing" in text
    assert "Of your own purchases' CV, 80.0% is rewardable." in text


def test_what_is_missing(db):
    product = make_product("CUP", retail="10.00", qv="10", cv="10.00")
    dana = make_distributor("Dana")
    make_order(dana, "customer", at(2), [(product, 2)], customer=make_customer(dana))
    status = distributor_compliance_status(dana, OCTOBER)
    assert (status.pcv, status.customer_count, status.requirement_met) == (D("20"), 1, False)
    assert status.missing == "You still need 30 more PCV or 4 more paying customer(s)."
    assert (status.ppc, status.non_rewardable_qv) == (D("0"), D("0"))

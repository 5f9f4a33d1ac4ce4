"""The live standing of the open period agrees with what the close will compute (S1's numbers)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from commissions.selectors.standing import current_standing
from distributors.models import Distributor
from tests.commissions.closing import EXAMPLES

S1 = EXAMPLES / "s1"
DURING_OCTOBER = dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def s1(db):
    call_command("import_network", str(S1), stdout=open("/dev/null", "w"))
    return {d.external_id: d for d in Distributor.objects.all()}


def test_the_top_of_s1_sees_its_pv_gv_and_eligibility_before_the_close(s1):
    standing = current_standing(s1["A"], at=DURING_OCTOBER)
    assert standing.period == "2026-10"
    assert (standing.pv, standing.gv) == (Decimal("600"), Decimal("3200"))
    assert standing.active and standing.customer_requirement_met and standing.override_eligible
    assert standing.missing == []


def test_own_purchases_count_up_to_the_cap_in_pv_and_gv(s1):
    standing = current_standing(s1["C"], at=DURING_OCTOBER)
    assert (standing.pcv, standing.ppc, standing.pv, standing.gv) == (
        Decimal("150"),
        Decimal("300"),
        Decimal("350"),
        Decimal("875"),
    )


def test_a_distributor_who_sells_nothing_is_told_what_is_missing(s1):
    standing = current_standing(s1["E"], at=DURING_OCTOBER)
    assert (standing.pv, standing.gv, standing.active, standing.override_eligible) == (
        Decimal("0"),
        Decimal("450"),
        False,
        False,
    )
    assert standing.missing[0] == "You need 100 more PV to be active (at least 100)."
    assert "50 more PCV or 5 more paying customer(s)" in standing.missing[1]


def test_another_month_starts_from_zero(s1):
    standing = current_standing(s1["A"], at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC))
    assert (standing.period, standing.pv, standing.gv, standing.active) == ("2026-11", 0, 0, False)

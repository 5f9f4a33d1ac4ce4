"""Statements (compensation-plan §9): carried in + the period's lines = net; paid from 25.00, else
carried (S5)."""

import pytest

from commissions.models import LedgerLine, Statement
from commissions.services.adjustments import adjustment_create
from core.errors import ApplicationError, Conflict
from distributors.models import Distributor

from .closing import close, default_plan, export, period
from .networks import import_network

pytestmark = pytest.mark.django_db


def statement_of(label: str, external_id: str) -> dict[str, str]:
    return next(row for row in export(label) if row["distributor_id"] == external_id)


def test_s5_carry_forward_over_three_months(tmp_path):
    import_network(tmp_path, tree={"M": None, "N": "M"}, orders=[], enrolled_at="2026-06-01T10:00:00+02:00")
    default_plan()
    m = Distributor.objects.get(external_id="M")
    adjustment_create(distributor=m, period=period("2026-07"), amount="18.40", reason="month 1 earnings")
    adjustment_create(distributor=m, period=period("2026-08"), amount="9.10", reason="month 2 earnings")
    adjustment_create(distributor=m, period=period("2026-09"), amount="30.00", reason="month 3 earnings")
    adjustment_create(distributor=m, period=period("2026-09"), amount="-12.00", reason="month 3 correction")
    for label in ("2026-07", "2026-08", "2026-09"):
        assert close(label).status == "succeeded"

    def money(label):
        row = statement_of(label, "M")
        return row["carried_in"], row["adjustments"], row["net"], row["payout"], row["carried_out"]

    assert money("2026-07") == ("0.00", "18.40", "18.40", "0.00", "18.40")
    assert money("2026-08") == ("18.40", "9.10", "27.50", "27.50", "0.00")
    assert money("2026-09") == ("0.00", "18.00", "18.00", "0.00", "18.00")
    # N existed and earned nothing: a statement of zeros every month.
    assert statement_of("2026-09", "N")["net"] == "0.00"
    adjustment = LedgerLine.objects.get(kind="adjustment", amount="-12.00")
    assert adjustment.adjustment.reason == "month 3 correction"


def test_a_negative_balance_is_carried_and_never_paid(tmp_path):
    import_network(tmp_path, tree={"M": None}, orders=[], enrolled_at="2026-06-01T10:00:00+02:00")
    default_plan()
    m = Distributor.objects.get(external_id="M")
    adjustment_create(distributor=m, period=period("2026-07"), amount="-40.00", reason="clawed back stock")
    adjustment_create(distributor=m, period=period("2026-08"), amount="60.00", reason="bonus")
    close("2026-07")
    close("2026-08")
    july, august = Statement.objects.filter(run__kind="final").order_by("period__start")
    assert (july.net, july.payout, july.carried_out) == (-40, 0, -40)
    assert (august.carried_in, august.net, august.payout, august.carried_out) == (-40, 20, 0, 20)


def test_adjustments_are_refused_for_a_closed_period_and_need_a_reason(tmp_path):
    import_network(tmp_path, tree={"M": None}, orders=[], enrolled_at="2026-06-01T10:00:00+02:00")
    default_plan()
    m = Distributor.objects.get(external_id="M")
    close("2026-07")
    with pytest.raises(Conflict, match="period 2026-07 is closed"):
        adjustment_create(distributor=m, period=period("2026-07"), amount="5.00", reason="late")
    with pytest.raises(ApplicationError, match="needs a reason"):
        adjustment_create(distributor=m, period=period("2026-08"), amount="5.00", reason=" ")
    with pytest.raises(ApplicationError, match="in cents"):
        adjustment_create(distributor=m, period=period("2026-08"), amount="5.001", reason="x")

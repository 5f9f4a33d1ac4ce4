"""Clawbacks (compensation-plan §8): later refunds reverse exactly what the original period paid, at
its rates."""

from decimal import Decimal

import pytest

from commissions.models import LedgerLine

from .closing import close, default_plan, export
from .networks import customer_orders, import_network

pytestmark = pytest.mark.django_db

OCT = "2026-10-10T12:00:00+02:00"


def by_id(rows):
    return {row["distributor_id"]: row for row in rows}


def test_s4_clawback_lines_name_the_reversed_line_its_rate_and_its_base(tmp_path):
    import_network(
        tmp_path,
        tree={"P": None, "S": "P", "T": "P"},
        orders=[
            ("P1", "P", "c1", "customer", OCT, "D2", 4),
            ("S1", "S", "c2", "customer", OCT, "D2", 1),
            ("S2", "S", "c3", "customer", OCT, "W", 1),
            ("T1", "T", "c4", "customer", OCT, "D2", 1),
        ],
        returns=[("S2", "W", 1, "2026-11-03T10:00:00+01:00")],
    )
    default_plan()
    october = close("2026-10")
    november = close("2026-11")
    override = LedgerLine.objects.get(run=october, kind="override", source__external_id="S")
    assert (override.distributor.external_id, override.base, override.amount) == (
        "P",
        Decimal("212.50"),
        Decimal("10.63"),
    )
    lines = {
        (line.distributor.external_id, line.key): line
        for line in LedgerLine.objects.filter(run=november, kind="clawback").select_related("distributor")
    }
    assert set(lines) == {
        ("P", f"clawback:override:{override.source_id}:1:2026-10-01"),
        ("S", "clawback:personal:2026-10-01"),
    }
    p_line = lines["P", f"clawback:override:{override.source_id}:1:2026-10-01"]
    assert (p_line.rate, p_line.base, p_line.amount) == (Decimal("0.05"), Decimal("12.50"), Decimal("-0.63"))
    assert p_line.reversed_line_id == override.pk and p_line.original_period.isoformat() == "2026-10-01"
    s_line = lines["S", "clawback:personal:2026-10-01"]
    assert (s_line.rate, s_line.base, s_line.amount) == (Decimal("0.25"), Decimal("15.00"), Decimal("-3.75"))
    assert by_id(export("2026-11"))["P"]["clawbacks"] == "-0.63"


def test_a_refund_within_the_same_period_pays_less_and_claws_back_nothing(tmp_path):
    import_network(
        tmp_path,
        tree={"P": None, "S": "P", "T": "P"},
        orders=[
            ("P1", "P", "c1", "customer", OCT, "D2", 4),
            ("S1", "S", "c2", "customer", OCT, "D2", 1),
            ("S2", "S", "c3", "customer", OCT, "W", 1),
            ("T1", "T", "c4", "customer", OCT, "D2", 1),
        ],
        returns=[("S2", "W", 1, "2026-10-30T10:00:00+01:00")],
    )
    default_plan()
    close("2026-10")
    close("2026-11")
    october = by_id(export("2026-10"))
    # S's rewardable CV is 200.00 without the returned item: P earns 5% x 200 + 5% x 200 = 20.00.
    assert october["S"]["pv"] == "100" and october["S"]["personal_commission"] == "25.00"
    assert october["P"]["override_commission"] == "20.00"
    assert {row["clawbacks"] for row in export("2026-11")} == {"0.00"}


def test_own_orders_refunded_later_are_clawed_back_at_the_original_own_cv_share(tmp_path):
    # S buys 4 x 75 QV for herself (PPC 300: only 200 count, share 2/3) and sells to 5 customers.
    orders = customer_orders("S", 5, paid_at=OCT) + customer_orders("T", 2, paid_at=OCT)
    orders += customer_orders("P", 5, paid_at=OCT)
    orders.append(("S-own", "S", "", "personal", OCT, "TM1", 4))
    import_network(
        tmp_path,
        tree={"P": None, "S": "P", "T": "P"},
        orders=orders,
        returns=[("S-own", "TM1", 1, "2026-11-03T10:00:00+01:00")],
    )
    default_plan()
    october = close("2026-10")
    s_override = LedgerLine.objects.get(run=october, kind="override", source__external_id="S")
    # Rewardable CV of S: 5 x 75 + 300 x 2/3 = 575.00; P (rank 2) earns 5%.
    assert (s_override.base, s_override.amount) == (Decimal("575.000000000000"), Decimal("28.75"))
    november = close("2026-11")
    clawback = LedgerLine.objects.get(run=november, kind="clawback")
    # One refunded unit: 75.00 CV x 2/3 = 50.00 rewardable, x 5% = 2.50.
    assert clawback.distributor.external_id == "P"
    assert (clawback.base, clawback.amount) == (Decimal("50.000000000000"), Decimal("-2.50"))
    assert by_id(export("2026-11"))["S"]["clawbacks"] == "0.00"

"""compensation-plan §10: a stairstep differential plan through the whole close (import -> close ->
export)."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from commissions.models import LedgerLine
from plans.document import parse_plan_document
from plans.models import Plan

from .closing import close, export
from .networks import customer_orders, import_network

pytestmark = pytest.mark.django_db

OCT = "2026-10-10T12:00:00+02:00"


def differential_plan() -> Plan:
    document = json.loads((Path(__file__).resolve().parents[2] / "plans" / "default_plan.json").read_text())
    document = copy.deepcopy(document)
    for key in ("ranks", "unilevel"):
        document.pop(key)
    document.update(
        {
            "name": "Stairstep",
            "version": "2026.D",
            "type": "differential",
            "differential": {
                "schedule": [
                    {"min_group_qv": "200", "rate": "0.03"},
                    {"min_group_qv": "600", "rate": "0.06"},
                    {"min_group_qv": "1200", "rate": "0.09"},
                ],
                "breakaway": True,
            },
            "personal_commission": {"rate": "0"},
        }
    )
    parse_plan_document(document)  # a valid document, or the test is wrong
    return Plan.objects.create(
        name="Stairstep", version="2026.D", plan_type="differential", document=document
    )


def test_the_section_10_example_pays_x_36_00(tmp_path):
    # CV = 2 x QV. X sells 200 QV, Y's group is 700 QV, Z sells 100 QV.
    orders = customer_orders("X", 2, paid_at=OCT, sku="D2") + customer_orders("Y", 7, paid_at=OCT, sku="D2")
    orders += customer_orders("Z", 1, paid_at=OCT, sku="D2")
    import_network(tmp_path, tree={"X": None, "Y": "X", "Z": "X"}, orders=orders)
    plan = differential_plan()
    run = close("2026-10", plan=plan.version)
    assert run.status == "succeeded", run.error
    rows = {row["distributor_id"]: row for row in export("2026-10")}
    assert rows["X"]["override_commission"] == "36.00"
    assert rows["X"]["paid_as_rank"] == "0" and rows["X"]["gv"] == "1000"
    assert rows["Y"]["override_commission"] == "84.00"
    assert rows["Z"]["override_commission"] == "0.00"
    assert {row["personal_commission"] for row in rows.values()} == {"0.00"}
    x_lines = sorted(
        (line.source.external_id, line.amount)
        for line in LedgerLine.objects.filter(run=run, distributor__external_id="X").select_related("source")
    )
    # X's own volume 6% x 400 = 24.00; leg Y (6% - 6%) x 1,400 = 0 is no line; leg Z 6% x 200 = 12.00.
    assert [line for line in x_lines if line[1]] == [("X", Decimal("24.00")), ("Z", Decimal("12.00"))]
    assert run.period.plan == plan

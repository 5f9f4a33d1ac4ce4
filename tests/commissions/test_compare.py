"""Compare two runs of the close, and two plan versions on the same period (issue item 5), on S1."""

import copy
import csv
import io
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse

from commissions.admin_views import admin_urls
from commissions.models import Adjustment
from commissions.selectors.comparison import plan_differences, run_comparison
from commissions.selectors.comparison_render import CSV_COLUMNS, comparison_csv_rows
from commissions.services.compare import compare_plans
from distributors.models import Distributor
from plans.models import Plan

from .closing import EXAMPLES, close, default_plan, period

pytestmark = pytest.mark.django_db


def no_compression_plan(base: Plan) -> Plan:
    document = copy.deepcopy(base.document)
    document["version"] = "2026.1-nc"
    document["unilevel"]["compression"] = "none"
    return Plan.objects.create(
        name=document["name"], version="2026.1-nc", plan_type="unilevel", document=document
    )


@pytest.fixture
def s1():
    call_command("import_network", str(EXAMPLES / "s1"))
    return default_plan()


def compare_s1_plans(plan_a, plan_b, **kwargs):
    # The test transaction never commits: run the previews' scheduled work as a commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return compare_plans(period=period("2026-10"), plan_a=plan_a, plan_b=plan_b, **kwargs)


def by_id(comparison):
    return {row.external_id: row for row in comparison.rows}


def test_two_plan_versions_on_s1_show_who_loses_without_compression_and_why(s1):
    variant = no_compression_plan(s1)

    comparison = compare_s1_plans(s1, variant)

    assert [str(change) for change in comparison.plan_changes] == [
        "$.unilevel.compression: not_eligible → none"
    ]
    rows = by_id(comparison)
    assert set(rows) == {"A", "B"}  # nobody else's money, rank or volumes change
    a, b = rows["A"], rows["B"]
    assert (a.a.override, a.b.override, a.delta) == (Decimal("92.50"), Decimal("86.50"), Decimal("-6.00"))
    assert (b.a.override, b.b.override, b.delta) == (Decimal("30.00"), Decimal("22.50"), Decimal("-7.50"))
    # Sorted by the size of the change: B loses more than A.
    assert [row.external_id for row in comparison.rows] == ["B", "A"]
    # H's volume reaches A at level 3 and B at level 2 once E uses up a level: neither rank unlocks it.
    assert a.why == ("lost 1 level-2 override source (−6.00)",)
    assert b.why == ("lost 1 level-1 override source (−7.50)",)
    assert (a.a.paid_as_rank, a.b.paid_as_rank) == (3, 3)

    totals = comparison.totals
    assert (totals.gainers, totals.losers, totals.changed) == (0, 2, 2)
    assert (totals.distributors_a, totals.distributors_b) == (11, 11)
    assert totals.total_paid_a == Decimal("1097.50")
    assert totals.total_paid_b == Decimal("1084.00")
    assert totals.total_paid_delta == Decimal("-13.50")
    # The 13.50 no longer paid to A and B is breakage in run B.
    assert totals.breakage_b - totals.breakage_a == Decimal("13.50")
    assert comparison.run_a.kind == comparison.run_b.kind == "preview"
    assert not comparison.limited


def test_a_rank_and_eligibility_change_is_explained_with_the_condition_and_numbers(s1):
    first = close("2026-10", preview=True)
    # E starts selling: 2 customer orders of 75 QV make E active (PV 150) with PCV 150 >= 50.
    from orders.models import Order

    e = Distributor.objects.get(external_id="E")
    Order.objects.filter(distributor__external_id="J").update(distributor=e)
    second = close("2026-10", preview=True)

    comparison = run_comparison(first, second)

    rows = by_id(comparison)
    assert rows["E"].why[:2] == (
        "rank 0 → 1 (Consultant)",
        "became override-eligible (in A: not active (PV 0 < 100); customer requirement not met "
        "(PCV 0 < 50, 0 customers < 5))",
    )
    assert rows["J"].why[0] == "rank 1 (Consultant) → 0"
    inactive = "not active (PV 0 < 100); customer requirement not met (PCV 0 < 50, 0 customers < 5)"
    assert rows["J"].why[1] == "lost override eligibility: " + inactive
    assert "personal commission 50.00 → 0.00 (−50.00)" in rows["J"].why
    assert rows["E"].delta == Decimal("50.00")
    assert comparison.plan_changes == ()


def test_limit_keeps_the_largest_changes_and_the_totals_cover_everyone(s1):
    first = close("2026-10", preview=True)
    Adjustment.objects.create(
        period=first.period, distributor=Distributor.objects.get(external_id="K"), amount=Decimal("5.00"),
        reason="Late order",
    )  # fmt: skip
    Adjustment.objects.create(
        period=first.period, distributor=Distributor.objects.get(external_id="G"), amount=Decimal("-60.00"),
        reason="Correction",
    )  # fmt: skip
    second = close("2026-10", preview=True)

    comparison = run_comparison(first, second, limit=1)

    assert [row.external_id for row in comparison.rows] == ["G"]
    assert comparison.rows[0].why == (
        "adjustments 0.00 → -60.00 (−60.00)",
        "no longer paid out (net below the payout minimum)",
    )
    assert comparison.rows[0].payout_delta == Decimal("-75.00")
    assert comparison.limited
    assert (comparison.totals.gainers, comparison.totals.losers) == (1, 1)


def test_the_comparison_runs_a_fixed_number_of_queries_however_many_distributors_change(s1):
    first = close("2026-10", preview=True)
    second = close("2026-10", plan=no_compression_plan(s1), preview=True)
    with CaptureQueriesContext(connection) as queries:
        run_comparison(first, second)
    # Totals, rows and override levels, plus each run's plan: never one query per distributor.
    assert len(queries) == 5


def test_csv_rows_have_every_column_and_the_why(s1):
    first = close("2026-10", preview=True)
    second = close("2026-10", plan=no_compression_plan(s1), preview=True)
    rows = list(comparison_csv_rows(run_comparison(first, second)))
    assert len(rows[0]) == len(CSV_COLUMNS)
    assert rows[1][:5] == ["A", "Anna A", "292.50", "286.50", "-6.00"]
    assert rows[1][-1] == "lost 1 level-2 override source (−6.00)"


def test_plan_differences_list_every_changed_parameter_path_once():
    a = {"name": "S", "version": "1", "unilevel": {"levels": [{"rate": "0.05"}], "roll_up": False}, "x": 1}
    b = {"name": "T", "version": "2", "unilevel": {"levels": [{"rate": "0.06"}, {"rate": "0.01"}]}, "x": 1}
    assert [str(c) for c in plan_differences(a, b)] == [
        "$.unilevel.levels[0].rate: 0.05 → 0.06",
        '$.unilevel.levels[1]: (none) → {"rate":"0.01"}',
        "$.unilevel.roll_up: false → (none)",
    ]


def test_compare_runs_command_prints_the_totals_and_writes_the_csv(s1, tmp_path):
    first = close("2026-10", preview=True)
    second = close("2026-10", plan=no_compression_plan(s1), preview=True)
    target = tmp_path / "compare.csv"
    out = io.StringIO()

    call_command("compare_runs", str(first.pk), str(second.pk), "--csv", str(target), stdout=out)

    text = out.getvalue()
    assert "$.unilevel.compression: not_eligible → none" in text
    assert "gainers 0, losers 2" in text
    assert "total paid 1097.50 → 1084.00 (−13.50)" in text
    assert "B  " in text and "lost 1 level-1 override source (−7.50)" in text
    with open(target, newline="") as handle:
        written = list(csv.reader(handle))
    assert written[0] == list(CSV_COLUMNS)
    assert [row[0] for row in written[1:]] == ["B", "A"]


def test_compare_runs_command_compares_two_plan_versions_of_a_period(s1):
    no_compression_plan(s1)
    out = io.StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("compare_runs", "--period", "2026-10", "--plans", s1.version, "2026.1-nc", stdout=out)
    assert "losers 2" in out.getvalue()
    assert "A  " in out.getvalue()


# --- the staff page -------------------------------------------------------------------------------

urlpatterns = [
    path("admin/commissions/", include(admin_urls())),
    path("admin/", admin.site.urls),
]


@pytest.mark.urls("tests.commissions.test_compare")
def test_compare_page_shows_totals_plan_changes_and_each_distributors_why(s1, admin_client):
    first = close("2026-10", preview=True)
    second = close("2026-10", plan=no_compression_plan(s1), preview=True)

    response = admin_client.get(reverse("commissions_compare"), {"a": first.pk, "b": second.pk})

    assert response.status_code == 200
    page = response.content.decode()
    assert "<code>$.unilevel.compression: not_eligible → none</code>" in page
    assert "<dt>Losers</dt><dd>2</dd>" in page
    assert "<dt>Total paid</dt><dd>€\u00a01,097.50 → €\u00a01,084.00 (€\u00a0-13.50)</dd>" in page
    assert "lost 1 level-1 override source (−7.50)" in page
    assert page.index("Bram B (B)") < page.index("Anna A (A)")
    assert f"/admin/commissions/runs/{second.pk}/explain/?distributor=A" in page


@pytest.mark.urls("tests.commissions.test_compare")
def test_compare_page_picks_the_two_newest_runs_of_a_period_and_downloads_csv(s1, admin_client):
    first = close("2026-10", preview=True)
    second = close("2026-10", plan=no_compression_plan(s1), preview=True)

    page = admin_client.get(reverse("commissions_compare"), {"period": "2026-10"}).content.decode()
    assert f"A: preview {first.pk} of 2026-10 (plan 2026.1)" in page
    assert f"B: preview {second.pk} of 2026-10 (plan 2026.1-nc)" in page

    response = admin_client.get(
        reverse("commissions_compare"), {"a": first.pk, "b": second.pk, "format": "csv"}
    )
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == list(CSV_COLUMNS)
    assert [row[0] for row in rows[1:]] == ["B", "A"]


@pytest.mark.urls("tests.commissions.test_compare")
def test_compare_page_reports_an_unknown_run(admin_client):
    page = admin_client.get(reverse("commissions_compare"), {"a": "999", "b": "998"}).content.decode()
    assert "Run 999 does not exist or has not succeeded." in page

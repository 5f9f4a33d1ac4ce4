"""The period report (compensation-plan §9): rewardable CV, paid, breakage, host credit; progress of a run."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from commissions.models import CloseRun
from commissions.selectors.runs import close_run_progress
from distributors.models import Distributor
from orders.models import Customer, Demonstration, HostCredit
from plans.models import Period, Plan

from .closing import EXAMPLES, close, default_plan, period

pytestmark = pytest.mark.django_db


def host_credit(consultant, host, issued_at, amount, external_id):
    demonstration = Demonstration.objects.create(
        external_id=external_id, consultant=consultant, host=host, held_at=issued_at - dt.timedelta(days=1),
        status="closed", closed_at=issued_at, qps=Decimal("500.00"),
    )  # fmt: skip
    return HostCredit.objects.create(
        demonstration=demonstration, host=host, amount=Decimal(amount), half_price_items=2,
        issued_at=issued_at, expires_at=issued_at + dt.timedelta(days=60),
    )  # fmt: skip


def test_the_report_of_s1_totals_rewardable_cv_paid_breakage_and_host_credit():
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    default_plan()
    a = Distributor.objects.get(external_id="A")
    host = Customer.objects.filter(distributor=a).first()
    host_credit(a, host, dt.datetime(2026, 10, 6, 18, 0, tzinfo=dt.UTC), "75.00", "D1")
    # 31 October 23:30 UTC is 1 November in Amsterdam: November's host credit, not October's.
    host_credit(a, host, dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC), "35.00", "D2")
    summary = close("2026-10").summary
    assert summary["total_rewardable_cv"] == "3200.00"
    assert summary["total_paid"] == "1097.50" and summary["paid_distributors"] == 10
    assert summary["totals"]["personal"] == "975.00" and summary["totals"]["override"] == "122.50"
    # Every level of every source's CV that nobody was paid on: 16% x 3,200 - 122.50 paid.
    assert summary["breakage"] == "389.50"
    assert summary["host_credit_issued"] == "75.00"
    assert summary["ranks"] == {"0": 1, "1": 8, "2": 1, "3": 1}


def test_progress_counts_chunks_and_estimates_the_time_left():
    plan = default_plan()
    run = CloseRun(
        period=Period(start=period("2026-10")), plan=plan if isinstance(plan, Plan) else None, kind="final",
        status="running", phase="write", chunks_total=8, chunks_done=2, compute_seconds=10.0,
        started_at=dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC),
    )  # fmt: skip
    progress = close_run_progress(run, now=dt.datetime(2026, 11, 1, 6, 0, 40, tzinfo=dt.UTC))
    # 30 s of writing for 2 chunks: 15 s a chunk, 6 to go.
    assert (progress.percent, progress.eta_seconds, progress.phase) == (
        31,
        90.0,
        "Write results, ledger and statements",
    )
    run.status, run.phase = "succeeded", "done"
    assert close_run_progress(run).percent == 100

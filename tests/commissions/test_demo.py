"""The demo's commissions: closed months with a paid and an open payout batch, made by the payout
service, and a month closed after a preview and a correction, so there are two runs to compare."""

import io
import logging
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from commissions.demo import ADJUSTMENT_AMOUNT
from commissions.models import (
    CloseRun,
    CloseRunKind,
    PayoutBatch,
    PayoutBatchStatus,
    PayoutHold,
    PayoutHoldReason,
    Statement,
)
from commissions.selectors.comparison import run_comparison
from core.models import AuditEntry
from core.periods import previous_period

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(caplog):
    out = io.StringIO()
    with caplog.at_level(logging.WARNING):
        call_command("seed_demo", size=40, months=3, stdout=out)
    return out.getvalue(), caplog


def test_every_closed_month_has_a_payout_batch_and_only_the_newest_is_still_to_pay(demo):
    output, _ = demo
    newest = previous_period(timezone.localdate().replace(day=1))
    older = previous_period(newest)
    batches = list(
        PayoutBatch.objects.select_related("period", "created_by", "paid_by").order_by("period__start")
    )
    assert [(b.period.start, b.reference, b.status) for b in batches] == [
        (older, f"PAY-{older:%Y-%m}-001", PayoutBatchStatus.PAID),
        (newest, f"PAY-{newest:%Y-%m}-001", PayoutBatchStatus.OPEN),
    ]
    for batch in batches:
        final = CloseRun.objects.get(period=batch.period, kind=CloseRunKind.FINAL)
        paid = Statement.objects.filter(run=final, payout__gt=0)
        # Every payout of the month's final close, once, for what the statement says, but those held
        # for the two who have not accepted the distributor agreement (distributors/agreement_demo.py).
        holds = PayoutHold.objects.filter(period=batch.period)
        assert {h.reason for h in holds} <= {PayoutHoldReason.AGREEMENT}
        assert batch.count + holds.count() == paid.count() and batch.count == batch.payouts.count() > 0
        in_batch = batch.payouts.aggregate(total=Sum("statement__payout"))["total"]
        assert (
            in_batch + sum((h.amount for h in holds), Decimal(0))
            == paid.aggregate(total=Sum("payout"))["total"]
            == Decimal(final.summary["total_paid"])
        )
        assert batch.created_by.username == "admin"
        assert f"Payout batch {batch.reference}: {batch.count} payouts, {batch.total}" in output
    assert PayoutHold.objects.filter(reason=PayoutHoldReason.AGREEMENT).exists()  # the demo shows one
    paid_batch, open_batch = batches
    assert paid_batch.paid_by.username == "admin" and paid_batch.paid_at is not None
    assert open_batch.paid_at is None and open_batch.paid_by is None
    assert list(
        AuditEntry.objects.filter(action__startswith="commissions.payout_batch")
        .values_list("action", flat=True)
        .order_by("id")
    ) == [
        "commissions.payout_batch_create",
        "commissions.payout_batch_create",
        "commissions.payout_batch_paid",
    ]


def test_the_newest_closed_month_was_previewed_then_corrected_then_closed(demo):
    newest = previous_period(timezone.localdate().replace(day=1))
    preview, final = CloseRun.objects.filter(period__start=newest).order_by("id")
    assert (preview.kind, final.kind) == (CloseRunKind.PREVIEW, CloseRunKind.FINAL)
    comparison = run_comparison(preview, final)
    assert comparison.totals.changed == 1
    (row,) = comparison.rows
    assert row.external_id == "D100000"
    assert str(row.delta) == ADJUSTMENT_AMOUNT
    assert row.why == ("adjustments 0.00 → 50.00 (+50.00)",)


def test_the_seed_runs_its_tasks_in_process_without_reaching_for_a_broker(demo):
    _, caplog = demo
    # Eager tasks built a producer for amqp://localhost when CELERY_BROKER_URL was unset.
    assert not [r for r in caplog.records if "hostname" in r.getMessage()]


def test_seeding_payouts_again_adds_no_second_batch_of_a_month(demo):
    from commissions.demo import seed_payouts

    assert seed_payouts() == []
    assert PayoutBatch.objects.count() == 2

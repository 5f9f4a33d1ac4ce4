"""Payout batches (bank CSV, marked paid once) and the admin of the close."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse

from commissions.models import Adjustment, CloseRun, LedgerLine, Payout, PayoutBatch
from commissions.services.payouts import payout_batch_create, payout_batch_mark_paid
from core.errors import Conflict, NotFound
from core.models import AuditEntry
from distributors.demo import seed_bank_accounts
from distributors.models import Distributor
from plans.models import Period

from .closing import EXAMPLES, close, default_plan, period

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    # The manifest storage needs collectstatic; admin pages in tests only need the URLs.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def s1_closed():
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    seed_bank_accounts()  # payouts go to a valid bank account (distributors.bank)
    default_plan()
    return close("2026-10")


def test_a_payout_batch_pays_every_statement_from_the_minimum_once(s1_closed, tmp_path):
    out = tmp_path / "bank.csv"
    call_command("payout_batch", "2026-10", str(out), stdout=io.StringIO())
    batch = PayoutBatch.objects.get()
    assert (batch.reference, batch.count, batch.total) == ("PAY-2026-10-001", 10, Decimal("1097.50"))
    rows = list(csv.DictReader(out.open()))
    assert [row["distributor_id"] for row in rows] == ["A", "B", "C", "D", "F", "G", "H", "I", "J", "K"]
    assert rows[0] == {
        "distributor_id": "A", "name": "Anna A", "email": "a@example.nl", "amount": "292.50",
        "currency": "EUR", "reference": f"PAY-2026-10-001-{Distributor.objects.get(external_id='A').pk}",
    }  # fmt: skip
    with pytest.raises(Conflict, match="already in a batch"):
        payout_batch_create(period=period("2026-10"))
    payout_batch_mark_paid(batch=batch)
    with pytest.raises(Conflict, match="already marked paid"):
        payout_batch_mark_paid(batch=batch)
    with pytest.raises(CommandError, match="already marked paid"):
        call_command("payout_batch", "--mark-paid", batch.reference, stdout=io.StringIO())
    assert AuditEntry.objects.filter(action="commissions.payout_batch_paid").count() == 1
    assert Payout.objects.count() == 10


def test_payouts_come_only_from_a_final_close(s1_closed):
    close("2026-11", preview=True)
    with pytest.raises(NotFound, match="2026-11 is not closed yet"):
        payout_batch_create(period=period("2026-11"))


def test_the_admin_starts_a_preview_and_shows_its_progress(admin_client, s1_closed):
    november = Period.objects.create(start=period("2026-11"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_client.post(
            reverse("admin:plans_period_changelist"),
            {"action": "start_preview", "_selected_action": [november.pk]},
            follow=True,
        )
    assert "started" in response.content.decode()
    run = CloseRun.objects.get(kind="preview")
    assert run.status == "succeeded"
    page = admin_client.get(reverse("admin:commissions_closerun_changelist")).content.decode()
    assert "100% (1/1 chunks)" in page
    detail = admin_client.get(reverse("admin:commissions_closerun_change", args=[run.pk])).content.decode()
    assert "Done" in detail


def test_the_admin_refuses_a_second_close_of_a_closed_period_with_the_reason(admin_client, s1_closed):
    response = admin_client.post(
        reverse("admin:plans_period_changelist"),
        {"action": "start_final_close", "_selected_action": [s1_closed.period_id]},
        follow=True,
    )
    assert "2026-10 is already closed" in response.content.decode()


def test_ledger_and_statement_pages_are_read_only_lists(admin_client, s1_closed):
    line = LedgerLine.objects.filter(run=s1_closed, kind="override").first()
    page = admin_client.get(reverse("admin:commissions_ledgerline_changelist") + "?kind__exact=override")
    assert page.status_code == 200 and "override" in page.content.decode()
    assert admin_client.get(reverse("admin:commissions_statement_changelist")).status_code == 200
    change = admin_client.post(
        reverse("admin:commissions_ledgerline_change", args=[line.pk]), {"amount": "1"}
    )
    assert LedgerLine.objects.get(pk=line.pk).amount == line.amount
    assert change.status_code in (200, 403)


def test_an_adjustment_added_in_the_admin_goes_through_the_service(admin_client, s1_closed):
    a = Distributor.objects.get(external_id="A")
    response = admin_client.post(
        reverse("admin:commissions_adjustment_add"),
        {"distributor": a.pk, "period_label": "2026-11", "amount": "12.50", "reason": "late bonus"},
        follow=True,
    )
    assert response.status_code == 200
    adjustment = Adjustment.objects.get()
    assert (adjustment.period.start, adjustment.amount) == (period("2026-11"), Decimal("12.50"))
    assert AuditEntry.objects.filter(action="commissions.adjustment_create").exists()
    refused = admin_client.post(
        reverse("admin:commissions_adjustment_add"),
        {"distributor": a.pk, "period_label": "2026-10", "amount": "1.00", "reason": "too late"},
        follow=True,
    )
    assert "2026-10 is closed" in refused.content.decode()
    assert Adjustment.objects.count() == 1


def test_the_payout_batch_csv_downloads_from_the_admin(admin_client, s1_closed):
    batch = payout_batch_create(period=period("2026-10"))
    response = admin_client.get(reverse("admin:commissions_payoutbatch_csv", args=[batch.pk]))
    lines = response.content.decode().splitlines()
    assert lines[0] == "distributor_id,name,email,amount,currency,reference" and len(lines) == 11
    admin_client.post(
        reverse("admin:commissions_payoutbatch_changelist"),
        {"action": "mark_paid", "_selected_action": [batch.pk]},
    )
    assert PayoutBatch.objects.get(pk=batch.pk).status == "paid"


@pytest.mark.parametrize(
    "page",
    [
        "commissions_ledgerline_changelist",
        "commissions_statement_changelist",
        "commissions_distributorperiod_changelist",
        "commissions_closerun_changelist",
        "plans_period_changelist",
    ],
)
def test_list_pages_take_a_fixed_number_of_queries(
    admin_client, s1_closed, django_assert_max_num_queries, page
):
    admin_client.get(reverse(f"admin:{page}"))  # session and permissions warmed up
    with django_assert_max_num_queries(12):
        assert admin_client.get(reverse(f"admin:{page}")).status_code == 200


def test_the_csv_of_a_batch_that_does_not_exist_is_a_404(admin_client):
    assert admin_client.get(reverse("admin:commissions_payoutbatch_csv", args=[999999])).status_code == 404
